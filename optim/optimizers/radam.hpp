#pragma once

// RAdam (torchopt.radam, torchopt.RAdam, torchopt.MetaRAdam).
#include "optim/optimizers/common.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

/// Options of radam (TorchOpt's keyword order). TorchOpt's MetaRAdam defaults differ from
/// torchopt.radam's: eps 1e-8 instead of 1e-6, moments requiring grad.
template <Form F = Form::functional>
struct RAdamOptionsFor {
  /// Learning rate: a number, or a schedule of the step count.
  ScalarOrSchedule lr = 1e-3;
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
/// torchopt.radam's and torchopt.RAdam's options.
using RAdamOptions = RAdamOptionsFor<Form::functional>;
/// torchopt.MetaRAdam's options.
using MetaRAdamOptions = RAdamOptionsFor<Form::meta>;

/// torchopt.radam: chain(flip_sign_and_add_weight_decay, scale_by_radam, scale_by_neg_lr).
/// TorchOpt gives it no maximize option.
template <Form F = Form::functional>
GradientTransformation radam(const RAdamOptionsFor<F>& o = {}) {
  const char* who = "radam";
  optim_detail::check_lr(o.lr, who);
  optim_detail::check_nonnegative(o.eps, who, "eps");
  optim_detail::check_nonnegative(o.weight_decay, who, "weight_decay");
  optim_detail::check_betas(o.betas, who);
  return chain(flip_sign_and_add_weight_decay(o.weight_decay, false),
               scale_by_radam({.b1 = o.betas.first,
                               .b2 = o.betas.second,
                               .eps = o.eps,
                               .moment_requires_grad = o.moment_requires_grad}),
               scale_by_neg_lr(o.lr));
}

/// torchopt.RAdam (lr 1e-3, eps 1e-6).
class RAdam : public Optimizer {
 public:
  /// Optimizes `params` (one group; step() updates them in place) with `options`.
  explicit RAdam(const TensorList& params, const RAdamOptions& options = {})
      : Optimizer(params, radam(options)) {}
};

/// torchopt.MetaRAdam (eps 1e-8, moment_requires_grad true).
class MetaRAdam : public MetaOptimizer {
 public:
  /// Optimizes the parameters of `module` differentiably (each step() rebinds them) with `options`.
  explicit MetaRAdam(nn::Module& module, const MetaRAdamOptions& options = {})
      : MetaOptimizer(module, radam(options)) {}
};

/// @}

}  // namespace metagrad
