// torchopt.adamax, torchopt.radam and torchopt.adadelta (torchopt/alias/adamax.py, radam.py,
// adadelta.py). TorchOpt gives these no maximize option.
#include "optim/alias.hpp"
#include "optim/transforms.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

namespace {

void check_common(const ScalarOrSchedule& lr, double eps, double weight_decay, const char* who) {
  check_lr(lr, who);
  check_nonnegative(eps, who, "eps");
  check_nonnegative(weight_decay, who, "weight_decay");
}

}  // namespace

GradientTransformation adamax(const AdaMaxOptions& o) {
  check_common(o.lr, o.eps, o.weight_decay, "adamax");
  check_betas(o.betas, "adamax");
  return chain(flip_sign_and_add_weight_decay(o.weight_decay, false),
               scale_by_adamax({.b1 = o.betas.first,
                                .b2 = o.betas.second,
                                .eps = o.eps,
                                .moment_requires_grad = o.moment_requires_grad}),
               scale_by_neg_lr(o.lr));
}

GradientTransformation radam(const RAdamOptions& o) {
  check_common(o.lr, o.eps, o.weight_decay, "radam");
  check_betas(o.betas, "radam");
  return chain(flip_sign_and_add_weight_decay(o.weight_decay, false),
               scale_by_radam({.b1 = o.betas.first,
                               .b2 = o.betas.second,
                               .eps = o.eps,
                               .moment_requires_grad = o.moment_requires_grad}),
               scale_by_neg_lr(o.lr));
}

GradientTransformation adadelta(const AdaDeltaOptions& o) {
  check_common(o.lr, o.eps, o.weight_decay, "adadelta");
  check_unit_interval(o.rho, "adadelta", "rho");
  return chain(flip_sign_and_add_weight_decay(o.weight_decay, false),
               scale_by_adadelta(
                   {.rho = o.rho, .eps = o.eps, .moment_requires_grad = o.moment_requires_grad}),
               scale_by_neg_lr(o.lr));
}

}  // namespace metagrad
