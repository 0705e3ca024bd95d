// torchopt.adam and torchopt.adamw (torchopt/alias/adam.py, adamw.py).
#include "optim/alias.hpp"
#include "optim/transforms.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

namespace {

GradientTransformation adam_scaler(const std::pair<double, double>& betas, double eps,
                                   double eps_root, bool moment_requires_grad, bool accelerated) {
  const ScaleByAdamOptions options{.b1 = betas.first,
                                   .b2 = betas.second,
                                   .eps = eps,
                                   .eps_root = eps_root,
                                   .moment_requires_grad = moment_requires_grad};
  return accelerated ? scale_by_accelerated_adam(options) : scale_by_adam(options);
}

}  // namespace

GradientTransformation adam(const AdamOptions& o) {
  const char* who = "adam";
  check_lr(o.lr, who);
  check_nonnegative(o.eps, who, "eps");
  check_betas(o.betas, who);
  check_nonnegative(o.weight_decay, who, "weight_decay");
  check_nonnegative(o.eps_root, who, "eps_root");
  return chain(
      flip_sign_and_add_weight_decay(o.weight_decay, o.maximize),
      adam_scaler(o.betas, o.eps, o.eps_root, o.moment_requires_grad, o.use_accelerated_op),
      scale_by_neg_lr(o.lr));
}

GradientTransformation adamw(const AdamWOptions& o) {
  const char* who = "adamw";
  check_lr(o.lr, who);
  check_nonnegative(o.eps, who, "eps");
  check_betas(o.betas, who);
  check_nonnegative(o.weight_decay, who, "weight_decay");
  check_nonnegative(o.eps_root, who, "eps_root");
  return chain(
      flip_sign_and_add_weight_decay(0.0, o.maximize),
      adam_scaler(o.betas, o.eps, o.eps_root, o.moment_requires_grad, o.use_accelerated_op),
      add_decayed_weights({.weight_decay = o.weight_decay, .mask = o.mask}), scale_by_neg_lr(o.lr));
}

}  // namespace metagrad
