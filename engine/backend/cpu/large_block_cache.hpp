#pragma once

// The CPU allocator's cache of large freed blocks (Note [host block caches] in cpu_allocator.cpp).
// Internal to the CPU backend; declared here so that its policy can be tested on its own.
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

namespace metagrad::cpu {

/// Freed blocks from std::aligned_alloc / std::malloc, kept by size class for reuse, at most
/// `limit` bytes in all. When a freed block does not fit, the blocks of the least recently used
/// size classes are returned to the system to make room (a class is used when a block of it is
/// taken or given). Thread-safe.
class LargeBlockCache {
 public:
  /// An empty cache that holds at most `limit` bytes.
  explicit LargeBlockCache(size_t limit) : limit_(limit) {}
  ~LargeBlockCache() { release_all(); }
  LargeBlockCache(const LargeBlockCache&) = delete;
  LargeBlockCache& operator=(const LargeBlockCache&) = delete;

  /// A cached block of exactly `size` bytes (a size class), or null when none is cached.
  void* take(size_t size);
  /// Keeps the block `p` of `size` bytes, freeing least recently used classes' blocks to make
  /// room; false (the caller frees p) when the block alone exceeds the limit.
  bool give(void* p, size_t size);
  /// Returns every cached block to the system.
  void release_all();
  /// The bytes cached now.
  size_t cached_bytes() const;
  /// The most bytes the cache holds.
  size_t limit() const { return limit_; }

 private:
  struct SizeClass {
    std::vector<void*> blocks;
    uint64_t last_use = 0;
  };

  const size_t limit_;
  mutable std::mutex mutex_;
  std::map<size_t, SizeClass> classes_;  // size -> its cached blocks
  size_t cached_bytes_ = 0;
  uint64_t clock_ = 0;
};

/// The limit of the CPU allocator's large-block cache: a quarter of the memory this process may
/// use (the smaller of the physical memory and the cgroup's memory.max), at least 1 GiB.
size_t default_large_cache_limit();

}  // namespace metagrad::cpu
