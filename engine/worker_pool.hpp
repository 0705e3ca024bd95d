#pragma once

#include <functional>

// Note [persistent workers]
// parallel_tasks (Note [task parallelism]) used to start its helper threads anew on every call. A
// meta-step calls it once, so every step paid for creating and joining the threads, and each new
// thread began with empty per-thread caches (Note [object pool], Note [host block caches]) and no
// OpenMP team: the first ops of every task took the allocators' slow paths. The helpers are now
// threads of one process-wide pool, started on first need and kept, parked on a condition variable
// between calls, so their caches stay warm from one meta-step to the next.
//
// - A call to run_on_workers opens a job with `helpers` slots. Idle pool threads claim slots and
//   run the job's function once each; the calling thread runs it too. Before returning, the caller
//   closes the job (no thread claims a slot after that) and waits only for the threads that did
//   claim one. So the caller's own run must be able to finish the job alone (parallel_tasks' work
//   loop takes tasks from a shared counter until none is left), and a job never waits for a thread
//   that is busy elsewhere: nested calls (a task that calls parallel_tasks) and concurrent calls
//   from several threads cannot deadlock.
// - The pool grows so that every open slot has an idle thread to claim it, and never shrinks: it
//   holds as many threads as were ever busy at once. When the system refuses a new thread the
//   slots that no thread claims are simply not run.
// - At process exit (static destruction) the threads are woken and joined, and later calls run on
//   the calling thread alone. The pool object itself is never destroyed, so a call from a static
//   destructor finds it intact. In a child process made by fork() the pool's threads do not exist:
//   there every call runs on the calling thread alone and exit joins nothing.

namespace metagrad::detail {

/// Runs `work()` on the calling thread and, at the same time, on up to `helpers` threads of the
/// process-wide worker pool (one call each), and returns when every one of these calls has
/// returned (Note [persistent workers]). A helper that is not free when the job opens may never
/// run it, so work() on the calling thread alone must do the whole job. `work` must not throw on a
/// pool thread (std::terminate); an exception from the caller's own call is rethrown after the
/// helpers have finished. helpers <= 0 runs work() on the calling thread only.
void run_on_workers(int helpers, const std::function<void()>& work);

/// The number of threads the worker pool holds now (for tests and diagnostics).
int worker_pool_size();

}  // namespace metagrad::detail
