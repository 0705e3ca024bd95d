#pragma once

#include <cstdint>
#include <functional>

// Note [task parallelism]
// Ops parallelise inside themselves (intra-op threads: OpenMP in the CPU backend, Eigen's GEMM).
// For the small ops of a meta-batch that splits each op into pieces too small to keep two cores
// busy: threads wait at the end of every op. The tasks of a meta-batch are independent graphs until
// their losses meet, so running whole tasks on different threads, each with fewer intra-op threads,
// keeps every core busy for the entire task instead. parallel_tasks is that loop; the engine is
// thread-safe for independent graphs (DESIGN §3), and grad mode, the one piece of per-thread
// autograd state, is carried from the caller into every worker. The workers other than the caller
// are threads of a persistent pool (Note [persistent workers] in engine/worker_pool.hpp).

namespace metagrad {
/// \addtogroup engine_tensor
/// @{

/// The number of threads an op started from the calling thread may use (torch.get_num_threads):
/// OpenMP's maximum for this thread, or the hardware's thread count in a build without OpenMP.
int get_num_threads();

/// Sets the number of threads that ops started from the calling thread may use. Unlike
/// torch.set_num_threads it is per thread (OpenMP's rule): the workers of parallel_tasks each set
/// their own. Throws metagrad::Error unless n >= 1.
void set_num_threads(int n);

/// Sets the calling thread's intra-op thread count for its lifetime and restores it afterwards.
class NumThreadsGuard {
 public:
  /// Throws metagrad::Error unless n >= 1.
  explicit NumThreadsGuard(int n);
  ~NumThreadsGuard();
  NumThreadsGuard(const NumThreadsGuard&) = delete;
  NumThreadsGuard& operator=(const NumThreadsGuard&) = delete;

 private:
  int previous_;
};

/// Options of parallel_tasks.
struct TaskParallelOptions {
  /// Threads that run tasks at once, the calling thread included; 0 means get_num_threads().
  /// Never more than the number of tasks.
  int workers = 0;
  /// Intra-op threads of each worker while it runs tasks; 0 means
  /// max(1, get_num_threads() / workers), which splits the caller's threads among the workers.
  int intra_op_threads = 0;
};

/// Runs body(i) once for every i in [0, count), up to `workers` tasks at a time (Note [task
/// parallelism]). The calling thread is one of the workers; the others are threads of a
/// process-wide pool, started on first need and reused by later calls (Note [persistent workers]),
/// and all of them have finished when parallel_tasks returns. Tasks are handed out in index order
/// to whichever worker is free, so body must not depend on which thread runs it: it may read shared
/// data and write to per-task places (element i of a vector), nothing shared without its own lock.
/// Every worker starts with the caller's grad mode. Random numbers drawn from the default generator
/// inside body come in an order that depends on scheduling; pass each task its own Generator for
/// reproducible draws.
///
/// If any body throws, no further task is started, the running ones finish, and the exception of
/// the lowest-numbered failed task is rethrown on the calling thread. count == 0 does nothing;
/// a negative count, workers or intra_op_threads throws metagrad::Error.
void parallel_tasks(int64_t count, const std::function<void(int64_t)>& body,
                    const TaskParallelOptions& options = {});

/// @}

}  // namespace metagrad
