#include "optim/meta/meta_batch_vectorized.hpp"

#include <memory>
#include <string>

#include "engine/autograd/engine.hpp"
#include "engine/error.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/task_batched.hpp"
#include "engine/ops.hpp"
#include "optim/meta/meta_batch_support.hpp"

namespace metagrad {
namespace {

// `t` broadcast over a new leading task dim (a view: gradients sum back into t).
Tensor over_tasks(const Tensor& t, int64_t tasks) {
  Dims shape = t.shape();
  shape.insert(0, tasks);
  return t.unsqueeze(0).expand(shape);
}

}  // namespace

TensorList meta_batch_vectorized(nn::Module& net, int64_t tasks, const VectorizedMetaTask& task,
                                 const MetaBatchOptions& options) {
  MG_CHECK(tasks >= 1, "meta_batch_vectorized: the task count must be >= 1, got {}", tasks);
  const TensorList inputs =
      detail::meta_gradient_inputs(net, options.inputs, "meta_batch_vectorized");
  TensorList buffers = net.buffers();
  std::shared_ptr<nn::Module> batched;
  {
    NoGradGuard no_grad;  // its own parameter copies are replaced below
    batched = nn::task_batched(net, tasks);
  }
  TensorList params;
  for (const Tensor& p : net.parameters()) params.push_back(over_tasks(p, tasks));
  batched->set_parameters(params);
  // The batched buffers are task_batched's own: each task's copy of a floating buffer, and the
  // counters (num_batches_tracked) as they were, whose increments are scaled below.
  TensorList counters_before;
  {
    NoGradGuard no_grad;
    for (const Tensor& b : batched->buffers())
      if (!is_floating(b.dtype())) counters_before.push_back(b.clone());
  }

  const Tensor losses = task(*batched);
  MG_CHECK(losses.defined() && losses.dim() == 1 && losses.size(0) == tasks,
           "meta_batch_vectorized: the task function returned {}; it returns the {} tasks' "
           "losses as a [{}] tensor",
           losses.defined() ? "a tensor of shape " + shape_str(losses.shape())
                            : std::string("an undefined tensor"),
           tasks, tasks);
  if (losses.requires_grad() && !inputs.empty()) {
    const Tensor objective =
        options.reduction == MetaBatchReduction::Mean ? mean(losses) : sum(losses);
    detail::accumulate_meta_gradient(inputs, grad({objective}, inputs, {}, {.allow_unused = true}));
  }

  NoGradGuard no_grad;
  const TensorList after = batched->buffers();
  size_t counter = 0;
  for (size_t k = 0; k < buffers.size(); ++k) {
    if (is_floating(buffers[k].dtype())) {
      buffers[k].copy_(after[k].select(0, tasks - 1));
    } else {
      buffers[k].add_((after[k] - counters_before[counter++]) * static_cast<double>(tasks));
    }
  }
  TensorList out;
  const Tensor detached = losses.detach();
  for (int64_t i = 0; i < tasks; ++i) out.push_back(detached.select(0, i));
  return out;
}

}  // namespace metagrad
