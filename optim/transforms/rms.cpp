// scale_by_rms and scale_by_stddev (TorchOpt's transform/scale_by_rms.py and
// scale_by_stddev.py).
#include "optim/transforms.hpp"
#include "optim/transforms/per_parameter.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

GradientTransformation scale_by_rms(const ScaleByRmsOptions& o) {
  const char* who = "scale_by_rms";
  check_nonnegative(o.alpha, who, "alpha");
  check_nonnegative(o.eps, who, "eps");
  return per_parameter_transform(
      {.who = who,
       .kind = "ScaleByRmsState",
       .tensors = {"nu"},
       .init = [scale = o.initial_scale](size_t, const Tensor& p) { return full_like(p, scale); }},
      [o](OptState&) -> ParamUpdateFn {
        return [o](const Tensor& g, TensorList& s, const Tensor&, bool inplace) {
          s[0] = update_moment(g, s[0], o.alpha, 2, inplace);
          return divide_update(g, add(sqrt(s[0]), o.eps), inplace);  // g / (sqrt(nu) + eps)
        };
      });
}

GradientTransformation scale_by_stddev(const ScaleByRmsOptions& o) {
  const char* who = "scale_by_stddev";
  check_nonnegative(o.alpha, who, "alpha");
  check_nonnegative(o.eps, who, "eps");
  return per_parameter_transform(
      {.who = who,
       .kind = "ScaleByRStdDevState",
       .tensors = {"mu", "nu"},
       .init = [scale = o.initial_scale](
                   size_t slot, const Tensor& p) { return full_like(p, slot == 0 ? 0.0 : scale); }},
      [o](OptState&) -> ParamUpdateFn {
        return [o](const Tensor& g, TensorList& s, const Tensor&, bool inplace) {
          s[0] = update_moment(g, s[0], o.alpha, 1, inplace);
          s[1] = update_moment(g, s[1], o.alpha, 2, inplace);
          // u = g / (sqrt(nu - mu^2) + eps)
          return divide_update(g, add(sqrt(sub(s[1], mul(s[0], s[0]))), o.eps), inplace);
        };
      });
}

}  // namespace metagrad
