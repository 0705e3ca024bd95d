#pragma once

// AdaMax (torchopt.adamax, torchopt.AdaMax, torchopt.MetaAdaMax).
#include "optim/optimizers/common.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

/// Options of adamax (TorchOpt's keyword order). TorchOpt's MetaAdaMax defaults differ from
/// torchopt.adamax's: lr 2e-3 instead of 1e-3, eps 1e-8 instead of 1e-6, moments requiring grad.
template <Form F = Form::functional>
struct AdaMaxOptionsFor {
  /// Learning rate: a number, or a schedule of the step count.
  ScalarOrSchedule lr = F == Form::meta ? 2e-3 : 1e-3;
  /// Decay rates of the running averages of the gradients and of their squares.
  std::pair<double, double> betas = {0.9, 0.999};
  /// Added to the denominator for numerical stability.
  double eps = F == Form::meta ? 1e-8 : 1e-6;
  /// Weight decay coefficient (0 turns it off), applied as this optimizer's transformation says.
  double weight_decay = 0.0;
  /// The moments (the optimizer state) require grad, so that updates stay differentiable through
  /// them; the Meta* form's default.
  bool moment_requires_grad = F == Form::meta;
};
/// torchopt.adamax's and torchopt.AdaMax's options.
using AdaMaxOptions = AdaMaxOptionsFor<Form::functional>;
/// torchopt.MetaAdaMax's options.
using MetaAdaMaxOptions = AdaMaxOptionsFor<Form::meta>;

/// torchopt.adamax: chain(flip_sign_and_add_weight_decay, scale_by_adamax, scale_by_neg_lr).
/// TorchOpt gives it no maximize option.
template <Form F = Form::functional>
GradientTransformation adamax(const AdaMaxOptionsFor<F>& o = {}) {
  const char* who = "adamax";
  optim_detail::check_lr(o.lr, who);
  optim_detail::check_nonnegative(o.eps, who, "eps");
  optim_detail::check_nonnegative(o.weight_decay, who, "weight_decay");
  optim_detail::check_betas(o.betas, who);
  return chain(flip_sign_and_add_weight_decay(o.weight_decay, false),
               scale_by_adamax({.b1 = o.betas.first,
                                .b2 = o.betas.second,
                                .eps = o.eps,
                                .moment_requires_grad = o.moment_requires_grad}),
               scale_by_neg_lr(o.lr));
}

/// torchopt.AdaMax (lr 1e-3, eps 1e-6).
class AdaMax : public Optimizer {
 public:
  /// Optimizes `params` (one group; step() updates them in place) with `options`.
  explicit AdaMax(const TensorList& params, const AdaMaxOptions& options = {})
      : Optimizer(params, adamax(options)) {}
};
/// torchopt.Adamax (PyTorch's spelling).
using Adamax = AdaMax;

/// torchopt.MetaAdaMax (lr 2e-3, eps 1e-8, moment_requires_grad true).
class MetaAdaMax : public MetaOptimizer {
 public:
  /// Optimizes the parameters of `module` differentiably (each step() rebinds them) with `options`.
  explicit MetaAdaMax(nn::Module& module, const MetaAdaMaxOptions& options = {})
      : MetaOptimizer(module, adamax(options)) {}
};
/// torchopt.MetaAdamax (PyTorch's spelling).
using MetaAdamax = MetaAdaMax;

/// @}

}  // namespace metagrad
