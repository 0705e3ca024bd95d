// The persistent workers behind parallel_tasks (Note [persistent workers]): later calls reuse the
// threads of earlier ones, nested and concurrent calls finish, and a child process made by fork()
// runs its tasks on the calling thread. Catch2 is not thread-safe, so the task bodies record what
// they saw and the assertions run afterwards.
#include "engine/worker_pool.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/parallel.hpp"
#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;

// Runs `count` tasks on `workers` workers; true when each ran exactly once.
bool each_runs_once(int64_t count, int workers) {
  std::vector<std::atomic<int>> runs(static_cast<size_t>(count));
  parallel_tasks(count, [&](int64_t i) { ++runs[static_cast<size_t>(i)]; }, {.workers = workers});
  for (const auto& r : runs)
    if (r.load() != 1) return false;
  return true;
}

// Runs `workers` tasks on as many workers, each waiting (up to 10 s) until all have started; true
// when every one saw the others start, so that the tasks ran side by side.
bool run_side_by_side(int workers) {
  std::mutex mutex;
  std::condition_variable all_started;
  int started = 0;
  std::atomic<int> met{0};
  parallel_tasks(workers,
                 [&](int64_t) {
                   std::unique_lock lock(mutex);
                   if (++started == workers) all_started.notify_all();
                   if (all_started.wait_for(lock, std::chrono::seconds(10),
                                            [&] { return started == workers; }))
                     ++met;
                 },
                 {.workers = workers});
  return met.load() == workers;
}

TEST_CASE("parallel_tasks reuses its worker threads", "[threads][task_parallel]") {
  REQUIRE(each_runs_once(16, 3));
  const int size = detail::worker_pool_size();
  CHECK(size >= 2);
  bool all_ran = true;
  for (int call = 0; call < 20; ++call) all_ran = each_runs_once(16, 3) && all_ran;
  CHECK(all_ran);
  CHECK(detail::worker_pool_size() == size);  // no thread was added for the later calls
}

TEST_CASE("parallel_tasks wakes an idle pool thread for every helper", "[threads][task_parallel]") {
  REQUIRE(each_runs_once(16, 3));  // the pool's threads exist and are idle now
  bool side_by_side = true;
  for (int call = 0; call < 5; ++call) side_by_side = run_side_by_side(3) && side_by_side;
  CHECK(side_by_side);
}

TEST_CASE("nested and concurrent parallel_tasks calls finish", "[threads][task_parallel]") {
  constexpr int64_t kOuter = 6, kInner = 7;
  std::vector<std::atomic<int>> runs(kOuter * kInner);
  parallel_tasks(kOuter,
                 [&](int64_t i) {
                   parallel_tasks(kInner,
                                  [&](int64_t j) { ++runs[static_cast<size_t>(i * kInner + j)]; },
                                  {.workers = 2});
                 },
                 {.workers = 3});
  for (const auto& r : runs) CHECK(r.load() == 1);

  std::atomic<int> failed_calls{0};
  auto caller = [&] {
    for (int call = 0; call < 50; ++call)
      if (!each_runs_once(9, 2)) ++failed_calls;
  };
  std::thread a(caller), b(caller);
  caller();
  a.join();
  b.join();
  CHECK(failed_calls.load() == 0);
}

TEST_CASE("parallel_tasks runs in a forked child", "[threads][task_parallel]") {
  REQUIRE(each_runs_once(8, 3));  // the parent's pool has threads
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) _exit(each_runs_once(8, 3) ? 0 : 1);  // the pool's threads are not here
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(each_runs_once(8, 3));  // and the parent's pool still works
}

}  // namespace
