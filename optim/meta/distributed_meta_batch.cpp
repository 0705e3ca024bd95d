#include "optim/meta/distributed_meta_batch.hpp"

#include <vector>

#include "engine/distributed/collectives.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "optim/meta/meta_batch_support.hpp"

namespace metagrad::distributed {
namespace {

// The rank whose share holds the batch's last task.
int last_task_rank(int64_t tasks, int world) {
  for (int r = world - 1; r > 0; --r)
    if (task_share(tasks, r, world).first < tasks) return r;
  return 0;
}

}  // namespace

std::pair<int64_t, int64_t> task_share(int64_t tasks, int rank, int world_size) {
  MG_CHECK(tasks >= 0, "task_share: the task count must be >= 0, got {}", tasks);
  MG_CHECK(world_size >= 1 && rank >= 0 && rank < world_size,
           "task_share: rank {} is not in a world of {} rank(s)", rank, world_size);
  const int64_t per = tasks / world_size, extra = tasks % world_size;
  const int64_t first = rank * per + std::min<int64_t>(rank, extra);
  return {first, first + per + (rank < extra ? 1 : 0)};
}

TensorList meta_batch(nn::Module& net, int64_t tasks, const MetaTask& task,
                      const MetaBatchOptions& options) {
  MG_CHECK(tasks >= 0, "distributed::meta_batch: the task count must be >= 0, got {}", tasks);
  const int me = rank(), world = world_size();
  const std::pair<int64_t, int64_t> share = task_share(tasks, me, world);
  const int64_t first = share.first, last = share.second;  // (named: lambdas capture them)
  const TensorList leaves =
      ::metagrad::detail::meta_gradient_inputs(net, options.inputs, "distributed::meta_batch");
  TensorList buffers = net.buffers();

  // This rank's share, with the mean taken over the whole batch: each task's loss is divided by
  // `tasks` (what the single-process mean's backward multiplies by) and the shares are summed.
  TensorList before_grads, before_buffers;
  {
    NoGradGuard no_grad;
    for (const Tensor& leaf : leaves) {
      before_grads.push_back(leaf.grad());
      leaf.set_grad(Tensor());
    }
    for (const Tensor& b : buffers) before_buffers.push_back(b.clone());
  }
  const double scale = options.reduction == MetaBatchReduction::Mean && tasks > 0
                           ? 1.0 / static_cast<double>(tasks)
                           : 1.0;
  std::vector<Tensor> raw_losses(static_cast<size_t>(last - first));
  MetaBatchOptions local = options;
  local.reduction = MetaBatchReduction::Sum;
  ::metagrad::meta_batch(
      net, last - first,
      [&](nn::Module& replica, int64_t i) {
        const Tensor loss = task(replica, first + i);
        raw_losses[static_cast<size_t>(i)] = loss.defined() ? loss.detach() : loss;
        return scale == 1.0 || !loss.defined() ? loss : loss * scale;
      },
      local);

  NoGradGuard no_grad;
  all_reduce_grads(leaves, ReduceOp::sum);
  for (size_t k = 0; k < leaves.size(); ++k)
    if (before_grads[k].defined()) leaves[k].set_grad(before_grads[k] + leaves[k].grad());

  // Buffers: the last task's floating values, every task's counter advances.
  const int owner = last_task_rank(tasks, world);
  TensorList floating, advances;
  std::vector<size_t> floating_at, counter_at;
  for (size_t k = 0; k < buffers.size(); ++k) {
    if (is_floating(buffers[k].dtype())) {
      floating.push_back(buffers[k]);
      floating_at.push_back(k);
    } else {
      advances.push_back(buffers[k] - before_buffers[k]);
      counter_at.push_back(k);
    }
  }
  if (tasks > 0 && !floating.empty()) {
    const TensorList values = broadcast(floating, owner);
    for (size_t j = 0; j < values.size(); ++j) buffers[floating_at[j]].copy_(values[j]);
  }
  if (!advances.empty()) {
    const TensorList total = all_reduce(advances, ReduceOp::sum);
    for (size_t j = 0; j < total.size(); ++j)
      buffers[counter_at[j]].copy_(before_buffers[counter_at[j]] + total[j]);
  }

  // Every task's loss on every rank: each rank fills its slots, the sum over ranks fills all.
  Tensor slots = zeros({tasks}, kFloat64);
  for (int64_t i = first; i < last; ++i)
    slots.select(0, i).fill_(raw_losses[static_cast<size_t>(i - first)].item<double>());
  const Tensor all_losses = all_reduce(slots);
  const TensorList params = net.parameters();
  const TensorOptions like = params.empty() ? TensorOptions(kFloat32)
                                            : TensorOptions(params[0].dtype(), params[0].device());
  TensorList out;
  for (int64_t i = 0; i < tasks; ++i)
    out.push_back(all_losses.select(0, i).to(like.dtype).to(like.device));
  return out;
}

}  // namespace metagrad::distributed
