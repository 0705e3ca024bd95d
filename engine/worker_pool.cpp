#include "engine/worker_pool.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace metagrad::detail {
namespace {

// Set in a child process made by fork(), where the pool's threads do not exist.
std::atomic<bool> forked_child{false};

// One call of run_on_workers, on its caller's stack. Guarded by the pool's mutex.
struct Job {
  const std::function<void()>* work;
  int open_slots;  // helpers that may still join
  int running;     // helpers inside work() now
  std::condition_variable finished;
};

// The process-wide pool (Note [persistent workers]).
class WorkerPool {
 public:
  void run(int helpers, const std::function<void()>& work) {
    if (helpers <= 0 || forked_child.load(std::memory_order_relaxed)) {
      work();
      return;
    }
    Job job{&work, helpers, 0, {}};
    {
      std::lock_guard lock(mutex_);
      if (stopped_) {
        job.open_slots = 0;
      } else {
        open_jobs_.push_back(&job);
        open_slots_ += helpers;
        grow_locked();
        for (int i = 0; i < helpers; ++i) wake_.notify_one();
      }
    }
    // Closes the job and waits for the helpers that joined it, also when work() throws: they
    // read the caller's stack.
    struct Closer {
      WorkerPool& pool;
      Job& job;
      ~Closer() { pool.close(job); }
    } closer{*this, job};
    work();
  }

  int size() {
    std::lock_guard lock(mutex_);
    return static_cast<int>(threads_.size());
  }

  // Wakes and joins every thread; later jobs run on their caller alone.
  void shut_down() {
    if (forked_child.load(std::memory_order_relaxed)) return;  // the threads are the parent's
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
      threads.swap(threads_);
    }
    wake_.notify_all();
    for (std::thread& t : threads) {
      if (t.get_id() == std::this_thread::get_id()) {
        t.detach();  // exit() called from a task: this thread cannot join itself
      } else {
        t.join();
      }
    }
  }

 private:
  // Starts threads until every open slot has an idle thread to claim it (or the system refuses).
  void grow_locked() {
    while (idle_ < open_slots_) {
      try {
        threads_.emplace_back([this] { loop(); });
      } catch (const std::system_error&) {
        return;  // the slots no thread claims are not run (Note [persistent workers])
      }
      ++idle_;
    }
  }

  void close(Job& job) {
    std::unique_lock lock(mutex_);
    if (job.open_slots > 0) {
      open_slots_ -= job.open_slots;
      job.open_slots = 0;
      open_jobs_.erase(std::find(open_jobs_.begin(), open_jobs_.end(), &job));
    }
    job.finished.wait(lock, [&] { return job.running == 0; });
  }

  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stopped_ || !open_jobs_.empty(); });
      if (stopped_) return;
      Job* job = open_jobs_.front();
      if (--job->open_slots == 0) open_jobs_.erase(open_jobs_.begin());
      --open_slots_;
      --idle_;
      ++job->running;
      lock.unlock();
      run_noexcept(*job->work);
      lock.lock();
      ++idle_;
      // Notified under the lock: the caller cannot return (and free the job) before we unlock.
      if (--job->running == 0) job->finished.notify_one();
    }
  }

  static void run_noexcept(const std::function<void()>& work) noexcept { work(); }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Job*> open_jobs_;  // jobs with open slots, oldest first
  int open_slots_ = 0;           // sum of open_jobs_' open slots
  int idle_ = 0;                 // threads waiting for a job
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

// Never destroyed (Note [persistent workers]): a call from a static destructor still finds it.
WorkerPool& pool() {
  static WorkerPool* const instance = [] {
    pthread_atfork(nullptr, nullptr, [] { forked_child.store(true, std::memory_order_relaxed); });
    return new WorkerPool;
  }();
  // Joins the threads at exit, before the destructors of the statics made before the pool's first
  // use run (the threads' own exit, their thread_local destructors, may use those).
  static struct ShutDown {
    ~ShutDown() { instance->shut_down(); }
  } shut_down;
  return *instance;
}

}  // namespace

void run_on_workers(int helpers, const std::function<void()>& work) { pool().run(helpers, work); }

int worker_pool_size() { return pool().size(); }

}  // namespace metagrad::detail
