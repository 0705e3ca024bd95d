#pragma once

// AdaGrad with learning-rate decay (torchopt.adagrad, torchopt.AdaGrad, torchopt.MetaAdaGrad).
#include "optim/optimizers/common.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

/// Options of adagrad (TorchOpt's keyword order); the same defaults in every form.
template <Form F = Form::functional>
struct AdaGradOptionsFor {
  /// Learning rate: a number, or a schedule of the step count.
  ScalarOrSchedule lr = 1e-2;
  /// Learning-rate decay: the step size is lr / (1 + (step - 1) lr_decay).
  double lr_decay = 0.0;
  /// Weight decay coefficient (0 turns it off), applied as this optimizer's transformation says.
  double weight_decay = 0.0;
  /// Initial value of the sums of squared gradients.
  double initial_accumulator_value = 0.0;
  /// Added to the denominator for numerical stability.
  double eps = 1e-10;
  /// Maximise the objective instead of minimising it.
  bool maximize = false;
};
/// torchopt.adagrad's and torchopt.AdaGrad's options.
using AdaGradOptions = AdaGradOptionsFor<Form::functional>;
/// torchopt.MetaAdaGrad's options (as adagrad's).
using MetaAdaGradOptions = AdaGradOptionsFor<Form::meta>;

/// torchopt.adagrad: chain(flip_sign_and_add_weight_decay, scale_by_rss,
/// scale_by_schedule(1 / (1 + lr_decay count)), scale_by_neg_lr).
template <Form F = Form::functional>
GradientTransformation adagrad(const AdaGradOptionsFor<F>& o = {}) {
  const char* who = "adagrad";
  optim_detail::check_lr(o.lr, who);
  optim_detail::check_nonnegative(o.lr_decay, who, "lr_decay");
  optim_detail::check_nonnegative(o.weight_decay, who, "weight_decay");
  optim_detail::check_nonnegative(o.initial_accumulator_value, who, "initial_accumulator_value");
  optim_detail::check_nonnegative(o.eps, who, "eps");
  const double decay_rate = o.lr_decay;
  return chain(
      flip_sign_and_add_weight_decay(o.weight_decay, o.maximize),
      scale_by_rss({.initial_accumulator_value = o.initial_accumulator_value, .eps = o.eps}),
      scale_by_schedule([decay_rate](int64_t count) {
        return 1.0 / (1.0 + decay_rate * static_cast<double>(count));
      }),
      scale_by_neg_lr(o.lr));
}

/// torchopt.AdaGrad (lr 1e-2, eps 1e-10).
class AdaGrad : public Optimizer {
 public:
  /// Optimizes `params` (one group; step() updates them in place) with `options`.
  explicit AdaGrad(const TensorList& params, const AdaGradOptions& options = {})
      : Optimizer(params, adagrad(options)) {}
};
/// torchopt.Adagrad (PyTorch's spelling).
using Adagrad = AdaGrad;

/// torchopt.MetaAdaGrad.
class MetaAdaGrad : public MetaOptimizer {
 public:
  /// Optimizes the parameters of `module` differentiably (each step() rebinds them) with `options`.
  explicit MetaAdaGrad(nn::Module& module, const MetaAdaGradOptions& options = {})
      : MetaOptimizer(module, adagrad(options)) {}
};
/// torchopt.MetaAdagrad (PyTorch's spelling).
using MetaAdagrad = MetaAdaGrad;

/// @}

}  // namespace metagrad
