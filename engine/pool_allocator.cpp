#include "engine/pool_allocator.hpp"

#include <cstddef>
#include <new>

#include "engine/address_sanitizer.hpp"

namespace metagrad {
namespace {

#if MG_ADDRESS_SANITIZER
constexpr bool kPoolEnabled = false;  // let AddressSanitizer see every use after free
#else
constexpr bool kPoolEnabled = true;
#endif

struct FreeBlock {
  FreeBlock* next;
};

constexpr size_t kClasses = kMaxPooledBytes / kPoolGranule;

// This thread's free lists, one per size class of kPoolGranule bytes (Note [object pool]).
// Trivially constructible and destructible, so that reaching it costs one TLS lookup and no guard;
// the lists are freed at thread exit by a separate PoolReleaser, registered on first use.
struct ThreadPool {
  enum State : unsigned char { kUnused, kLive, kGone };
  FreeBlock* heads[kClasses];
  size_t pooled_bytes;
  State state;
};
thread_local ThreadPool thread_pool;

struct PoolReleaser {
  ~PoolReleaser() {
    ThreadPool& pool = thread_pool;
    pool.state = ThreadPool::kGone;
    for (FreeBlock*& head : pool.heads) {
      while (head != nullptr) {
        FreeBlock* next = head->next;
        ::operator delete(head);
        head = next;
      }
    }
  }
};
thread_local PoolReleaser pool_releaser;

// This thread's pool, or null once it was released at thread exit.
ThreadPool* live_pool() {
  ThreadPool* pool = &thread_pool;
  // One TLS lookup: without this barrier GCC repeats the __tls_get_addr call at every use.
  asm("" : "+r"(pool));
  if (pool->state == ThreadPool::kLive) [[likely]]
    return pool;
  if (pool->state == ThreadPool::kGone) return nullptr;
  (void)&pool_releaser;  // constructs it, so that its destructor runs at thread exit
  pool->state = ThreadPool::kLive;
  return pool;
}

// The size class of a pooled block of `bytes` (1..kMaxPooledBytes) bytes.
size_t size_class_of(size_t bytes) { return (bytes - 1) / kPoolGranule; }

bool pooled(size_t bytes) { return kPoolEnabled && bytes > 0 && bytes <= kMaxPooledBytes; }

}  // namespace

void* pool_allocate(size_t bytes) {
  if (!pooled(bytes)) return ::operator new(bytes);
  const size_t size_class = size_class_of(bytes);
  const size_t class_bytes = (size_class + 1) * kPoolGranule;
  if (ThreadPool* pool = live_pool()) {
    if (FreeBlock* block = pool->heads[size_class]) {
      pool->heads[size_class] = block->next;
      pool->pooled_bytes -= class_bytes;
      return block;
    }
  }
  // Every block of a class has the class's full size, so that any of them serves any request.
  return ::operator new(class_bytes);
}

void pool_deallocate(void* p, size_t bytes) noexcept {
  if (p == nullptr) return;
  if (pooled(bytes)) {
    const size_t size_class = size_class_of(bytes);
    const size_t class_bytes = (size_class + 1) * kPoolGranule;
    ThreadPool* pool = live_pool();
    if (pool != nullptr && pool->pooled_bytes + class_bytes <= kThreadPoolBytes) {
      pool->heads[size_class] = ::new (p) FreeBlock{pool->heads[size_class]};
      pool->pooled_bytes += class_bytes;
      return;
    }
  }
  ::operator delete(p);
}

}  // namespace metagrad
