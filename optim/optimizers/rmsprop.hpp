#pragma once

// RMSProp, plain or centered, with momentum (torchopt.rmsprop, torchopt.RMSProp,
// torchopt.MetaRMSProp).
#include "optim/optimizers/common.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

/// Options of rmsprop (TorchOpt's keyword order); the same defaults in every form.
template <Form F = Form::functional>
struct RMSPropOptionsFor {
  /// Learning rate: a number, or a schedule of the step count.
  ScalarOrSchedule lr = 1e-2;
  /// Smoothing constant of the running average of the squared gradients.
  double alpha = 0.99;
  /// Added to the denominator for numerical stability.
  double eps = 1e-8;
  /// Weight decay coefficient (0 turns it off), applied as this optimizer's transformation says.
  double weight_decay = 0.0;
  /// Momentum factor (0: no momentum).
  double momentum = 0.0;
  /// Centered RMSProp: normalise by an estimate of the gradients' variance.
  bool centered = false;
  /// Initial value of the running average of the squared gradients.
  double initial_scale = 0.0;
  /// Nesterov momentum.
  bool nesterov = false;
  /// Maximise the objective instead of minimising it.
  bool maximize = false;
};
/// torchopt.rmsprop's and torchopt.RMSProp's options.
using RMSPropOptions = RMSPropOptionsFor<Form::functional>;
/// torchopt.MetaRMSProp's options (as rmsprop's).
using MetaRMSPropOptions = RMSPropOptionsFor<Form::meta>;

/// torchopt.rmsprop: chain(flip_sign_and_add_weight_decay, scale_by_rms (scale_by_stddev when
/// centered), trace, scale_by_neg_lr).
template <Form F = Form::functional>
GradientTransformation rmsprop(const RMSPropOptionsFor<F>& o = {}) {
  const char* who = "rmsprop";
  optim_detail::check_lr(o.lr, who);
  optim_detail::check_nonnegative(o.alpha, who, "alpha");
  optim_detail::check_nonnegative(o.eps, who, "eps");
  optim_detail::check_nonnegative(o.momentum, who, "momentum");
  optim_detail::check_nonnegative(o.weight_decay, who, "weight_decay");
  MG_CHECK(!o.nesterov || o.momentum > 0.0,
           "rmsprop: Nesterov momentum requires a momentum (got momentum = {})", o.momentum);
  const ScaleByRmsOptions scaler{.alpha = o.alpha, .eps = o.eps, .initial_scale = o.initial_scale};
  return chain(flip_sign_and_add_weight_decay(o.weight_decay, o.maximize),
               o.centered ? scale_by_stddev(scaler) : scale_by_rms(scaler),
               trace({.momentum = o.momentum, .dampening = 0.0, .nesterov = o.nesterov}),
               scale_by_neg_lr(o.lr));
}

/// torchopt.RMSProp (lr 1e-2, alpha 0.99, eps 1e-8).
class RMSProp : public Optimizer {
 public:
  /// Optimizes `params` (one group; step() updates them in place) with `options`.
  explicit RMSProp(const TensorList& params, const RMSPropOptions& options = {})
      : Optimizer(params, rmsprop(options)) {}
};
/// torchopt.RMSprop (PyTorch's spelling).
using RMSprop = RMSProp;

/// torchopt.MetaRMSProp.
class MetaRMSProp : public MetaOptimizer {
 public:
  /// Optimizes the parameters of `module` differentiably (each step() rebinds them) with `options`.
  explicit MetaRMSProp(nn::Module& module, const MetaRMSPropOptions& options = {})
      : MetaOptimizer(module, rmsprop(options)) {}
};
/// torchopt.MetaRMSprop (PyTorch's spelling).
using MetaRMSprop = MetaRMSProp;

/// @}

}  // namespace metagrad
