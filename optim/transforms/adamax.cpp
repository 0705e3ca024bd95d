// scale_by_adamax (TorchOpt's transform/scale_by_adamax.py).
#include <cmath>

#include "optim/transforms.hpp"
#include "optim/transforms/per_parameter.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

GradientTransformation scale_by_adamax(const ScaleByAdamaxOptions& o) {
  const char* who = "scale_by_adamax";
  check_nonnegative(o.eps, who, "eps");
  check_unit_interval(o.b1, who, "b1");
  check_unit_interval(o.b2, who, "b2");
  return per_parameter_transform({.who = who,
                                  .kind = "ScaleByAdamaxState",
                                  .tensors = {"mu", "nu"},
                                  .counters = {{"t", 1}},
                                  .moment_requires_grad = o.moment_requires_grad},
                                 [o](OptState& state) -> ParamUpdateFn {
                                   int64_t& t = state.counter("t");
                                   const double bc1 = 1.0 - std::pow(o.b1, static_cast<double>(t));
                                   t = inc_count(t);
                                   return [o, bc1](const Tensor& g, TensorList& s, const Tensor&,
                                                   bool inplace) {
                                     s[0] = update_moment(g, s[0], o.b1, 1, inplace);
                                     // nu = max(b2 nu, |g| + eps): a new tensor either way (as
                                     // TorchOpt).
                                     s[1] = maximum(mul(s[1], o.b2), add(abs(g), o.eps));
                                     return div(div(s[0], s[1]), bc1);
                                   };
                                 });
}

}  // namespace metagrad
