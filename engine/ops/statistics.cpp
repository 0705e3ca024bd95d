// nansum, nanmean, var_mean, std_mean, cov, corrcoef, count_nonzero and isclose
// (statistics.hpp), composed of differentiable ops.
#include "engine/ops/statistics.hpp"

#include <fmt/format.h>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// x with NaN entries replaced by 0 (their gradient 0).
Tensor nan_as_zero(const Tensor& x) { return where(isnan(x), 0.0, x); }

// Checks a cov weight vector: defined ones must be 1-D of the observation count.
void check_weights(const Tensor& w, int64_t observations, const char* name) {
  if (!w.defined()) return;
  MG_CHECK(w.dim() == 1 && w.size(0) == observations,
           "cov: {} must be 1-D with one weight per observation ({}), got shape {}", name,
           observations, shape_str(w.shape()));
  NoGradGuard no_grad;
  MG_CHECK(all(ge(w, 0.0)).item<bool>(), "cov: {} must be non-negative", name);
}

}  // namespace

Tensor nansum(const Tensor& x, const Dims& dims, bool keepdim) {
  detail::check_floating(x, "nansum");
  return sum(nan_as_zero(x), dims, keepdim);
}

Tensor nanmean(const Tensor& x, const Dims& dims, bool keepdim) {
  detail::check_floating(x, "nanmean");
  const Tensor counted = logical_not(isnan(x)).to(x.dtype());
  return sum(nan_as_zero(x), dims, keepdim) / sum(counted, dims, keepdim);
}

std::tuple<Tensor, Tensor> var_mean(const Tensor& x, const Dims& dims, bool unbiased,
                                    bool keepdim) {
  return {var(x, dims, unbiased, keepdim), mean(x, dims, keepdim)};
}

std::tuple<Tensor, Tensor> std_mean(const Tensor& x, const Dims& dims, bool unbiased,
                                    bool keepdim) {
  return {std(x, dims, unbiased, keepdim), mean(x, dims, keepdim)};
}

Tensor cov(const Tensor& x, int64_t correction, const Tensor& fweights, const Tensor& aweights) {
  detail::check_floating(x, "cov");
  MG_CHECK(x.dim() <= 2,
           "cov: expected x [variables, observations] or [observations], got shape {}",
           shape_str(x.shape()));
  const Tensor rows = x.dim() < 2 ? reshape(x, {1, -1}) : x;
  const int64_t observations = rows.size(1);
  check_weights(fweights, observations, "fweights");
  check_weights(aweights, observations, "aweights");
  if (fweights.defined())
    MG_CHECK(!is_floating(fweights.dtype()), "cov: fweights must be integers, got {}",
             dtype_name(fweights.dtype()));
  Tensor w;  // the product of the weights given, as x's dtype
  if (fweights.defined()) w = fweights.to(x.dtype());
  if (aweights.defined()) w = w.defined() ? w * aweights : aweights;
  const double c = static_cast<double>(correction);
  Tensor average, normaliser;
  if (w.defined()) {
    const Tensor total = sum(w);
    average = sum(rows * w, {1}, true) / total;
    normaliser = correction == 0      ? total
                 : aweights.defined() ? total - c * sum(w * aweights) / total
                                      : total - c;
  } else {
    average = mean(rows, {1}, true);
    normaliser =
        full({}, static_cast<double>(observations) - c, TensorOptions(x.dtype(), x.device()));
  }
  // sum_k w_k (x_ik - avg_i)(x_jk - avg_j) / max(normaliser, 0)
  const Tensor centred = rows - average;
  const Tensor weighted = w.defined() ? centred * w : centred;
  const Tensor product = matmul(centred, transpose(weighted, 0, 1));
  const Tensor out = product / clamp(normaliser, 0.0, std::nullopt);
  return x.dim() < 2 ? reshape(out, {}) : out;
}

Tensor corrcoef(const Tensor& x) {
  detail::check_floating(x, "corrcoef");
  const Tensor c = cov(x);
  if (c.dim() == 0) return c / c;
  const Tensor deviation = sqrt(diagonal(c));
  const Tensor r = c / unsqueeze(deviation, 1) / unsqueeze(deviation, 0);
  return clamp(r, -1.0, 1.0);
}

Tensor count_nonzero(const Tensor& x, const Dims& dims) {
  detail::check_defined(x, "count_nonzero");
  NoGradGuard no_grad;
  return sum(ne(x, 0.0).to(kInt64), dims);
}

Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  detail::check_defined(a, "isclose");
  detail::check_defined(b, "isclose", "b");
  MG_CHECK(rtol >= 0.0 && atol >= 0.0, "isclose: rtol ({}) and atol ({}) must be non-negative",
           rtol, atol);
  NoGradGuard no_grad;
  Tensor close = eq(a, b);
  if (equal_nan) close = logical_or(close, logical_and(isnan(a), isnan(b)));
  if (!is_floating(a.dtype()) && !is_floating(b.dtype())) return close;
  const Tensor error = abs(a - b);
  const Tensor within = logical_and(isfinite(error), le(error, atol + rtol * abs(b)));
  return logical_or(close, within);
}

}  // namespace metagrad
