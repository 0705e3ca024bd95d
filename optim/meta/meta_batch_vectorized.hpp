#pragma once

#include <cstdint>
#include <functional>

#include "engine/nn/module.hpp"
#include "engine/tensor.hpp"
#include "optim/meta/meta_batch.hpp"

// The meta-batch with the tasks as a tensor dimension (torch.func.vmap over tasks, as TorchOpt's
// FuncTorch MAML example): one network of T side-by-side copies (nn::task_batched), so each layer
// runs once for all tasks (batched GEMMs, one batch-norm call) instead of once per task:
//
//   meta_opt.zero_grad();
//   TensorList losses = meta_batch_vectorized(net, task_num, [&](nn::Module& tasks) {
//     MetaSGD inner_opt(tasks, {.lr = 0.1});     // per-task parameters [T, ...]
//     for (int k = 0; k < 5; ++k) inner_opt.step(per_task_loss(tasks(x_spt), y_spt).sum());
//     return per_task_loss(tasks(x_qry), y_qry);  // [T]
//   });  // x_spt [T, N, C, H, W]; the gradient of the mean query loss is now in net's .grad
//   meta_opt.step();
//
// The sum of the tasks' losses differentiates to each task's own gradient in its slice, so an
// inner optimizer stepping on that sum adapts every task as the per-task loop would.

namespace metagrad {
/// \addtogroup meta
/// @{

/// All tasks of a vectorised meta-batch at once: adapts `tasks` (nn::task_batched(net, T) with
/// its parameters and buffers set from net's, every input and output carrying the task dim
/// first) and returns the T tasks' losses as a [T] tensor.
using VectorizedMetaTask = std::function<Tensor(nn::Module& tasks)>;

/// meta_batch with the tasks vectorised: runs `task` once on the task-batched form of `net`
/// (nn::task_batched: every layer of net with a leading task dim, its parameter slots holding
/// net's parameters broadcast over the T tasks, so gradients flow to net's leaves) and
/// accumulates the gradient of the combined losses (options.reduction over the [T] losses) into
/// the .grad of options.inputs (net's parameters that require grad when empty), adding to any
/// .grad there. Floating buffers of net then hold task T - 1's values and integer counters
/// advance by T times the batched network's advance, as meta_batch leaves them. Returns the
/// tasks' losses, detached, in task order. options.parallel is not used: the tasks run as one
/// computation whose ops use the intra-op threads.
///
/// The same numbers as meta_batch over the same tasks (the same meta-gradient up to the order
/// of floating-point sums), with T times fewer, larger kernels: the layout for GPUs, and for small
/// networks whose per-op cost dominates.
///
/// Throws metagrad::Error for tasks < 1, for a network nn::task_batched cannot batch (naming
/// the module), when `task` returns anything but a [tasks] tensor, or for options.inputs as
/// meta_batch; then no .grad and no buffer of net changes.
TensorList meta_batch_vectorized(nn::Module& net, int64_t tasks, const VectorizedMetaTask& task,
                                 const MetaBatchOptions& options = {});

/// @}

}  // namespace metagrad
