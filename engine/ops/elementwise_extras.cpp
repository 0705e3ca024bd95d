// copysign, heaviside, angle conversions, logspace, vander, aminmax and renorm
// (elementwise_extras.hpp), composed of existing ops.
#include "engine/ops/elementwise_extras.hpp"

#include <numbers>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/dense_linalg.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

Tensor copysign(const Tensor& a, const Tensor& b) {
  detail::check_floating(a, "copysign");
  detail::check_floating(b, "copysign");
  // b's sign bit: b < 0, or b == -0.0 (whose reciprocal is -inf)
  Tensor negative;
  {
    NoGradGuard no_grad;
    negative = logical_or(lt(b, 0.0), logical_and(eq(b, 0.0), lt(reciprocal(b), 0.0)));
  }
  const Tensor magnitude = abs(a);
  return where(negative, -magnitude, magnitude);
}

Tensor heaviside(const Tensor& x, const Tensor& values) {
  detail::check_defined(x, "heaviside", "input");
  detail::check_defined(values, "heaviside", "values");
  MG_CHECK(x.dtype() == values.dtype(),
           "heaviside: input ({}) and values ({}) must have the same dtype, as PyTorch requires",
           dtype_name(x.dtype()), dtype_name(values.dtype()));
  NoGradGuard no_grad;
  const Tensor step = gt(x, 0.0).to(x.dtype());
  return where(eq(x, 0.0), values, step);
}

Tensor rad2deg(const Tensor& x) {
  detail::check_floating(x, "rad2deg");
  return x * (180.0 / std::numbers::pi);
}

Tensor deg2rad(const Tensor& x) {
  detail::check_floating(x, "deg2rad");
  return x * (std::numbers::pi / 180.0);
}

Tensor logspace(double start, double end, int64_t steps, double base, TensorOptions options) {
  MG_CHECK(steps >= 0, "logspace: steps must be non-negative, got {}", steps);
  return pow(base, linspace(start, end, steps, options));
}

Tensor vander(const Tensor& x, std::optional<int64_t> columns, bool increasing) {
  detail::check_defined(x, "vander");
  MG_CHECK(x.dim() == 1, "vander: x must be 1-D, got shape {}", shape_str(x.shape()));
  const int64_t n = columns.value_or(x.size(0));
  MG_CHECK(n >= 0, "vander: the number of columns must be non-negative, got {}", n);
  const TensorOptions options(x.dtype(), x.device());
  if (n == 0) return empty({x.size(0), 0}, options);
  // [1, x, x^2, ...] as running products of x
  const Tensor one = ones({x.size(0), 1}, options);
  Tensor powers = one;
  if (n > 1) powers = cat({one, cumprod(expand(unsqueeze(x, 1), {x.size(0), n - 1}), 1)}, 1);
  return increasing ? powers : flip(powers, {1});
}

MinMax aminmax(const Tensor& x, std::optional<int64_t> dim, bool keepdim) {
  detail::check_defined(x, "aminmax");
  MG_CHECK(x.numel() > 0 || dim.has_value(),
           "aminmax: cannot reduce an empty tensor (shape {}) over every dim",
           shape_str(x.shape()));
  if (!dim) return {amin(x), amax(x)};
  const Dims dims{*dim};
  return {amin(x, dims, keepdim), amax(x, dims, keepdim)};
}

Tensor renorm(const Tensor& x, double p, int64_t dim, double maxnorm) {
  detail::check_floating(x, "renorm");
  MG_CHECK(p > 0, "renorm: p must be positive, got {}", p);
  MG_CHECK(maxnorm >= 0, "renorm: maxnorm must be non-negative, got {}", maxnorm);
  MG_CHECK(x.dim() >= 1, "renorm: x must have at least one dim, got a 0-d tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "renorm");
  // The p-norm of each slice along d: over every other dim, kept for broadcasting.
  Dims others;
  for (int64_t i = 0; i < x.dim(); ++i)
    if (i != d) others.push_back(i);
  // (A 1-D x's slices are its numbers, whose p-norm is |x|.)
  const Tensor norms = others.empty() ? abs(x) : linalg::vector_norm(x, p, others, true);
  const Tensor factor = where(gt(norms, maxnorm), maxnorm / (norms + 1e-7), 1.0);
  return x * factor;
}

}  // namespace metagrad
