#include "engine/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "engine/error.hpp"
#include "engine/grad_mode.hpp"
#include "engine/worker_pool.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace metagrad {

namespace {

#ifndef _OPENMP
// Without OpenMP the count only sizes parallel_tasks' default: ops run on one thread.
thread_local int num_threads_without_openmp =
    static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
#endif

void check_thread_count(const char* what, int n) {
  MG_CHECK(n >= 1, "{}: the thread count must be at least 1, got {}", what, n);
}

// The first failure by task index: what parallel_tasks rethrows.
class FirstFailure {
 public:
  void record(int64_t task, std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    if (!error_ || task < task_) {
      task_ = task;
      error_ = std::move(error);
    }
  }
  void rethrow_if_any() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  int64_t task_ = 0;
  std::exception_ptr error_;
};

}  // namespace

int get_num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return num_threads_without_openmp;
#endif
}

void set_num_threads(int n) {
  check_thread_count("set_num_threads", n);
#ifdef _OPENMP
  omp_set_num_threads(n);
#else
  num_threads_without_openmp = n;
#endif
}

NumThreadsGuard::NumThreadsGuard(int n) : previous_(get_num_threads()) {
  check_thread_count("NumThreadsGuard", n);
  set_num_threads(n);
}

NumThreadsGuard::~NumThreadsGuard() { set_num_threads(previous_); }

void parallel_tasks(int64_t count, const std::function<void(int64_t)>& body,
                    const TaskParallelOptions& options) {
  MG_CHECK(count >= 0, "parallel_tasks: the task count must be >= 0, got {}", count);
  MG_CHECK(options.workers >= 0 && options.intra_op_threads >= 0,
           "parallel_tasks: workers ({}) and intra_op_threads ({}) must be >= 0 (0 picks the "
           "default)",
           options.workers, options.intra_op_threads);
  if (count == 0) return;
  const int available = get_num_threads();
  const int workers =
      static_cast<int>(std::min<int64_t>(count, options.workers > 0 ? options.workers : available));
  const int intra =
      options.intra_op_threads > 0 ? options.intra_op_threads : std::max(1, available / workers);
  const bool grad_enabled = is_grad_enabled();

  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  FirstFailure failure;
  auto work = [&] {
    set_grad_enabled(grad_enabled);
    NumThreadsGuard threads(intra);
    for (int64_t task = next++; task < count && !failed.load(); task = next++) {
      try {
        body(task);
      } catch (...) {
        failure.record(task, std::current_exception());
        failed = true;
      }
    }
  };

  {
    const bool caller_grad_mode = is_grad_enabled();
    detail::run_on_workers(workers - 1, work);
    set_grad_enabled(caller_grad_mode);
  }
  failure.rethrow_if_any();
}

}  // namespace metagrad
