#include "optim/meta/meta_batch.hpp"

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "engine/autograd/engine.hpp"
#include "engine/error.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "optim/meta/meta_batch_support.hpp"

namespace metagrad {

namespace {

// Clones of the network, one per worker at most: a task takes a free one and gives it back.
class ReplicaPool {
 public:
  explicit ReplicaPool(const nn::Module& net) : net_(net) {}

  std::shared_ptr<nn::Module> acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!free_.empty()) {
        std::shared_ptr<nn::Module> replica = std::move(free_.back());
        free_.pop_back();
        return replica;
      }
    }
    NoGradGuard no_grad;  // the clone's own parameter copies are replaced before use
    return net_.clone();
  }

  void release(std::shared_ptr<nn::Module> replica) {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(replica));
  }

 private:
  const nn::Module& net_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<nn::Module>> free_;
};

// Rebinds the replica to net's parameters and to fresh copies of net's buffers.
void reset_replica(nn::Module& replica, const TensorList& params, const TensorList& buffers) {
  replica.set_parameters(params);
  TensorList copies;
  copies.reserve(buffers.size());
  NoGradGuard no_grad;
  for (const Tensor& b : buffers) copies.push_back(b.defined() ? b.clone() : b);
  replica.set_buffers(copies);
}

// For each integer buffer (a counter such as num_batches_tracked), how much the task advanced it;
// floating buffers get an undefined entry.
TensorList counter_advances(const TensorList& after, const TensorList& before) {
  TensorList steps(after.size());
  NoGradGuard no_grad;
  for (size_t k = 0; k < after.size(); ++k)
    if (!is_floating(after[k].dtype())) steps[k] = after[k] - before[k];
  return steps;
}

}  // namespace

TensorList meta_batch(nn::Module& net, int64_t tasks, const MetaTask& task,
                      const MetaBatchOptions& options) {
  MG_CHECK(tasks >= 0, "meta_batch: the task count must be >= 0, got {}", tasks);
  const TensorList inputs = detail::meta_gradient_inputs(net, options.inputs, "meta_batch");
  const TensorList params = net.parameters();
  TensorList buffers = net.buffers();
  const auto n = static_cast<size_t>(tasks);
  TensorList losses(n);
  std::vector<TensorList> grads(n);
  TensorList last_buffers;
  std::vector<TensorList> counter_steps(n);  // per task: how far each integer buffer advanced
  ReplicaPool pool(net);

  parallel_tasks(
      tasks,
      [&](int64_t i) {
        std::shared_ptr<nn::Module> replica = pool.acquire();
        reset_replica(*replica, params, buffers);
        const Tensor loss = task(*replica, i);
        MG_CHECK(loss.defined() && loss.numel() == 1,
                 "meta_batch: task {} returned {}; a task returns its scalar loss", i,
                 loss.defined() ? "a tensor of shape " + shape_str(loss.shape())
                                : std::string("an undefined tensor"));
        losses[static_cast<size_t>(i)] = loss.detach();
        if (loss.requires_grad() && !inputs.empty()) {
          const double weight = options.reduction == MetaBatchReduction::Mean
                                    ? 1.0 / static_cast<double>(tasks)
                                    : 1.0;
          grads[static_cast<size_t>(i)] =
              grad({loss}, inputs, {full_like(loss, weight)}, {.allow_unused = true});
        }
        const TensorList replica_buffers = replica->buffers();
        counter_steps[static_cast<size_t>(i)] = counter_advances(replica_buffers, buffers);
        if (i == tasks - 1) last_buffers = replica_buffers;
        pool.release(std::move(replica));
      },
      options.parallel);

  // In task order, as the sequential loop's backward calls accumulate.
  for (const TensorList& task_grads : grads) detail::accumulate_meta_gradient(inputs, task_grads);
  NoGradGuard no_grad;
  for (size_t k = 0; k < last_buffers.size(); ++k) {
    if (!is_floating(buffers[k].dtype())) {
      for (const TensorList& steps : counter_steps) buffers[k].add_(steps[k]);
    } else {
      buffers[k].copy_(last_buffers[k]);
    }
  }
  return losses;
}

}  // namespace metagrad
