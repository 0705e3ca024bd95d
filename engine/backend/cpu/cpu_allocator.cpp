// The CPU backend's host allocator: aligned blocks, recycled through two bounded caches.
//
// Note [host block caches]
// Every op allocates its result, and a training loop allocates the same sizes step after step.
// glibc serves 64-byte-aligned requests through its slow memalign path, returns large freed blocks
// to the system (each new one then faults its pages in again), and its bins churn under the
// allocate-many / free-many pattern of a forward and backward pass. So freed blocks are kept for
// reuse, keyed by their size rounded up to kAlignment:
// - small blocks (below kLargeBlock) in a per-thread cache: one free list per rounded size, no
//   lock. At most kThreadCacheBytes per thread; beyond that a block goes back to glibc. A block
//   freed on another thread than the one that allocated it joins the freeing thread's cache
//   (glibc blocks may be freed on any thread). At thread exit the cache frees its blocks; a
//   block freed after that (a static tensor, a thread_local destroyed later) goes to glibc.
// - large blocks (kLargeBlock and above) in one cache shared by all threads, under a mutex, at
//   most kMaxCachedBytes in total.
// Buffers of at most kSmallBuffer bytes come from plain malloc (CPU storages keep those inline, so
// the backend sees them only from direct callers). Under AddressSanitizer nothing is cached, so
// that it sees every use after free.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "engine/backend/cpu/cpu_backend.hpp"

namespace metagrad::cpu {
namespace {

// Larger buffers are always 64-byte aligned: vectorised kernels take alignment-dependent paths,
// and equal inputs must give bit-identical results.
constexpr size_t kAlignment = 64;
constexpr size_t kSmallBuffer = 16;
constexpr size_t kLargeBlock = size_t{1} << 16;
constexpr size_t kThreadCacheBytes = size_t{8} << 20;
constexpr size_t kMaxCachedBytes = size_t{1} << 30;

#if defined(__SANITIZE_ADDRESS__)
#define MG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MG_ASAN 1
#endif
#endif

#if defined(MG_ASAN)
constexpr bool kCacheEnabled = false;
// AddressSanitizer aborts the process on a request above its 1 TiB limit instead of returning
// null; refusing those requests here keeps "out of memory" a metagrad::Error under ASan too.
constexpr size_t kMaxAllocation = size_t{1} << 40;
#else
constexpr bool kCacheEnabled = true;
constexpr size_t kMaxAllocation = static_cast<size_t>(PTRDIFF_MAX);
#endif

size_t rounded_size(size_t nbytes) { return (nbytes + kAlignment - 1) / kAlignment * kAlignment; }

// The shared cache of large freed blocks, keyed by their rounded size.
class LargeBlockCache {
 public:
  void* take(size_t rounded) {
    std::lock_guard lock(mutex_);
    auto it = blocks_.find(rounded);
    if (it == blocks_.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    cached_bytes_ -= rounded;
    return p;
  }
  bool give(void* p, size_t rounded) {
    std::lock_guard lock(mutex_);
    if (cached_bytes_ + rounded > kMaxCachedBytes) return false;
    blocks_[rounded].push_back(p);
    cached_bytes_ += rounded;
    return true;
  }
  ~LargeBlockCache() {
    for (auto& [size, list] : blocks_)
      for (void* p : list) std::free(p);
  }

 private:
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> blocks_;
  size_t cached_bytes_ = 0;
};

LargeBlockCache& large_cache() {
  static LargeBlockCache cache;
  return cache;
}

struct FreeBlock {
  FreeBlock* next;
};

constexpr size_t kClasses = kLargeBlock / kAlignment;

// This thread's free lists of small blocks, one per rounded size (Note [host block caches]).
// Trivially constructible and destructible, so that reaching it costs one TLS lookup and no guard;
// the lists are freed at thread exit by a separate CacheReleaser, registered on first use.
struct ThreadBlockCache {
  enum State : unsigned char { kUnused, kLive, kGone };
  FreeBlock* heads[kClasses];
  size_t cached_bytes;
  State state;
};
thread_local ThreadBlockCache thread_cache;

struct CacheReleaser {
  ~CacheReleaser() {
    ThreadBlockCache& cache = thread_cache;
    cache.state = ThreadBlockCache::kGone;
    for (FreeBlock*& head : cache.heads) {
      while (head != nullptr) {
        FreeBlock* next = head->next;
        std::free(head);
        head = next;
      }
    }
  }
};
thread_local CacheReleaser cache_releaser;

// This thread's cache, or null once it was released at thread exit.
ThreadBlockCache* live_cache() {
  ThreadBlockCache* cache = &thread_cache;
  // One TLS lookup: without this barrier GCC repeats the __tls_get_addr call at every use.
  asm("" : "+r"(cache));
  if (cache->state == ThreadBlockCache::kLive) [[likely]]
    return cache;
  if (cache->state == ThreadBlockCache::kGone) return nullptr;
  (void)&cache_releaser;  // constructs it, so that its destructor runs at thread exit
  cache->state = ThreadBlockCache::kLive;
  return cache;
}

// A cached block of `rounded` bytes, or null.
void* take_cached(size_t rounded) {
  if (!kCacheEnabled) return nullptr;
  if (rounded >= kLargeBlock) return large_cache().take(rounded);
  ThreadBlockCache* cache = live_cache();
  if (cache == nullptr) return nullptr;
  FreeBlock*& head = cache->heads[rounded / kAlignment - 1];
  FreeBlock* block = head;
  if (block == nullptr) return nullptr;
  head = block->next;
  cache->cached_bytes -= rounded;
  return block;
}

// True when the cache kept `p`.
bool give_cached(void* p, size_t rounded) {
  if (!kCacheEnabled) return false;
  if (rounded >= kLargeBlock) return large_cache().give(p, rounded);
  ThreadBlockCache* cache = live_cache();
  if (cache == nullptr || cache->cached_bytes + rounded > kThreadCacheBytes) return false;
  FreeBlock*& head = cache->heads[rounded / kAlignment - 1];
  head = ::new (p) FreeBlock{head};
  cache->cached_bytes += rounded;
  return true;
}

}  // namespace

void* CpuBackend::allocate(size_t nbytes) {
  if (nbytes == 0) return nullptr;
  void* p = nullptr;
  if (nbytes > kMaxAllocation - kAlignment) {
    p = nullptr;  // rounding up would wrap around; no allocator grants this much anyway
  } else if (nbytes <= kSmallBuffer) {
    p = std::malloc(nbytes);
  } else {
    const size_t rounded = rounded_size(nbytes);
    p = take_cached(rounded);
    if (!p) p = std::aligned_alloc(kAlignment, rounded);
  }
  if (!p) {
    MG_FAIL(
        "out of CPU memory: failed to allocate {} bytes ({:.2f} GiB); free some tensors or use "
        "smaller sizes",
        nbytes, static_cast<double>(nbytes) / static_cast<double>(size_t{1} << 30));
  }
  return p;
}

void CpuBackend::deallocate(void* ptr, size_t nbytes) {
  if (!ptr) return;
  if (nbytes > kSmallBuffer && give_cached(ptr, rounded_size(nbytes))) return;
  std::free(ptr);
}

}  // namespace metagrad::cpu
