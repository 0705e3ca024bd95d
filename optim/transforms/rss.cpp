// scale_by_rss (TorchOpt's transform/scale_by_rss.py).
#include "optim/transforms.hpp"
#include "optim/transforms/per_parameter.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

GradientTransformation scale_by_rss(const ScaleByRssOptions& o) {
  const char* who = "scale_by_rss";
  check_nonnegative(o.initial_accumulator_value, who, "initial_accumulator_value");
  check_nonnegative(o.eps, who, "eps");
  return per_parameter_transform(
      {.who = who,
       .kind = "ScaleByRssState",
       .tensors = {"sum_of_squares"},
       .init = [value = o.initial_accumulator_value](
                   size_t, const Tensor& p) { return full_like(p, value); }},
      [o](OptState&) -> ParamUpdateFn {
        return [o](const Tensor& g, TensorList& s, const Tensor&, bool inplace) {
          s[0] = update_moment(g, s[0], 1.0, 2, inplace);
          // u = g / (sqrt(sos) + eps) where sos > 0, else 0
          const Tensor scaled = divide_update(g, add(sqrt(s[0]), o.eps), inplace);
          return where(gt(s[0], 0.0), scaled, 0.0);
        };
      });
}

}  // namespace metagrad
