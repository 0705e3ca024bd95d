#pragma once

#include <cstdint>
#include <functional>

#include "engine/nn/module.hpp"
#include "engine/parallel.hpp"
#include "engine/tensor.hpp"

// The task loop of a meta-batch, run concurrently (Note [task parallelism] in engine/parallel.hpp).
// TorchOpt's MAML tutorial adapts one network to each task in turn and resets it between tasks
// (extract_state_dict / recover_state_dict). meta_batch gives every worker thread its own replica
// of the network whose parameter slots hold the network's own parameters, so the tasks' graphs all
// start from the same leaves and run side by side:
//
//   meta_opt.zero_grad();
//   TensorList losses = meta_batch(net, task_num, [&](nn::Module& replica, int64_t i) {
//     MetaSGD inner_opt(replica, {.lr = 0.1});
//     for (int k = 0; k < 5; ++k) inner_opt.step(cross_entropy(replica(x_spt[i]), y_spt[i]));
//     return cross_entropy(replica(x_qry[i]), y_qry[i]);
//   });  // the gradient of the mean query loss is now in the parameters' .grad
//   meta_opt.step();

namespace metagrad {
/// \addtogroup meta
/// @{

/// How meta_batch combines the tasks' losses into the objective it differentiates.
enum class MetaBatchReduction {
  Mean,  ///< mean over tasks: stack(losses).mean().backward(), as TorchOpt's MAML example
  Sum,   ///< sum over tasks: one loss.backward() per task
};

/// Options of meta_batch.
struct MetaBatchOptions {
  /// How the tasks' meta-gradients combine (mean or sum).
  MetaBatchReduction reduction = MetaBatchReduction::Mean;
  /// The leaves whose .grad receives the meta-gradient. Empty (the default): the module's
  /// parameters that require grad. Name other leaves the losses depend on (a learned inner learning
  /// rate, say) here, with the parameters, to have their gradient too.
  TensorList inputs;
  /// Tasks run at once, and each one's intra-op threads (see TaskParallelOptions; 0 = default:
  /// as many workers as the caller has threads, one thread each).
  TaskParallelOptions parallel;
};

/// One task of a meta-batch: adapts `replica` (this worker's copy of the network, reset to the
/// network's parameters and buffers before every task) to task `task` and returns its loss, a
/// scalar. Runs concurrently with other tasks: it may read shared data and write to per-task
/// places only (see parallel_tasks).
using MetaTask = std::function<Tensor(nn::Module& replica, int64_t task)>;

/// Runs `task` for 0 <= i < tasks on worker threads and accumulates the gradient of the combined
/// losses (see MetaBatchReduction) into the .grad of options.inputs, in task order, as the
/// sequential loop's backward would (so the result does not depend on scheduling). Returns the
/// tasks' losses, detached, in task order.
///
/// - Every worker owns a clone of `net` (its structure, training mode and hyper-parameters).
///   Before each task the clone's parameter slots are rebound to net's current parameters and its
///   buffers to copies of net's buffers. Afterwards net's floating buffers hold, in place, the
///   values that the last task (index tasks - 1) left in its replica, and its integer buffers
///   (counters such as num_batches_tracked) have advanced by the sum of every task's advance: what
///   a loop that runs every task on net's own buffers leaves when running statistics are
///   overwritten rather than averaged (BatchNorm with momentum 1, as in TorchOpt's tutorial).
///   (TorchOpt's loop with detach_buffers restores a snapshot after each task, so there the
///   counters lose the first task's advance; the floating buffers are the same.)
/// - A loss that does not require grad (computed under NoGradGuard, say) adds nothing: an
///   evaluation batch uses meta_batch to adapt and score tasks in parallel.
/// - Throws metagrad::Error for tasks < 0, an undefined or non-scalar loss, or an input that is not
///   a leaf requiring grad (pass the leaves the parameters come from as options.inputs); the first
///   failing task's exception otherwise. On any error no .grad and no buffer of net changes.
TensorList meta_batch(nn::Module& net, int64_t tasks, const MetaTask& task,
                      const MetaBatchOptions& options = {});

/// @}

}  // namespace metagrad
