// scale_by_adadelta (TorchOpt's transform/scale_by_adadelta.py).
#include "optim/transforms.hpp"
#include "optim/transforms/per_parameter.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

GradientTransformation scale_by_adadelta(const ScaleByAdadeltaOptions& o) {
  const char* who = "scale_by_adadelta";
  check_nonnegative(o.eps, who, "eps");
  check_unit_interval(o.rho, who, "rho");
  return per_parameter_transform(
      {.who = who,
       .kind = "ScaleByAdadeltaState",
       .tensors = {"mu", "nu"},
       .moment_requires_grad = o.moment_requires_grad},
      [o](OptState&) -> ParamUpdateFn {
        return [o](const Tensor& g, TensorList& s, const Tensor&, bool inplace) {
          s[0] = update_moment(g, s[0], o.rho, 2, inplace);
          // u = g sqrt((nu + eps) / (mu + eps)), then nu = rho nu + (1 - rho) u^2
          const Tensor factor = sqrt(div(add(s[1], o.eps), add(s[0], o.eps)));
          Tensor u;
          if (inplace) {
            u = g;
            u.mul_(factor);
          } else {
            u = mul(g, factor);
          }
          s[1] = update_moment(u, s[1], o.rho, 2, inplace);
          return u;
        };
      });
}

}  // namespace metagrad
