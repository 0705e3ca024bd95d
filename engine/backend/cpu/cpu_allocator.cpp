// The CPU backend's host allocator: aligned blocks, recycled through two bounded caches.
//
// Note [host block caches]
// Every op allocates its result, and a training loop allocates the same sizes step after step.
// glibc serves 64-byte-aligned requests through its slow memalign path, returns large freed blocks
// to the system (each new one then faults its pages in again), and its bins churn under the
// allocate-many / free-many pattern of a forward and backward pass. So freed blocks are kept for
// reuse, keyed by their size rounded up to kAlignment:
// - small blocks (below kLargeBlock) in a per-thread cache: one free list per rounded size, no
//   lock. At most kThreadCacheBytes per thread. Behind the thread caches is one shared depot of
//   the same lists (under a mutex, at most kDepotBytes): a thread cache that is full passes a
//   freed block on to the depot, one that is empty asks the depot before glibc, and at thread
//   exit a thread cache moves its blocks there. So the blocks of short-lived threads serve the
//   next ones instead of going back to glibc, which would return their pages to the system (the
//   workers of parallel_tasks persist, Note [persistent workers], and keep their caches). A block
//   freed on another thread than the one that allocated it joins the freeing thread's cache (glibc
//   blocks may be freed on any thread); one freed after its thread's cache is gone goes to the
//   depot. What the depot cannot hold goes back to glibc.
// - large blocks (kLargeBlock and above) in one LargeBlockCache shared by all threads, under a
//   mutex. Their sizes are rounded up to size classes (at most 12.5 % more, as the CUDA caching
//   allocator's), so that nearby sizes share blocks. It holds up to a quarter of the process's
//   memory (at least 1 GiB), and makes room by freeing the least recently used classes' blocks.
//   Blocks above glibc's mmap threshold go back to the system when freed, and a new one faults
//   all its pages in again: with a 1 GiB cache that only took exact sizes, the 32-task vectorized
//   Omniglot meta-step (activations of 400 MB) spent over a third of its time in page faults and
//   ran 4.5 times slower (14.2 s against 3.2 s). A failed allocation empties every cache and is
//   retried once; CpuBackend::empty_cache (metagrad::cpu_empty_cache) returns them at will.
// - glibc itself, on the first CPU allocation (unless GLIBC_TUNABLES sets malloc tunables): a
//   fixed mmap threshold of kMmapThreshold and a trim threshold of kTrimThreshold. Eigen's GEMM
//   allocates its packing buffers (hundreds of KiB) with malloc on every product; with glibc's
//   defaults, in threads other than the main one (the workers of a task-parallel meta-step), each
//   of them came from pages that had just been returned to the system, and faulted in again
//   (about 8000 page faults per 4-task Omniglot meta-step, none with these thresholds). Peak RSS
//   is unchanged: the thresholds keep at most kTrimThreshold of free heap per arena.
// Buffers of at most kSmallBuffer bytes come from plain malloc (CPU storages keep those inline, so
// the backend sees them only from direct callers). Under AddressSanitizer nothing is cached, so
// that it sees every use after free.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

#include "engine/address_sanitizer.hpp"
#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/large_block_cache.hpp"
#include "engine/backend/size_bucket.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace metagrad::cpu {
namespace {

// Larger buffers are always 64-byte aligned: vectorised kernels take alignment-dependent paths,
// and equal inputs must give bit-identical results.
constexpr size_t kAlignment = 64;
constexpr size_t kSmallBuffer = 16;
constexpr size_t kLargeBlock = size_t{1} << 16;
constexpr size_t kThreadCacheBytes = size_t{8} << 20;
constexpr size_t kDepotBytes = size_t{64} << 20;
constexpr int kMmapThreshold = 32 << 20;
constexpr int kTrimThreshold = 64 << 20;

#if MG_ADDRESS_SANITIZER
constexpr bool kCacheEnabled = false;
// AddressSanitizer aborts the process on a request above its 1 TiB limit instead of returning
// null; refusing those requests here keeps "out of memory" a metagrad::Error under ASan too.
constexpr size_t kMaxAllocation = size_t{1} << 40;
#else
constexpr bool kCacheEnabled = true;
constexpr size_t kMaxAllocation = static_cast<size_t>(PTRDIFF_MAX);
#endif

// The size of the block that serves a request of `nbytes` (> kSmallBuffer): a multiple of
// kAlignment, and for large blocks their size class (detail::eighth_power_of_two_bucket).
size_t block_size(size_t nbytes) {
  const size_t rounded = (nbytes + kAlignment - 1) / kAlignment * kAlignment;
  return rounded < kLargeBlock ? rounded
                               : detail::eighth_power_of_two_bucket(rounded, "CPU allocator");
}

// The shared cache of large freed blocks. Never destroyed: threads may still free blocks after
// static destruction began.
LargeBlockCache& large_cache() {
  static LargeBlockCache* cache = new LargeBlockCache(default_large_cache_limit());
  return *cache;
}

struct FreeBlock {
  FreeBlock* next;
};

// Returns the list of blocks at `head` to glibc and empties it.
void free_list(FreeBlock*& head) {
  while (head != nullptr) {
    FreeBlock* next = head->next;
    std::free(head);
    head = next;
  }
}

constexpr size_t kClasses = kLargeBlock / kAlignment;

size_t class_of(size_t rounded) { return rounded / kAlignment - 1; }

// The shared depot behind the thread caches (Note [host block caches]).
class SmallBlockDepot {
 public:
  void* take(size_t rounded) {
    std::lock_guard lock(mutex_);
    FreeBlock*& head = heads_[class_of(rounded)];
    FreeBlock* block = head;
    if (block == nullptr) return nullptr;
    head = block->next;
    bytes_ -= rounded;
    return block;
  }
  bool give(void* p, size_t rounded) {
    std::lock_guard lock(mutex_);
    return push(p, rounded);
  }
  /// Returns every block to glibc.
  void release_all() {
    std::lock_guard lock(mutex_);
    for (FreeBlock*& head : heads_) free_list(head);
    bytes_ = 0;
  }
  /// Takes over the list `head` of blocks of `rounded` bytes; frees what does not fit.
  void absorb(FreeBlock* head, size_t rounded) {
    std::lock_guard lock(mutex_);
    while (head != nullptr) {
      FreeBlock* next = head->next;
      if (!push(head, rounded)) std::free(head);
      head = next;
    }
  }

 private:
  bool push(void* p, size_t rounded) {
    if (bytes_ + rounded > kDepotBytes) return false;
    FreeBlock*& head = heads_[class_of(rounded)];
    head = ::new (p) FreeBlock{head};
    bytes_ += rounded;
    return true;
  }

  std::mutex mutex_;
  FreeBlock* heads_[kClasses] = {};
  size_t bytes_ = 0;
};

// Never destroyed: threads may still free blocks after static destruction began.
SmallBlockDepot& depot() {
  static SmallBlockDepot* instance = new SmallBlockDepot;
  return *instance;
}

// This thread's free lists of small blocks, one per rounded size (Note [host block caches]).
// Trivially constructible and destructible, so that reaching it costs one TLS lookup and no guard;
// at thread exit a separate CacheReleaser, registered on first use, moves the lists to the depot.
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
    for (size_t c = 0; c < kClasses; ++c) {
      if (cache.heads[c] != nullptr) depot().absorb(cache.heads[c], (c + 1) * kAlignment);
      cache.heads[c] = nullptr;
    }
    cache.cached_bytes = 0;
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
  if (cache != nullptr) {
    FreeBlock*& head = cache->heads[class_of(rounded)];
    if (FreeBlock* block = head) {
      head = block->next;
      cache->cached_bytes -= rounded;
      return block;
    }
  }
  return depot().take(rounded);
}

// True when a cache kept `p`.
bool give_cached(void* p, size_t rounded) {
  if (!kCacheEnabled) return false;
  if (rounded >= kLargeBlock) return large_cache().give(p, rounded);
  ThreadBlockCache* cache = live_cache();
  if (cache == nullptr || cache->cached_bytes + rounded > kThreadCacheBytes)
    return depot().give(p, rounded);
  FreeBlock*& head = cache->heads[class_of(rounded)];
  head = ::new (p) FreeBlock{head};
  cache->cached_bytes += rounded;
  return true;
}

// Sets glibc's malloc thresholds (Note [host block caches]); true when it did.
bool tune_malloc() {
#if defined(__GLIBC__)
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (!kCacheEnabled || (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr))
    return false;
  return mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 &&
         mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
#else
  return false;
#endif
}

}  // namespace

void* CpuBackend::allocate(size_t nbytes) {
  static const bool malloc_tuned = tune_malloc();
  (void)malloc_tuned;
  if (nbytes == 0) return nullptr;
  void* p = nullptr;
  if (nbytes > kMaxAllocation - kAlignment) {
    p = nullptr;  // rounding up would wrap around; no allocator grants this much anyway
  } else if (nbytes <= kSmallBuffer) {
    p = std::malloc(nbytes);
  } else {
    const size_t size = block_size(nbytes);
    p = take_cached(size);
    if (!p) p = std::aligned_alloc(kAlignment, size);
    if (!p && kCacheEnabled) {
      empty_cache();  // the cached blocks may be what the system lacks: retry once without them
      p = std::aligned_alloc(kAlignment, size);
    }
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
  if (nbytes > kSmallBuffer && give_cached(ptr, block_size(nbytes))) return;
  std::free(ptr);
}

void CpuBackend::empty_cache() {
  if (!kCacheEnabled) return;
  large_cache().release_all();
  depot().release_all();
  if (ThreadBlockCache* cache = live_cache()) {
    for (FreeBlock*& head : cache->heads) free_list(head);
    cache->cached_bytes = 0;
  }
}

}  // namespace metagrad::cpu
