#include "optim/meta/meta_batch_support.hpp"

#include "engine/autograd/engine.hpp"
#include "engine/error.hpp"

namespace metagrad::detail {

TensorList meta_gradient_inputs(const nn::Module& net, const TensorList& requested,
                                const char* who) {
  if (requested.empty()) {
    TensorList inputs;
    for (const Tensor& p : net.parameters())
      if (p.requires_grad()) inputs.push_back(p);
    return inputs;
  }
  for (size_t i = 0; i < requested.size(); ++i) {
    const Tensor& t = requested[i];
    MG_CHECK(t.defined() && t.requires_grad() && t.is_leaf(),
             "{}: options.inputs[{}] must be a leaf tensor that requires grad, got {}; name the "
             "leaves the parameters were computed from",
             who, i,
             !t.defined()         ? "an undefined tensor"
             : !t.requires_grad() ? "a tensor that does not require grad"
                                  : "a non-leaf tensor (it has a grad_fn)");
  }
  return requested;
}

void accumulate_meta_gradient(const TensorList& inputs, const TensorList& grads) {
  TensorList leaves, values;
  for (size_t k = 0; k < grads.size(); ++k) {
    if (!grads[k].defined()) continue;
    leaves.push_back(inputs[k]);
    values.push_back(grads[k]);
  }
  if (!leaves.empty()) backward(leaves, values);
}

}  // namespace metagrad::detail
