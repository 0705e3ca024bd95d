#pragma once

// AdamW: Adam with decoupled weight decay (torchopt.adamw, torchopt.AdamW, torchopt.MetaAdamW),
// with torch.optim.AdamW's amsgrad.
#include "optim/optimizers/common.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

/// Options of adamw (TorchOpt's keyword order); the same defaults in every form.
template <Form F = Form::functional>
struct AdamWOptionsFor {
  /// Learning rate: a number, or a schedule of the step count.
  ScalarOrSchedule lr = 1e-3;
  /// Decay rates of the running averages of the gradients and of their squares.
  std::pair<double, double> betas = {0.9, 0.999};
  /// Added to the denominator for numerical stability.
  double eps = 1e-8;
  /// Weight decay coefficient (0 turns it off), applied as this optimizer's transformation says.
  double weight_decay = 1e-2;
  /// AMSGrad (torch.optim.Adam's amsgrad): the running maximum of the second moments replaces
  /// them in the denominator. Not with use_accelerated_op.
  bool amsgrad = false;
  /// Added inside the square root of the denominator (nonzero when differentiating through the
  /// update near zero gradients).
  double eps_root = 0.0;
  /// Parameters to decay (all when unset).
  ParamMask mask;
  /// The moments (the optimizer state) require grad, so that updates stay differentiable through
  /// them; the Meta* form's default.
  bool moment_requires_grad = false;
  /// Maximise the objective instead of minimising it.
  bool maximize = false;
  /// Use the fused kernels (TorchOpt's accelerated op).
  bool use_accelerated_op = false;
};
/// torchopt.adamw's and torchopt.AdamW's options.
using AdamWOptions = AdamWOptionsFor<Form::functional>;
/// torchopt.MetaAdamW's options (as adamw's: TorchOpt keeps moment_requires_grad false).
using MetaAdamWOptions = AdamWOptionsFor<Form::meta>;

/// torchopt.adamw: chain(flip_sign_and_add_weight_decay(0, maximize), scale_by_adam (or
/// scale_by_accelerated_adam), add_decayed_weights(weight_decay, mask), scale_by_neg_lr).
template <Form F = Form::functional>
GradientTransformation adamw(const AdamWOptionsFor<F>& o = {}) {
  // The checks run first, before any other transformation of the chain checks its arguments.
  GradientTransformation scaler = optim_detail::adam_scaler(o, "adamw");
  return chain(flip_sign_and_add_weight_decay(0.0, o.maximize), std::move(scaler),
               add_decayed_weights({.weight_decay = o.weight_decay, .mask = o.mask}),
               scale_by_neg_lr(o.lr));
}

/// torchopt.AdamW (lr 1e-3, weight_decay 1e-2).
class AdamW : public Optimizer {
 public:
  /// Optimizes `params` (one group; step() updates them in place) with `options`.
  explicit AdamW(const TensorList& params, const AdamWOptions& options = {})
      : Optimizer(params, adamw(options)) {}
};

/// torchopt.MetaAdamW (moment_requires_grad false, as in TorchOpt).
class MetaAdamW : public MetaOptimizer {
 public:
  /// Optimizes the parameters of `module` differentiably (each step() rebinds them) with `options`.
  explicit MetaAdamW(nn::Module& module, const MetaAdamWOptions& options = {})
      : MetaOptimizer(module, adamw(options)) {}
};

/// @}

}  // namespace metagrad
