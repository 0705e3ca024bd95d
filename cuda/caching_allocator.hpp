#pragma once

// The device memory allocator of the kernel backend (Note [caching allocator]).
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/backend/backend.hpp"

namespace metagrad {

/// Where the allocator gets its memory from: the CUDA runtime, or host memory for the emulation.
class RawDeviceMemory {
 public:
  virtual ~RawDeviceMemory() = default;
  /// A new block of `nbytes`, or null when the device has no room (never throws for that).
  virtual void* raw_allocate(size_t nbytes) = 0;
  /// Returns a block from raw_allocate.
  virtual void raw_free(void* ptr) = 0;
  /// The device's free and total bytes.
  virtual void memory_info(size_t& free_bytes, size_t& total_bytes) = 0;
  /// "cuda:0" or similar, for messages.
  virtual std::string device_name() const = 0;
};

/// A caching allocator: freed blocks go to size-bucketed free lists and serve later requests of
/// the same bucket, so a training loop that allocates the same temporaries every step stops
/// calling the device allocator (which synchronises). Thread-safe.
class CachingAllocator {
 public:
  /// An allocator over `memory`, which must outlive it.
  explicit CachingAllocator(RawDeviceMemory& memory) : memory_(memory) {}
  /// Returns the cached blocks to the device (blocks still in use stay allocated).
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  /// A block of at least `nbytes` (a cached one of the same bucket when there is one). When the
  /// device has no room it frees the cache and retries once; then throws OutOfMemoryError naming
  /// the bytes asked and the device's free and total memory.
  void* allocate(size_t nbytes);
  /// Returns a block from allocate to its bucket's free list.
  void deallocate(void* ptr);
  /// Returns every cached free block to the device.
  void empty_cache();
  /// Bytes allocated (in use), reserved (in use or cached) and the peak of allocated.
  DeviceMemoryStats stats() const;
  /// Sets the peak to what is allocated now (torch.cuda.reset_peak_memory_stats).
  void reset_peak();

  /// The bucket (the size actually reserved) of a request of `nbytes`: multiples of 512 bytes up
  /// to 1 MiB, then multiples of 1/8 of the next lower power of two (at most 12.5 % waste).
  static size_t bucket_of(size_t nbytes);

 private:
  void release_cached_locked();

  RawDeviceMemory& memory_;
  mutable std::mutex mutex_;
  std::map<size_t, std::vector<void*>> free_blocks_;  // bucket -> cached blocks
  std::unordered_map<void*, size_t> live_blocks_;     // block -> bucket
  DeviceMemoryStats stats_;
};

}  // namespace metagrad
