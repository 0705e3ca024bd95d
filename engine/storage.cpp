#include "engine/storage.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

#include "engine/backend/backend.hpp"
#include "engine/memory_stats.hpp"

namespace metagrad {
namespace {

// Note [storage counters]
// Every CPU Storage constructor and destructor updates the live counters of cpu_storage_stats. A
// shared atomic would cost two locked read-modify-writes per tensor, and a cache line that every
// thread of a task-parallel step fights over. So each thread counts into its own pair, which only
// it writes (relaxed atomics: plain loads and stores); cpu_storage_stats sums the pairs of all
// threads under the registry's lock, plus what exited threads left (a storage freed on another
// thread than its creator's makes the two counts negative and positive: the sum stays exact).
struct Counters {
  std::atomic<int64_t> storages{0};
  std::atomic<int64_t> bytes{0};
};

struct Registry {
  std::mutex mutex;
  std::vector<const Counters*> threads;
  int64_t retired_storages = 0;
  int64_t retired_bytes = 0;
};

// Never destroyed: threads may still free storages after static destruction began.
Registry& registry() {
  static Registry* instance = new Registry;
  return *instance;
}

// This thread's counters. Constant-initialised and trivially destructible, so that reaching them
// costs one TLS lookup and no guard; registered on first use, and folded into the registry's
// totals at thread exit by a CountersReleaser.
struct ThreadCounters {
  enum State : unsigned char { kUnused, kLive, kGone };
  Counters counters;
  State state = kUnused;
};
thread_local ThreadCounters thread_counters;

struct CountersReleaser {
  ~CountersReleaser() {
    ThreadCounters& mine = thread_counters;
    // The compiler may construct every thread-local of a translation unit at the first use of
    // any of them (a unity build puts pool_allocator.cpp's releaser here): a thread that never
    // counted has nothing registered to fold.
    if (mine.state != ThreadCounters::kLive) {
      mine.state = ThreadCounters::kGone;
      return;
    }
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    mine.state = ThreadCounters::kGone;
    r.retired_storages += mine.counters.storages.load(std::memory_order_relaxed);
    r.retired_bytes += mine.counters.bytes.load(std::memory_order_relaxed);
    r.threads.erase(std::find(r.threads.begin(), r.threads.end(), &mine.counters));
  }
};
thread_local CountersReleaser counters_releaser;

// Adds (storages, bytes) to this thread's counters, or to the registry's totals once the thread's
// counters are gone (a static tensor freed at thread exit).
void count(int64_t storages, int64_t bytes) {
  ThreadCounters* mine = &thread_counters;
  // One TLS lookup: without this barrier GCC repeats the __tls_get_addr call at every use.
  asm("" : "+r"(mine));
  if (mine->state == ThreadCounters::kUnused) {
    (void)&counters_releaser;  // constructs it, so that its destructor runs at thread exit
    std::lock_guard lock(registry().mutex);
    registry().threads.push_back(&mine->counters);
    mine->state = ThreadCounters::kLive;
  }
  if (mine->state == ThreadCounters::kLive) [[likely]] {
    Counters& c = mine->counters;
    c.storages.store(c.storages.load(std::memory_order_relaxed) + storages,
                     std::memory_order_relaxed);
    c.bytes.store(c.bytes.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
    return;
  }
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.retired_storages += storages;
  r.retired_bytes += bytes;
}

}  // namespace

Storage::Storage(size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device.is_cpu() && nbytes <= kInlineBytes) {
    data_ = static_cast<void*>(inline_);
  } else {
    Backend& backend = backend_for(device);
    data_ = backend.allocate(nbytes);
    allocator_ = &backend;
  }
  if (device.is_cpu()) count(1, static_cast<int64_t>(nbytes));
}

Storage::~Storage() {
  // The backend that allocated the bytes takes them back: a test that swaps the CUDA backend
  // (ScopedEmulatedCuda) may free a tensor after the swap.
  if (allocator_ != nullptr) allocator_->deallocate(data_, nbytes_);
  if (device_.is_cpu()) count(-1, -static_cast<int64_t>(nbytes_));
}

StorageStats cpu_storage_stats() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  StorageStats stats{r.retired_storages, r.retired_bytes};
  for (const Counters* c : r.threads) {
    stats.live_storages += c->storages.load(std::memory_order_relaxed);
    stats.live_bytes += c->bytes.load(std::memory_order_relaxed);
  }
  return stats;
}

void cpu_empty_cache() { backend_for(kCPU).empty_cache(); }

}  // namespace metagrad
