// Sorting, top-k, k-th values and medians (engine/ops/sort.hpp): the backend's sort_indices gives
// each line's order, and the values are gathered from x at the indices chosen, so that their
// gradient is gather's (a scatter_add of the incoming one into the chosen places).
#include "engine/ops/sort.hpp"

#include <algorithm>
#include <limits>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/sort_support.hpp"

namespace metagrad {

Tensor detail::line_order(const Tensor& x, int dim, int64_t k, bool descending) {
  Dims shape = x.shape();
  shape[dim] = k;
  Tensor order = make_empty(shape, kInt64, x.device());
  if (order.numel() > 0) backend_of(x).sort_indices(view_of(x), view_of(order), dim, descending);
  return order;
}

namespace {

using Selection = std::tuple<Tensor, Tensor>;

// x's values at `index` along dim, and the index; dim dropped from both unless keepdim.
Selection select_at(const Tensor& x, int dim, const Tensor& index, bool keepdim) {
  const Tensor values = gather(x, dim, index);
  if (keepdim) return {values, index};
  return {squeeze(values, dim), squeeze(index, dim)};
}

// A 0-d x as a 1-element line along dim 0 (which `dim` must name: 0 or -1), else dim normalized.
int line_dim(const Tensor& x, int64_t dim, const char* op) {
  return normalize_dim(dim, std::max(x.dim(), 1), op);
}

// The position of each line's first NaN, or of its largest element when it holds none: the first
// rank in descending order, where NaNs come first in order of position.
Tensor first_nan_or_largest(const Tensor& x, int dim) {
  return detail::line_order(x, dim, 1, true);
}

// Positions of the rank-r elements of each line (kept shape), NaN lines sending their first NaN
// when nan_wins (median's rule).
Tensor rank_position(const Tensor& x, int dim, int64_t r, bool nan_wins) {
  Tensor at = slice(detail::line_order(x, dim, r + 1, false), dim, r, r + 1);
  if (nan_wins && is_floating(x.dtype()))
    at = where(any(isnan(x), Dims{dim}, true), first_nan_or_largest(x, dim), at);
  return at;
}

void check_line_nonempty(const Tensor& x, int dim, const char* op) {
  MG_CHECK(x.shape()[dim] > 0,
           "{}: cannot take it over dim {} of size 0 (input shape {}); reduce over a non-empty "
           "dim",
           op, dim, shape_str(x.shape()));
}

}  // namespace

Selection sort(const Tensor& x, int64_t dim, bool descending, bool /*stable: always*/) {
  detail::check_defined(x, "sort");
  const int d = line_dim(x, dim, "sort");
  if (x.dim() == 0) {
    const auto [values, indices] = sort(reshape(x, {1}), 0, descending);
    return {reshape(values, {}), reshape(indices, {})};
  }
  return select_at(x, d, detail::line_order(x, d, x.shape()[d], descending), true);
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending, bool stable) {
  detail::check_defined(x, "argsort");
  const int d = line_dim(x, dim, "argsort");
  if (x.dim() == 0) return reshape(argsort(reshape(x, {1}), 0, descending, stable), {});
  return detail::line_order(x, d, x.shape()[d], descending);
}

Selection topk(const Tensor& x, int64_t k, int64_t dim, bool largest, bool /*sorted: always*/) {
  detail::check_defined(x, "topk");
  const int d = line_dim(x, dim, "topk");
  const int64_t n = x.dim() == 0 ? 1 : x.shape()[d];
  MG_CHECK(k >= 0 && k <= n,
           "topk: k = {} is out of range for dim {} of size {} (input shape {}); pick 0 <= k <= {}",
           k, dim, n, shape_str(x.shape()), n);
  if (x.dim() == 0) {
    const auto [values, indices] = topk(reshape(x, {1}), k, 0, largest);
    return {reshape(values, Dims(k == 0 ? 1 : 0, 0)), reshape(indices, Dims(k == 0 ? 1 : 0, 0))};
  }
  return select_at(x, d, detail::line_order(x, d, k, largest), true);
}

Selection kthvalue(const Tensor& x, int64_t k, int64_t dim, bool keepdim) {
  detail::check_defined(x, "kthvalue");
  const int d = line_dim(x, dim, "kthvalue");
  if (x.dim() == 0) {
    const auto [values, indices] = kthvalue(reshape(x, {1}), k, 0, false);
    return {values, indices};
  }
  const int64_t n = x.shape()[d];
  MG_CHECK(k >= 1 && k <= n,
           "kthvalue: k = {} is out of range for dim {} of size {} (input shape {}); pick 1 <= k "
           "<= {} (k counts from 1)",
           k, dim, n, shape_str(x.shape()), n);
  return select_at(x, d, rank_position(x, d, k - 1, false), keepdim);
}

Selection median(const Tensor& x, int64_t dim, bool keepdim) {
  detail::check_defined(x, "median");
  const int d = line_dim(x, dim, "median");
  if (x.dim() == 0) return median(reshape(x, {1}), 0, false);
  check_line_nonempty(x, d, "median");
  return select_at(x, d, rank_position(x, d, (x.shape()[d] - 1) / 2, true), keepdim);
}

Tensor median(const Tensor& x) {
  detail::check_defined(x, "median");
  if (x.numel() == 0 && is_floating(x.dtype()))
    return full({}, std::numeric_limits<double>::quiet_NaN(), TensorOptions(x.dtype(), x.device()));
  return std::get<0>(median(flatten(x), 0, false));
}

Selection nanmedian(const Tensor& x, int64_t dim, bool keepdim) {
  detail::check_defined(x, "nanmedian");
  const int d = line_dim(x, dim, "nanmedian");
  if (x.dim() == 0) return nanmedian(reshape(x, {1}), 0, false);
  check_line_nonempty(x, d, "nanmedian");
  if (!is_floating(x.dtype())) return median(x, d, keepdim);
  // The lower median of the m numbers of a line is its rank (m - 1) / 2 (NaNs rank after them);
  // a line of NaNs only takes rank 0, its first NaN.
  const Tensor numbers = sum(logical_not(isnan(x)), Dims{d}, true).to(kFloat64);
  const Tensor rank = floor(clamp(numbers - 1.0, 0.0, std::nullopt) * 0.5).to(kInt64);
  const Tensor order = detail::line_order(x, d, x.shape()[d], false);
  return select_at(x, d, gather(order, d, rank), keepdim);
}

Tensor nanmedian(const Tensor& x) {
  detail::check_defined(x, "nanmedian");
  if (x.numel() == 0 && is_floating(x.dtype()))
    return full({}, std::numeric_limits<double>::quiet_NaN(), TensorOptions(x.dtype(), x.device()));
  return std::get<0>(nanmedian(flatten(x), 0, false));
}

}  // namespace metagrad
