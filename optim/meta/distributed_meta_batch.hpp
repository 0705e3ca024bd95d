#pragma once

#include <cstdint>
#include <utility>

#include "optim/meta/meta_batch.hpp"

// A meta-batch split over the ranks of the current process group (Note [process group]): data
// parallelism for meta-learning. Every rank holds the same network and the same batch of tasks;
// each adapts its share of the tasks (meta_batch, on its threads), and one bucketed all_reduce
// sums the shares' meta-gradients. Every rank then holds the single-process meta-gradient (up to
// the order of the sum) and applies the same outer step, so the parameters stay identical.
//
//   auto group = distributed::init();           // mpirun -np 4 ./train, or ./train alone
//   meta_opt.zero_grad();
//   TensorList losses = distributed::meta_batch(net, task_num, task);  // every task's loss
//   meta_opt.step();

namespace metagrad::distributed {
/// \addtogroup meta
/// @{

/// The tasks [first, last) of a batch of `tasks` that `rank` of `world_size` ranks runs: contiguous
/// shares whose sizes differ by at most one.
std::pair<int64_t, int64_t> task_share(int64_t tasks, int rank, int world_size);

/// metagrad::meta_batch over the ranks of the current group (a world of one without one): rank r
/// runs tasks task_share(tasks, r, world_size()) of the batch, `task` receiving the global task
/// index; the tasks' meta-gradients, combined as options.reduction says over all `tasks`, are
/// added to the .grad of the inputs on every rank (one all_reduce of the inputs' gradients).
/// Afterwards net's buffers are the same on every rank and equal the single-process result:
/// floating buffers hold what the last task left (broadcast from its rank), counters advanced by
/// every task. Returns every task's loss, detached, in task order, on every rank. Every rank must
/// call it with the same `tasks`, network and options. Errors as metagrad::meta_batch's; an
/// exception in one rank's task ends the others' call with a DistributedError (run the work in
/// ProcessGroup::guard).
TensorList meta_batch(nn::Module& net, int64_t tasks, const MetaTask& task,
                      const MetaBatchOptions& options = {});

/// @}

}  // namespace metagrad::distributed
