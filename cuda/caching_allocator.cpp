#include "cuda/caching_allocator.hpp"

#include "engine/backend/size_bucket.hpp"
#include "engine/error.hpp"

// Note [caching allocator]
// cudaMalloc and cudaFree synchronise the device and cost tens of microseconds, far more than the
// small kernels of a meta-learning step. Freed blocks are therefore cached per bucket and reused;
// `reserved` counts what the device has handed out (live + cached), `allocated` what tensors
// hold. Blocks are reused only for requests of the same bucket (no splitting), which keeps the
// bookkeeping trivial; buckets are fine enough (≤ 12.5 % waste) that a loop's repeated sizes map
// to themselves. All kernels run on one stream per device, so a block freed by the host and
// handed to the next kernel is never in use by an earlier one still queued (stream order).
// When the device is full, the cache is returned to it and the request retried once.
namespace metagrad {

size_t CachingAllocator::bucket_of(size_t nbytes) {
  constexpr size_t kSmallGranule = 512;
  constexpr size_t kSmallLimit = size_t{1} << 20;
  if (nbytes == 0) return kSmallGranule;
  if (nbytes <= kSmallLimit) return (nbytes + kSmallGranule - 1) / kSmallGranule * kSmallGranule;
  return detail::eighth_power_of_two_bucket(nbytes, "CUDA allocator");
}

CachingAllocator::~CachingAllocator() {
  std::lock_guard lock(mutex_);
  release_cached_locked();
}

void* CachingAllocator::allocate(size_t nbytes) {
  const size_t bucket = bucket_of(nbytes);
  std::lock_guard lock(mutex_);
  void* ptr = nullptr;
  auto it = free_blocks_.find(bucket);
  if (it != free_blocks_.end() && !it->second.empty()) {
    ptr = it->second.back();
    it->second.pop_back();
  } else {
    ptr = memory_.raw_allocate(bucket);
    if (ptr == nullptr) {
      ++stats_.retries;
      release_cached_locked();
      ptr = memory_.raw_allocate(bucket);
    }
    if (ptr == nullptr) {
      size_t free_bytes = 0, total_bytes = 0;
      memory_.memory_info(free_bytes, total_bytes);
      throw OutOfMemoryError(fmt::format(
          "CUDA out of memory: tried to allocate {} bytes ({:.2f} MiB) on {}, which has {} "
          "bytes ({:.2f} MiB) free of {} ({:.2f} MiB); metagrad holds {} bytes in tensors and "
          "had {} bytes cached (freed and retried). Use smaller batches, free tensors you no "
          "longer need, or run on the CPU",
          nbytes, static_cast<double>(nbytes) / (1 << 20), memory_.device_name(), free_bytes,
          static_cast<double>(free_bytes) / (1 << 20), total_bytes,
          static_cast<double>(total_bytes) / (1 << 20), stats_.allocated, stats_.reserved));
    }
    stats_.reserved += static_cast<int64_t>(bucket);
  }
  live_blocks_.emplace(ptr, bucket);
  stats_.allocated += static_cast<int64_t>(bucket);
  if (stats_.allocated > stats_.peak_allocated) stats_.peak_allocated = stats_.allocated;
  return ptr;
}

void CachingAllocator::deallocate(void* ptr) {
  if (ptr == nullptr) return;
  std::lock_guard lock(mutex_);
  auto it = live_blocks_.find(ptr);
  if (it == live_blocks_.end()) return;  // not ours: nothing to do (never happens for Storage)
  const size_t bucket = it->second;
  live_blocks_.erase(it);
  stats_.allocated -= static_cast<int64_t>(bucket);
  free_blocks_[bucket].push_back(ptr);
}

void CachingAllocator::empty_cache() {
  std::lock_guard lock(mutex_);
  release_cached_locked();
}

void CachingAllocator::release_cached_locked() {
  for (auto& [bucket, blocks] : free_blocks_) {
    for (void* p : blocks) {
      memory_.raw_free(p);
      stats_.reserved -= static_cast<int64_t>(bucket);
    }
  }
  free_blocks_.clear();
}

DeviceMemoryStats CachingAllocator::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard lock(mutex_);
  stats_.peak_allocated = stats_.allocated;
}

}  // namespace metagrad
