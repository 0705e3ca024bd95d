// torchopt.sgd (torchopt/alias/sgd.py).
#include "optim/alias.hpp"
#include "optim/transforms.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

GradientTransformation sgd(const SGDOptions& o) {
  const char* who = "sgd";
  check_lr(o.lr, who);
  check_nonnegative(o.momentum, who, "momentum");
  check_nonnegative(o.weight_decay, who, "weight_decay");
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

}  // namespace metagrad
