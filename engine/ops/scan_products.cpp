// cumprod and logcumsumexp (scan.hpp) as Hillis-Steele scans (scan_support.hpp). Each round is
// one differentiable op on shifted slices (mul or logaddexp), so the scans inherit every
// derivative order, zeros and -inf included.
#include "engine/ops/scan_support.hpp"

namespace metagrad {
using detail::inclusive_scan;

Tensor cumprod(const Tensor& x, int64_t dim) {
  detail::check_defined(x, "cumprod");
  const Tensor values = is_floating(x.dtype()) ? x : x.to(kInt64);
  return inclusive_scan(values, dim, "cumprod",
                        [](const Tensor& later, const Tensor& earlier) { return later * earlier; });
}

Tensor logcumsumexp(const Tensor& x, int64_t dim) {
  detail::check_floating(x, "logcumsumexp");
  return inclusive_scan(x, dim, "logcumsumexp", [](const Tensor& later, const Tensor& earlier) {
    return logaddexp(later, earlier);
  });
}

}  // namespace metagrad
