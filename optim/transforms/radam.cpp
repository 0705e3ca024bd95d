// scale_by_radam (TorchOpt's transform/scale_by_radam.py).
#include <cmath>

#include "optim/transforms.hpp"
#include "optim/transforms/per_parameter.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

GradientTransformation scale_by_radam(const ScaleByRAdamOptions& o) {
  const char* who = "scale_by_radam";
  check_nonnegative(o.eps, who, "eps");
  check_unit_interval(o.b1, who, "b1");
  check_unit_interval(o.b2, who, "b2");
  return per_parameter_transform(
      {.who = who,
       .kind = "ScaleByRAdamState",
       .tensors = {"mu", "nu"},
       .counters = {{"t", 1}},
       .moment_requires_grad = o.moment_requires_grad},
      [o](OptState& state) -> ParamUpdateFn {
        int64_t& t_count = state.counter("t");
        const double t = static_cast<double>(t_count);
        t_count = inc_count(t_count);
        const double rho_inf = 2.0 / (1.0 - o.b2) - 1.0;
        const double bc1 = 1.0 - std::pow(o.b1, t);
        const double bc2 = 1.0 - std::pow(o.b2, t);
        const double rho = rho_inf - 2.0 * t * std::pow(o.b2, t) / bc2;
        const bool rectify = rho > 5.0;
        const double numerator = rectify ? std::sqrt(bc2 * (rho - 4.0) * (rho - 2.0) * rho_inf /
                                                     ((rho_inf - 4.0) * (rho_inf - 2.0) * rho))
                                         : 0.0;
        return [o, bc1, rectify, numerator](const Tensor& g, TensorList& s, const Tensor&,
                                            bool inplace) {
          s[0] = update_moment(g, s[0], o.b1, 1, inplace);
          s[1] = update_moment(g, s[1], o.b2, 2, inplace);
          // rectified: u = mu * (numerator / (1 - b1^t)) / (sqrt(nu) + eps); else mu / (1 - b1^t)
          return rectify ? div(mul(s[0], numerator / bc1), add(sqrt(s[1]), o.eps)) : div(s[0], bc1);
        };
      });
}

}  // namespace metagrad
