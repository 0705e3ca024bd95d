// cpu_storage_stats across threads (Note [storage counters] in engine/storage.cpp): each thread
// counts into its own pair, folded into the totals when it exits, so the totals stay exact for
// storages that live and die on another thread, that cross threads, and that outlive their thread.
// Catch2 is not thread-safe, so the threads record what they saw and the assertions run afterwards.
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;

namespace {

// Bytes of the float32 tensors below: one kept in the Storage object itself, one allocated.
constexpr int64_t kSmallBytes = 4 * 4;
constexpr int64_t kLargeBytes = 4 * 1000;

// The live storages and bytes, comparable.
std::pair<int64_t, int64_t> counts(const StorageStats& stats) {
  return {stats.live_storages, stats.live_bytes};
}

// A one-shot signal between two threads.
class Latch {
 public:
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    opened_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    opened_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

}  // namespace

TEST_CASE("cpu_storage_stats counts the storages of other threads exactly", "[threads][memory]") {
  const StorageStats before = cpu_storage_stats();

  // A thread that creates and frees its storages leaves the totals as they were.
  std::thread([] { const Tensor small = zeros({4}), large = zeros({1000}); }).join();
  CHECK(counts(cpu_storage_stats()) == counts(before));

  // While the thread is alive its storages are counted; they are gone once it frees them.
  Latch created, checked;
  StorageStats while_alive;
  std::thread holder([&] {
    const Tensor small = zeros({4}), large = zeros({1000});
    created.open();
    checked.wait();
  });
  created.wait();
  while_alive = cpu_storage_stats();
  checked.open();
  holder.join();
  CHECK(while_alive.live_storages == before.live_storages + 2);
  CHECK(while_alive.live_bytes == before.live_bytes + kSmallBytes + kLargeBytes);
  CHECK(counts(cpu_storage_stats()) == counts(before));

  // Storages that cross threads: created in a thread that exits, freed here; created here, freed
  // in a thread.
  Tensor outlives_its_thread;
  std::thread([&] { outlives_its_thread = zeros({1000}); }).join();
  const StorageStats after_exit = cpu_storage_stats();
  CHECK(after_exit.live_storages == before.live_storages + 1);
  CHECK(after_exit.live_bytes == before.live_bytes + kLargeBytes);
  outlives_its_thread = Tensor();
  CHECK(counts(cpu_storage_stats()) == counts(before));

  Tensor handed_over = zeros({4});
  std::thread([moved = std::move(handed_over)]() mutable { moved = Tensor(); }).join();
  CHECK(counts(cpu_storage_stats()) == counts(before));
}
