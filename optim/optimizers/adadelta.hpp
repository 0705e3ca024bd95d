#pragma once

// AdaDelta (torchopt.adadelta, torchopt.AdaDelta, torchopt.MetaAdaDelta).
#include "optim/optimizers/common.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

/// Options of adadelta (TorchOpt's keyword order). TorchOpt's MetaAdaDelta defaults differ from
/// torchopt.adadelta's: lr 1.0 instead of 1e-3, moments requiring grad.
template <Form F = Form::functional>
struct AdaDeltaOptionsFor {
  /// Learning rate: a number, or a schedule of the step count.
  ScalarOrSchedule lr = F == Form::meta ? 1.0 : 1e-3;
  /// Coefficient of the running averages of the squared gradients and of the squared updates.
  double rho = 0.9;
  /// Added to the denominator for numerical stability.
  double eps = 1e-6;
  /// Weight decay coefficient (0 turns it off), applied as this optimizer's transformation says.
  double weight_decay = 0.0;
  /// The moments (the optimizer state) require grad, so that updates stay differentiable through
  /// them; the Meta* form's default.
  bool moment_requires_grad = F == Form::meta;
};
/// torchopt.adadelta's and torchopt.AdaDelta's options.
using AdaDeltaOptions = AdaDeltaOptionsFor<Form::functional>;
/// torchopt.MetaAdaDelta's options.
using MetaAdaDeltaOptions = AdaDeltaOptionsFor<Form::meta>;

/// torchopt.adadelta: chain(flip_sign_and_add_weight_decay, scale_by_adadelta, scale_by_neg_lr).
/// TorchOpt gives it no maximize option.
template <Form F = Form::functional>
GradientTransformation adadelta(const AdaDeltaOptionsFor<F>& o = {}) {
  const char* who = "adadelta";
  optim_detail::check_lr(o.lr, who);
  optim_detail::check_nonnegative(o.eps, who, "eps");
  optim_detail::check_nonnegative(o.weight_decay, who, "weight_decay");
  optim_detail::check_unit_interval(o.rho, who, "rho");
  return chain(flip_sign_and_add_weight_decay(o.weight_decay, false),
               scale_by_adadelta(
                   {.rho = o.rho, .eps = o.eps, .moment_requires_grad = o.moment_requires_grad}),
               scale_by_neg_lr(o.lr));
}

/// torchopt.AdaDelta (lr 1e-3, rho 0.9, eps 1e-6).
class AdaDelta : public Optimizer {
 public:
  /// Optimizes `params` (one group; step() updates them in place) with `options`.
  explicit AdaDelta(const TensorList& params, const AdaDeltaOptions& options = {})
      : Optimizer(params, adadelta(options)) {}
};
/// torchopt.Adadelta (PyTorch's spelling).
using Adadelta = AdaDelta;

/// torchopt.MetaAdaDelta (lr 1.0, moment_requires_grad true).
class MetaAdaDelta : public MetaOptimizer {
 public:
  /// Optimizes the parameters of `module` differentiably (each step() rebinds them) with `options`.
  explicit MetaAdaDelta(nn::Module& module, const MetaAdaDeltaOptions& options = {})
      : MetaOptimizer(module, adadelta(options)) {}
};
/// torchopt.MetaAdadelta (PyTorch's spelling).
using MetaAdadelta = MetaAdaDelta;

/// @}

}  // namespace metagrad
