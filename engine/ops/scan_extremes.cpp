// cummax and cummin (scan.hpp): a Hillis-Steele scan (scan_support.hpp) of the positions of the
// running extreme, each round keeping the later position unless the earlier one holds a value
// strictly beyond it; the values are then gathered from x, whose adjoint (scatter_add) carries
// their gradient.
#include <tuple>

#include "engine/ops/scan_support.hpp"

namespace metagrad {
namespace {

// The running extreme of x along dim: `later_wins(later, earlier)` says where the later value
// replaces the earlier one (ties and NaN included).
template <typename LaterWins>
std::tuple<Tensor, Tensor> running_extreme(const Tensor& x, int64_t dim, const char* op,
                                           LaterWins later_wins) {
  detail::check_defined(x, op);
  const int d = normalize_dim(dim, std::max(x.dim(), 1), op);
  Tensor indices;
  {
    NoGradGuard no_grad;
    const Tensor values = x.dtype() == kBool ? x.to(kInt64) : x;
    Dims line_shape(x.dim(), 1);
    if (x.dim() > 0) line_shape[d] = x.size(d);
    const Tensor positions =
        x.dim() == 0
            ? zeros({}, TensorOptions(kInt64, x.device()))
            : expand(
                  reshape(arange(static_cast<double>(x.size(d)), TensorOptions(kInt64, x.device())),
                          line_shape),
                  x.shape());
    indices = detail::inclusive_scan(
        contiguous(positions), dim, op, [&](const Tensor& later, const Tensor& earlier) {
          return where(later_wins(gather(values, d, later), gather(values, d, earlier)), later,
                       earlier);
        });
  }
  if (x.dim() == 0) return {x.clone(), indices};
  return {gather(x, d, indices), indices};
}

// NaN counts as beyond every number, and a later NaN takes over.
Tensor is_nan_if_float(const Tensor& v) {
  return is_floating(v.dtype()) ? isnan(v) : zeros(v.shape(), TensorOptions(kBool, v.device()));
}

}  // namespace

std::tuple<Tensor, Tensor> cummax(const Tensor& x, int64_t dim) {
  return running_extreme(x, dim, "cummax", [](const Tensor& later, const Tensor& earlier) {
    return logical_or(ge(later, earlier), is_nan_if_float(later));
  });
}

std::tuple<Tensor, Tensor> cummin(const Tensor& x, int64_t dim) {
  return running_extreme(x, dim, "cummin", [](const Tensor& later, const Tensor& earlier) {
    return logical_or(le(later, earlier), is_nan_if_float(later));
  });
}

}  // namespace metagrad
