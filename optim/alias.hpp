#pragma once

#include <utility>

#include "optim/schedule.hpp"
#include "optim/transform.hpp"

// TorchOpt's functional optimizers (torchopt/alias/*.py): each is a chain of transformations with
// TorchOpt's options, defaults (those of torchopt.<name>(...), not of the classes) and argument
// checks. Options are aggregates for designated initialisers, fields in TorchOpt's keyword order:
//   auto opt = adam({.lr = 1e-3, .eps_root = 1e-8, .moment_requires_grad = true});
// `lr` takes a number or a schedule. Bad options throw metagrad::Error naming the argument and its
// value. maximize and moment_requires_grad exist exactly where TorchOpt has them.

namespace metagrad {

/// torchopt.sgd. lr is required.
struct SGDOptions {
  ScalarOrSchedule lr;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
  bool moment_requires_grad = false;
  bool maximize = false;
};
/// chain(flip_sign_and_add_weight_decay, trace, scale_by_neg_lr).
GradientTransformation sgd(const SGDOptions& options);

/// torchopt.adam.
struct AdamOptions {
  ScalarOrSchedule lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.0;
  double eps_root = 0.0;
  bool moment_requires_grad = false;
  bool maximize = false;
  bool use_accelerated_op = false;
};
/// chain(flip_sign_and_add_weight_decay, scale_by_adam (or scale_by_accelerated_adam),
/// scale_by_neg_lr).
GradientTransformation adam(const AdamOptions& options = {});

/// torchopt.adamw (decoupled weight decay, applied to the parameters selected by mask).
struct AdamWOptions {
  ScalarOrSchedule lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;
  double eps_root = 0.0;
  ParamMask mask;
  bool moment_requires_grad = false;
  bool maximize = false;
  bool use_accelerated_op = false;
};
/// chain(flip_sign_and_add_weight_decay(0, maximize), scale_by_adam, add_decayed_weights,
/// scale_by_neg_lr).
GradientTransformation adamw(const AdamWOptions& options = {});

/// torchopt.rmsprop.
struct RMSPropOptions {
  ScalarOrSchedule lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
  double initial_scale = 0.0;
  bool nesterov = false;
  bool maximize = false;
};
/// chain(flip_sign_and_add_weight_decay, scale_by_rms (scale_by_stddev when centered), trace,
/// scale_by_neg_lr).
GradientTransformation rmsprop(const RMSPropOptions& options = {});

/// torchopt.adagrad.
struct AdaGradOptions {
  ScalarOrSchedule lr = 1e-2;
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
  bool maximize = false;
};
/// chain(flip_sign_and_add_weight_decay, scale_by_rss, scale_by_schedule(1 / (1 + lr_decay
/// count)), scale_by_neg_lr).
GradientTransformation adagrad(const AdaGradOptions& options = {});

/// torchopt.adamax.
struct AdaMaxOptions {
  ScalarOrSchedule lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-6;
  double weight_decay = 0.0;
  bool moment_requires_grad = false;
};
/// chain(flip_sign_and_add_weight_decay, scale_by_adamax, scale_by_neg_lr).
GradientTransformation adamax(const AdaMaxOptions& options = {});

/// torchopt.radam.
struct RAdamOptions {
  ScalarOrSchedule lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-6;
  double weight_decay = 0.0;
  bool moment_requires_grad = false;
};
/// chain(flip_sign_and_add_weight_decay, scale_by_radam, scale_by_neg_lr).
GradientTransformation radam(const RAdamOptions& options = {});

/// torchopt.adadelta.
struct AdaDeltaOptions {
  ScalarOrSchedule lr = 1e-3;
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0.0;
  bool moment_requires_grad = false;
};
/// chain(flip_sign_and_add_weight_decay, scale_by_adadelta, scale_by_neg_lr).
GradientTransformation adadelta(const AdaDeltaOptions& options = {});

}  // namespace metagrad
