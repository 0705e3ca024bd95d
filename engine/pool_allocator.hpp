#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace metagrad {
/// \addtogroup engine_tensor
/// @{

// Note [object pool]
// Every op creates a few small heap objects (a TensorImpl and a Storage per result, a Node per
// recorded op), and a forward + backward pass frees them in bursts larger than glibc's per-thread
// cache holds, so most of them took glibc's slow paths. `pool_allocate` keeps freed blocks of up
// to kMaxPooledBytes in per-thread free lists (one per 64-byte size class, no lock), at most
// kThreadPoolBytes per thread; beyond that, and for larger blocks, it is ::operator new. A block
// may be freed on any thread: it joins that thread's lists. At thread exit the lists are freed;
// blocks freed after that go to ::operator delete. Under AddressSanitizer nothing is pooled.

/// The size classes' step: a pooled block of b bytes has ceil(b / kPoolGranule) * kPoolGranule.
inline constexpr size_t kPoolGranule = 64;
/// The largest request served from the pool; larger ones go to the global operator new.
inline constexpr size_t kMaxPooledBytes = 2048;
/// The most a thread's free lists keep; blocks freed beyond it go to the global operator delete.
inline constexpr size_t kThreadPoolBytes = size_t{4} << 20;

/// `bytes` bytes aligned for any type with alignment <= alignof(std::max_align_t), from this
/// thread's pool (Note [object pool]). Throws std::bad_alloc when the system has no memory.
void* pool_allocate(size_t bytes);
/// Returns a block of `bytes` bytes obtained from pool_allocate (on any thread).
void pool_deallocate(void* p, size_t bytes) noexcept;

/// A standard allocator over pool_allocate, for std::allocate_shared of the engine's small
/// objects (the object and its control block in one pooled block).
template <typename T>
struct PoolAllocator {
  static_assert(alignof(T) <= alignof(std::max_align_t), "over-aligned types are not pooled");
  /// The allocated type.
  using value_type = T;

  PoolAllocator() = default;
  /// The rebound allocator (stateless: every PoolAllocator is the same pool).
  template <typename U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}

  /// Room for `n` objects of T from the pool.
  T* allocate(size_t n) { return static_cast<T*>(pool_allocate(n * sizeof(T))); }
  /// Returns the room for `n` objects at `p` to the pool.
  void deallocate(T* p, size_t n) noexcept { pool_deallocate(p, n * sizeof(T)); }

  /// Always true: the allocators share one pool.
  template <typename U>
  bool operator==(const PoolAllocator<U>&) const noexcept {
    return true;
  }
};

/// std::make_shared through the pool (Note [object pool]).
template <typename T, typename... Args>
std::shared_ptr<T> make_pooled(Args&&... args) {
  return std::allocate_shared<T>(PoolAllocator<T>(), std::forward<Args>(args)...);
}

/// @}

}  // namespace metagrad
