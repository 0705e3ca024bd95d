// Helpers shared by the distributions.
#include "engine/distributions/distribution_support.hpp"

#include <limits>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::detail {

Dims distribution_sample_shape(const Dims& sample_shape, const Dims& batch_shape,
                               const char* distribution) {
  MG_CHECK(sample_shape.size() + batch_shape.size() <= kMaxDims,
           "{}: sample_shape {} and batch shape {} together have more than {} dims", distribution,
           shape_str(sample_shape), shape_str(batch_shape), kMaxDims);
  Dims shape = sample_shape;
  for (const int64_t size : batch_shape) shape.push_back(size);
  return shape;
}

Dims batch_shape_of_events(const Tensor& parameter) {
  Dims shape = parameter.shape();
  shape.pop_back();
  return shape;
}

double dtype_epsilon(DType dtype) {
  return dtype == kFloat32 ? std::numeric_limits<float>::epsilon()
                           : std::numeric_limits<double>::epsilon();
}

double dtype_tiny(DType dtype) {
  return dtype == kFloat32 ? std::numeric_limits<float>::min() : std::numeric_limits<double>::min();
}

Tensor clamp_probs(const Tensor& p) {
  const double eps = dtype_epsilon(p.dtype());
  return clamp(p, eps, 1.0 - eps);
}

Tensor binary_probs_to_logits(const Tensor& p) {
  const Tensor clamped = clamp_probs(p);
  return log(clamped) - log1p(-clamped);
}

Tensor binary_probs(const Tensor& parameter, bool is_logits) {
  return is_logits ? sigmoid(parameter) : parameter;
}

Tensor binary_logits(const Tensor& parameter, bool is_logits) {
  return is_logits ? parameter : binary_probs_to_logits(parameter);
}

Dims broadcast_parameters(const Tensor& a, const Tensor& b, const char* distribution) {
  check_floating(a, distribution);
  check_floating(b, distribution);
  check_same_kind(a, b, distribution);
  return broadcast_shapes(a.shape(), b.shape(), distribution);
}

Dims location_scale_shape(const Tensor& loc, const Tensor& scale, const char* distribution) {
  Dims shape = broadcast_parameters(loc, scale, distribution);
  check_positive(scale, distribution, "scale");
  return shape;
}

void check_positive(const Tensor& t, const char* distribution, const char* what) {
  NoGradGuard no_grad;
  MG_CHECK(all(gt(t, 0.0)).item<bool>(), "{}: {} must be positive everywhere ({} shape {})",
           distribution, what, what, shape_str(t.shape()));
}

Tensor standard_gamma(const Tensor& concentration, Generator* generator) {
  NoGradGuard no_grad;
  const TensorOptions options(concentration.dtype(), concentration.device());
  const Dims& shape = concentration.shape();
  // Below 1 the squeeze does not apply: Gamma(a) = Gamma(a + 1) * u^(1/a).
  const Tensor boosted = lt(concentration, 1.0);
  const Tensor alpha = where(boosted, concentration + 1.0, concentration);
  const Tensor d = alpha - 1.0 / 3.0;
  const Tensor c = rsqrt(d * 9.0);
  Tensor value = zeros(shape, options);
  Tensor pending = ones(shape, TensorOptions(kBool, concentration.device()));
  // Each round accepts a draw with probability above 0.95, so 200 rounds leave an element
  // pending with probability below 1e-260.
  constexpr int kMaxRounds = 200;
  for (int round = 0; round < kMaxRounds && any(pending).item<bool>(); ++round) {
    const Tensor x = randn(shape, options, generator);
    const Tensor u = rand(shape, options, generator);
    const Tensor v = pow(c * x + 1.0, 3.0);
    // Accept when v > 0 and log u < x^2 / 2 + d - d v + d log v (v is clamped away from 0 only
    // to keep the rejected logs finite).
    const Tensor log_v = log(clamp(v, 1e-30, std::nullopt));
    const Tensor accept =
        logical_and(gt(v, 0.0), lt(log(u), square(x) * 0.5 + d - d * v + d * log_v));
    const Tensor take = logical_and(pending, accept);
    value = where(take, d * v, value);
    pending = logical_and(pending, logical_not(accept));
  }
  MG_CHECK(!any(pending).item<bool>(),
           "Gamma: the sampler did not accept a draw in {} rounds (concentration shape {})",
           kMaxRounds, shape_str(shape));
  const Tensor boost = pow(rand(shape, options, generator), reciprocal(concentration));
  value = where(boosted, value * boost, value);
  const double tiny = dtype_tiny(concentration.dtype());
  return clamp(value, tiny, std::nullopt);
}

}  // namespace metagrad::detail
