#pragma once

// Lion, EvoLved Sign Momentum (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms",
// Algorithm 2; the PyTorch-community lion-pytorch and optax.lion form):
//   c = b1 m + (1 - b1) g,   p = p - lr (sign(c) + weight_decay p),   m = b2 m + (1 - b2) g.
// TorchOpt has no Lion; names and defaults follow the paper and lion-pytorch (lr 1e-4,
// betas (0.9, 0.99), weight_decay 0). sign has a zero derivative, so a meta-gradient flows
// through the parameters and the decoupled weight decay, not through the direction.
#include "optim/optimizers/common.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

/// Options of scale_by_lion.
struct ScaleByLionOptions {
  /// Interpolation between the momentum and the gradient in the update direction.
  double b1 = 0.9;
  /// Decay rate of the momentum.
  double b2 = 0.99;
  /// The moments (the optimizer state) require grad, so that updates stay differentiable through
  /// them; the Meta* form's default.
  bool moment_requires_grad = false;
};

/// Lion's direction: u = sign(b1 mu + (1 - b1) g), then mu = b2 mu + (1 - b2) g.
/// State: ScaleByLionState {mu}.
inline GradientTransformation scale_by_lion(const ScaleByLionOptions& o = {}) {
  const char* who = "scale_by_lion";
  optim_detail::check_unit_interval(o.b1, who, "b1");
  optim_detail::check_unit_interval(o.b2, who, "b2");
  return per_parameter_transform({.who = who,
                                  .kind = "ScaleByLionState",
                                  .tensors = {"mu"},
                                  .moment_requires_grad = o.moment_requires_grad},
                                 [o](OptState&) -> ParamUpdateFn {
                                   return [o](const Tensor& g, TensorList& s, const Tensor&,
                                              bool inplace) {
                                     const Tensor u = sign(add(mul(s[0], o.b1), g, 1.0 - o.b1));
                                     s[0] = optim_detail::update_moment(g, s[0], o.b2, 1, inplace);
                                     return u;
                                   };
                                 });
}

/// Options of lion. MetaLion's moments require grad.
template <Form F = Form::functional>
struct LionOptionsFor {
  /// Learning rate: a number, or a schedule of the step count.
  ScalarOrSchedule lr = 1e-4;
  /// Lion's (beta1, beta2): the update interpolates with beta1, the momentum decays with beta2.
  std::pair<double, double> betas = {0.9, 0.99};
  /// Decoupled: added to the direction after the sign, scaled by lr with it.
  double weight_decay = 0.0;
  /// The moments (the optimizer state) require grad, so that updates stay differentiable through
  /// them; the Meta* form's default.
  bool moment_requires_grad = F == Form::meta;
  /// Maximise the objective instead of minimising it.
  bool maximize = false;
};
/// lion's and Lion's options.
using LionOptions = LionOptionsFor<Form::functional>;
/// MetaLion's options (moment_requires_grad true).
using MetaLionOptions = LionOptionsFor<Form::meta>;

/// Lion: chain(flip_sign_and_add_weight_decay(0, maximize), scale_by_lion,
/// add_decayed_weights(weight_decay), scale_by_neg_lr).
template <Form F = Form::functional>
GradientTransformation lion(const LionOptionsFor<F>& o = {}) {
  const char* who = "lion";
  optim_detail::check_lr(o.lr, who);
  optim_detail::check_betas(o.betas, who);
  optim_detail::check_nonnegative(o.weight_decay, who, "weight_decay");
  return chain(flip_sign_and_add_weight_decay(0.0, o.maximize),
               scale_by_lion({.b1 = o.betas.first,
                              .b2 = o.betas.second,
                              .moment_requires_grad = o.moment_requires_grad}),
               add_decayed_weights({.weight_decay = o.weight_decay}), scale_by_neg_lr(o.lr));
}

/// The classic Lion optimizer (lr 1e-4, betas (0.9, 0.99)).
class Lion : public Optimizer {
 public:
  /// Optimizes `params` (one group; step() updates them in place) with `options`.
  explicit Lion(const TensorList& params, const LionOptions& options = {})
      : Optimizer(params, lion(options)) {}
};

/// The differentiable MetaLion (moment_requires_grad true).
class MetaLion : public MetaOptimizer {
 public:
  /// Optimizes the parameters of `module` differentiably (each step() rebinds them) with `options`.
  explicit MetaLion(nn::Module& module, const MetaLionOptions& options = {})
      : MetaOptimizer(module, lion(options)) {}
};

/// @}

}  // namespace metagrad
