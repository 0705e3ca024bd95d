#pragma once

// Adam (torchopt.adam, torchopt.Adam, torchopt.MetaAdam), with torch.optim.Adam's amsgrad.
#include "optim/optimizers/common.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

/// Options of adam (TorchOpt's keyword order). MetaAdam's moments require grad.
template <Form F = Form::functional>
struct AdamOptionsFor {
  /// Learning rate: a number, or a schedule of the step count.
  ScalarOrSchedule lr = 1e-3;
  /// Decay rates of the running averages of the gradients and of their squares.
  std::pair<double, double> betas = {0.9, 0.999};
  /// Added to the denominator for numerical stability.
  double eps = 1e-8;
  /// Weight decay coefficient (0 turns it off), applied as this optimizer's transformation says.
  double weight_decay = 0.0;
  /// AMSGrad (torch.optim.Adam's amsgrad): the running maximum of the second moments replaces
  /// them in the denominator. Not with use_accelerated_op.
  bool amsgrad = false;
  /// Added inside the square root of the denominator (nonzero when differentiating through the
  /// update near zero gradients).
  double eps_root = 0.0;
  /// The moments (the optimizer state) require grad, so that updates stay differentiable through
  /// them; the Meta* form's default.
  bool moment_requires_grad = F == Form::meta;
  /// Maximise the objective instead of minimising it.
  bool maximize = false;
  /// Use the fused kernels (TorchOpt's accelerated op).
  bool use_accelerated_op = false;
};
/// torchopt.adam's and torchopt.Adam's options.
using AdamOptions = AdamOptionsFor<Form::functional>;
/// torchopt.MetaAdam's options (moment_requires_grad true).
using MetaAdamOptions = AdamOptionsFor<Form::meta>;

/// torchopt.adam: chain(flip_sign_and_add_weight_decay, scale_by_adam (scale_by_accelerated_adam
/// with use_accelerated_op), scale_by_neg_lr).
template <Form F = Form::functional>
GradientTransformation adam(const AdamOptionsFor<F>& o = {}) {
  // The checks run first, before any other transformation of the chain checks its arguments.
  GradientTransformation scaler = optim_detail::adam_scaler(o, "adam");
  return chain(flip_sign_and_add_weight_decay(o.weight_decay, o.maximize), std::move(scaler),
               scale_by_neg_lr(o.lr));
}

/// torchopt.Adam (lr 1e-3, betas (0.9, 0.999), eps 1e-8).
class Adam : public Optimizer {
 public:
  /// Optimizes `params` (one group; step() updates them in place) with `options`.
  explicit Adam(const TensorList& params, const AdamOptions& options = {})
      : Optimizer(params, adam(options)) {}
};

/// torchopt.MetaAdam (moment_requires_grad true).
class MetaAdam : public MetaOptimizer {
 public:
  /// Optimizes the parameters of `module` differentiably (each step() rebinds them) with `options`.
  explicit MetaAdam(nn::Module& module, const MetaAdamOptions& options = {})
      : MetaOptimizer(module, adam(options)) {}
};

/// @}

}  // namespace metagrad
