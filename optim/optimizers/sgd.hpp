#pragma once

// SGD with momentum, dampening, Nesterov momentum and weight decay (torchopt.sgd, torchopt.SGD,
// torchopt.MetaSGD).
#include "optim/optimizers/common.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

/// Options of sgd (TorchOpt's keyword order). lr is required. MetaSGD's moments require grad.
template <Form F = Form::functional>
struct SGDOptionsFor {
  /// Learning rate: a number, or a schedule of the step count.
  ScalarOrSchedule lr;
  /// Momentum factor (0: no momentum).
  double momentum = 0.0;
  /// Dampening of the momentum.
  double dampening = 0.0;
  /// Weight decay coefficient (0 turns it off), applied as this optimizer's transformation says.
  double weight_decay = 0.0;
  /// Nesterov momentum.
  bool nesterov = false;
  /// The moments (the optimizer state) require grad, so that updates stay differentiable through
  /// them; the Meta* form's default.
  bool moment_requires_grad = F == Form::meta;
  /// Maximise the objective instead of minimising it.
  bool maximize = false;
};
/// torchopt.sgd's and torchopt.SGD's options.
using SGDOptions = SGDOptionsFor<Form::functional>;
/// torchopt.MetaSGD's options (moment_requires_grad true).
using MetaSGDOptions = SGDOptionsFor<Form::meta>;

/// torchopt.sgd: chain(flip_sign_and_add_weight_decay, trace, scale_by_neg_lr).
template <Form F = Form::functional>
GradientTransformation sgd(const SGDOptionsFor<F>& o) {
  const char* who = "sgd";
  optim_detail::check_lr(o.lr, who);
  optim_detail::check_nonnegative(o.momentum, who, "momentum");
  optim_detail::check_nonnegative(o.weight_decay, who, "weight_decay");
  MG_CHECK(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
           "sgd: Nesterov momentum requires a momentum and zero dampening (got momentum = {}, "
           "dampening = {})",
           o.momentum, o.dampening);
  return chain(flip_sign_and_add_weight_decay(o.weight_decay, o.maximize),
               trace({.momentum = o.momentum,
                      .dampening = o.dampening,
                      .nesterov = o.nesterov,
                      .moment_requires_grad = o.moment_requires_grad}),
               scale_by_neg_lr(o.lr));
}

/// torchopt.SGD (lr is required).
class SGD : public Optimizer {
 public:
  /// Optimizes `params` (one group; step() updates them in place) with `options` (lr has no
  /// default).
  SGD(const TensorList& params, const SGDOptions& options) : Optimizer(params, sgd(options)) {}
};

/// torchopt.MetaSGD (lr is required; moment_requires_grad true).
class MetaSGD : public MetaOptimizer {
 public:
  /// Optimizes the parameters of `module` differentiably (each step() rebinds them) with `options`.
  MetaSGD(nn::Module& module, const MetaSGDOptions& options)
      : MetaOptimizer(module, sgd(options)) {}
};

/// @}

}  // namespace metagrad
