#include "examples/common/l2r_weights.hpp"

#include <optional>

#include "engine/autograd/engine.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"
#include "optim/utils.hpp"

namespace metagrad::examples {

Tensor l2r_weights(nn::Module& net, MetaOptimizer& lookahead, const ExampleLossFn& losses,
                   const Tensor& x, const Tensor& y, const Tensor& val_x, const Tensor& val_y) {
  const ModuleState net_state = extract_state_dict(net, {.by = CopyMode::reference});
  const std::vector<OptState> opt_state =
      extract_state_dict(lookahead, {.by = CopyMode::reference});
  Tensor weights;
  try {
    const Tensor train_losses = losses(net, x, y);
    MG_CHECK(train_losses.dim() == 1 && train_losses.size(0) == x.size(0),
             "l2r_weights: the example losses must have shape [{}] (one per example of x {}), got "
             "{}",
             x.size(0), shape_str(x.shape()), shape_str(train_losses.shape()));
    Tensor eps = zeros({x.size(0)}, {train_losses.dtype(), train_losses.device()});
    eps.requires_grad_();
    lookahead.step((eps * train_losses).sum());
    const Tensor val_loss = losses(net, val_x, val_y).mean();
    weights = clamp(neg(grad({val_loss}, {eps})[0]), 0.0, std::nullopt);
  } catch (...) {
    recover_state_dict(net, net_state);
    recover_state_dict(lookahead, opt_state);
    throw;
  }
  recover_state_dict(net, net_state);
  recover_state_dict(lookahead, opt_state);
  const double total = weights.sum().item<double>();
  return total > 0.0 ? weights / total : weights;
}

}  // namespace metagrad::examples
