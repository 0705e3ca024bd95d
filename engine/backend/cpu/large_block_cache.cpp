#include "engine/backend/cpu/large_block_cache.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

namespace metagrad::cpu {

void* LargeBlockCache::take(size_t size) {
  std::lock_guard lock(mutex_);
  auto it = classes_.find(size);
  if (it == classes_.end() || it->second.blocks.empty()) return nullptr;
  void* p = it->second.blocks.back();
  it->second.blocks.pop_back();
  it->second.last_use = ++clock_;
  cached_bytes_ -= size;
  return p;
}

bool LargeBlockCache::give(void* p, size_t size) {
  if (size > limit_) return false;
  std::vector<void*> evicted;
  {
    std::lock_guard lock(mutex_);
    while (cached_bytes_ + size > limit_) {
      // The least recently used class that holds blocks (classes are few: a scan is cheap).
      auto victim = classes_.end();
      for (auto it = classes_.begin(); it != classes_.end(); ++it)
        if (!it->second.blocks.empty() &&
            (victim == classes_.end() || it->second.last_use < victim->second.last_use))
          victim = it;
      evicted.push_back(victim->second.blocks.back());
      victim->second.blocks.pop_back();
      cached_bytes_ -= victim->first;
      if (victim->second.blocks.empty()) classes_.erase(victim);
    }
    SizeClass& size_class = classes_[size];
    size_class.blocks.push_back(p);
    size_class.last_use = ++clock_;
    cached_bytes_ += size;
  }
  for (void* block : evicted) std::free(block);  // outside the lock: munmap may take a while
  return true;
}

void LargeBlockCache::release_all() {
  std::map<size_t, SizeClass> released;
  {
    std::lock_guard lock(mutex_);
    released.swap(classes_);
    cached_bytes_ = 0;
  }
  for (auto& [size, size_class] : released)
    for (void* p : size_class.blocks) std::free(p);
}

size_t LargeBlockCache::cached_bytes() const {
  std::lock_guard lock(mutex_);
  return cached_bytes_;
}

namespace {

// The cgroup v2 memory limit of this process in bytes ("max" or unreadable: no limit).
size_t cgroup_memory_limit() {
  std::ifstream file("/sys/fs/cgroup/memory.max");
  std::string text;
  if (!(file >> text) || text.empty() || text.size() > 20 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::numeric_limits<size_t>::max();
  return static_cast<size_t>(std::strtoull(text.c_str(), nullptr, 10));
}

}  // namespace

size_t default_large_cache_limit() {
  constexpr size_t kMinLimit = size_t{1} << 30;
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  size_t usable = std::numeric_limits<size_t>::max();
  if (pages > 0 && page_size > 0 &&
      static_cast<size_t>(pages) <= usable / static_cast<size_t>(page_size))
    usable = static_cast<size_t>(pages) * static_cast<size_t>(page_size);
  usable = std::min(usable, cgroup_memory_limit());
  return std::max(kMinLimit, usable == std::numeric_limits<size_t>::max() ? kMinLimit : usable / 4);
}

}  // namespace metagrad::cpu
