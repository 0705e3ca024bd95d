// torchopt.rmsprop and torchopt.adagrad (torchopt/alias/rmsprop.py, adagrad.py).
#include "optim/alias.hpp"
#include "optim/transforms.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

GradientTransformation rmsprop(const RMSPropOptions& o) {
  const char* who = "rmsprop";
  check_lr(o.lr, who);
  check_nonnegative(o.alpha, who, "alpha");
  check_nonnegative(o.eps, who, "eps");
  check_nonnegative(o.momentum, who, "momentum");
  check_nonnegative(o.weight_decay, who, "weight_decay");
  MG_CHECK(!o.nesterov || o.momentum > 0.0,
           "rmsprop: Nesterov momentum requires a momentum (got momentum = {})", o.momentum);
  const ScaleByRmsOptions scaler{.alpha = o.alpha, .eps = o.eps, .initial_scale = o.initial_scale};
  return chain(flip_sign_and_add_weight_decay(o.weight_decay, o.maximize),
               o.centered ? scale_by_stddev(scaler) : scale_by_rms(scaler),
               trace({.momentum = o.momentum, .dampening = 0.0, .nesterov = o.nesterov}),
               scale_by_neg_lr(o.lr));
}

GradientTransformation adagrad(const AdaGradOptions& o) {
  const char* who = "adagrad";
  check_lr(o.lr, who);
  check_nonnegative(o.lr_decay, who, "lr_decay");
  check_nonnegative(o.weight_decay, who, "weight_decay");
  check_nonnegative(o.initial_accumulator_value, who, "initial_accumulator_value");
  check_nonnegative(o.eps, who, "eps");
  const double decay_rate = o.lr_decay;
  return chain(
      flip_sign_and_add_weight_decay(o.weight_decay, o.maximize),
      scale_by_rss({.initial_accumulator_value = o.initial_accumulator_value, .eps = o.eps}),
      scale_by_schedule([decay_rate](int64_t count) {
        return 1.0 / (1.0 + decay_rate * static_cast<double>(count));
      }),
      scale_by_neg_lr(o.lr));
}

}  // namespace metagrad
