// quantile and nanquantile (engine/ops/sort.hpp): PyTorch's rank rule and interpolation, computed
// in x's dtype, on the line sorted by sort_indices; the values come from gather, so the result is
// differentiable in x to every order.
#include <algorithm>
#include <cmath>

#include "engine/ops.hpp"
#include "engine/ops/elementwise_math.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/sort.hpp"
#include "engine/ops/sort_support.hpp"

namespace metagrad {
namespace {

// The quantile of every line of `lines` along d at the fractional positions `ranks` (kept shape,
// lines' dtype) into the sorted lines.
Tensor interpolate(const Tensor& sorted, int d, Tensor ranks, QuantileInterpolation how) {
  switch (how) {
    case QuantileInterpolation::Lower:
      ranks = floor(ranks);
      break;
    case QuantileInterpolation::Higher:
      ranks = ceil(ranks);
      break;
    case QuantileInterpolation::Nearest:
      ranks = round(ranks);
      break;
    case QuantileInterpolation::Linear:
    case QuantileInterpolation::Midpoint:
      break;
  }
  const Tensor below = gather(sorted, d, ranks.to(kInt64));
  if (how != QuantileInterpolation::Linear && how != QuantileInterpolation::Midpoint) return below;
  const Tensor weights =
      how == QuantileInterpolation::Midpoint ? full_like(ranks, 0.5) : ranks - floor(ranks);
  return lerp(below, gather(sorted, d, ceil(ranks).to(kInt64)), weights);
}

Tensor quantile_of(const Tensor& x, double q, std::optional<int64_t> dim, bool keepdim,
                   QuantileInterpolation how, bool ignore_nan) {
  const char* op = ignore_nan ? "nanquantile" : "quantile";
  detail::check_defined(x, op);
  MG_CHECK(
      is_floating(x.dtype()),
      "{}: the input must be float32 or float64, got {} (shape {}); convert with .to(kFloat32)", op,
      dtype_name(x.dtype()), shape_str(x.shape()));
  MG_CHECK(q >= 0.0 && q <= 1.0, "{}: q = {} must be in [0, 1]", op, q);
  const Tensor lines = dim && x.dim() > 0 ? x : reshape(x, {x.numel()});
  const int d = dim ? normalize_dim(*dim, std::max(x.dim(), 1), op) : 0;
  const int64_t n = lines.shape()[d];
  MG_CHECK(n > 0, "{}: the input must be non-empty along dim {} (input shape {})", op, d,
           shape_str(x.shape()));
  const Tensor sorted = gather(lines, d, detail::line_order(lines, d, n, false));
  const Tensor q_in_dtype = scalar_tensor(q, TensorOptions(x.dtype(), x.device()));
  const Tensor nan = isnan(lines);
  Tensor ranks;
  if (ignore_nan) {
    // rank q (m - 1) among the m numbers of each line, 0 when there are none (the value is NaN)
    const Tensor numbers = sum(logical_not(nan), Dims{d}, true).to(x.dtype());
    ranks = clamp(q_in_dtype * (numbers - 1.0), 0.0, std::nullopt);
  } else {
    // rank q (n - 1); a line holding NaN takes its last rank, a NaN
    const double last = static_cast<double>(n - 1);
    ranks = where(any(nan, Dims{d}, true), last, q_in_dtype * last);
  }
  const Tensor value = interpolate(sorted, d, ranks, how);
  if (x.dim() == 0) return reshape(value, {});
  if (dim) return keepdim ? value : squeeze(value, d);
  return keepdim ? reshape(value, Dims(x.dim(), 1)) : reshape(value, {});
}

template <typename QuantileOfOne>
Tensor stacked_over_q(const Tensor& q, const char* op, const QuantileOfOne& quantile_at) {
  detail::check_defined(q, op, "q");
  MG_CHECK(q.dim() <= 1 && is_floating(q.dtype()),
           "{}: q must be a 0-d or 1-D float tensor, got {} of shape {}", op, dtype_name(q.dtype()),
           shape_str(q.shape()));
  const std::vector<double> values = q.to_vector<double>();
  MG_CHECK(!values.empty(), "{}: q is empty (shape {}); give at least one q", op,
           shape_str(q.shape()));
  if (q.dim() == 0) return quantile_at(values[0]);
  TensorList each;
  for (double v : values) each.push_back(quantile_at(v));
  return stack(each, 0);
}

}  // namespace

Tensor quantile(const Tensor& x, double q, std::optional<int64_t> dim, bool keepdim,
                QuantileInterpolation interpolation) {
  return quantile_of(x, q, dim, keepdim, interpolation, false);
}

Tensor quantile(const Tensor& x, const Tensor& q, std::optional<int64_t> dim, bool keepdim,
                QuantileInterpolation interpolation) {
  return stacked_over_q(q, "quantile", [&](double v) {
    return quantile_of(x, v, dim, keepdim, interpolation, false);
  });
}

Tensor nanquantile(const Tensor& x, double q, std::optional<int64_t> dim, bool keepdim,
                   QuantileInterpolation interpolation) {
  return quantile_of(x, q, dim, keepdim, interpolation, true);
}

Tensor nanquantile(const Tensor& x, const Tensor& q, std::optional<int64_t> dim, bool keepdim,
                   QuantileInterpolation interpolation) {
  return stacked_over_q(q, "nanquantile", [&](double v) {
    return quantile_of(x, v, dim, keepdim, interpolation, true);
  });
}

}  // namespace metagrad
