// torch.distributions.LogNormal and HalfNormal: a Normal seen through exp and through abs,
// composed of differentiable ops.
#include <cmath>
#include <limits>
#include <numbers>

#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/univariate.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {
namespace {

// The standard normal CDF of z: (1 + erf(z / sqrt(2))) / 2.
Tensor standard_normal_cdf(const Tensor& z) {
  return (erf(z * std::numbers::sqrt2 * 0.5) + 1.0) * 0.5;
}

// Normal(loc, scale) after checking the parameters, errors naming `distribution`.
Normal checked_normal(const Tensor& loc, const Tensor& scale, const char* distribution) {
  metagrad::detail::location_scale_shape(loc, scale, distribution);
  return Normal(loc, scale);
}

}  // namespace

LogNormal::LogNormal(const Tensor& loc, const Tensor& scale)
    : base_(checked_normal(loc, scale, "LogNormal")) {}

Tensor LogNormal::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor LogNormal::rsample(const Dims& sample_shape, Generator* generator) const {
  return exp(base_.rsample(sample_shape, generator));
}

Tensor LogNormal::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(base_.mean(), value, "LogNormal.log_prob");
  // log p(x) = log N(log x) - log x (the Jacobian of exp)
  const Tensor log_value = log(value);
  return base_.log_prob(log_value) - log_value;
}

Tensor LogNormal::cdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(base_.mean(), value, "LogNormal.cdf");
  return standard_normal_cdf((log(value) - base_.mean()) / base_.stddev());
}

Tensor LogNormal::entropy() const { return base_.entropy() + base_.mean(); }

Tensor LogNormal::mean() const { return exp(base_.mean() + base_.variance() * 0.5); }

Tensor LogNormal::variance() const {
  const Tensor scale_squared = base_.variance();
  return expm1(scale_squared) * exp(base_.mean() * 2.0 + scale_squared);
}

HalfNormal::HalfNormal(const Tensor& scale)
    : scale_(scale),
      base_(checked_normal(scale.defined() ? zeros_like(scale) : Tensor(), scale, "HalfNormal")) {}

Tensor HalfNormal::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor HalfNormal::rsample(const Dims& sample_shape, Generator* generator) const {
  return abs(base_.rsample(sample_shape, generator));
}

Tensor HalfNormal::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(scale_, value, "HalfNormal.log_prob");
  // twice the normal density on x >= 0
  return where(ge(value, 0.0), base_.log_prob(value) + std::numbers::ln2,
               -std::numeric_limits<double>::infinity());
}

Tensor HalfNormal::cdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(scale_, value, "HalfNormal.cdf");
  // 2 Phi(x / scale) - 1 = erf(x / (scale sqrt(2)))
  return erf(value / scale_ * (std::numbers::sqrt2 * 0.5));
}

Tensor HalfNormal::entropy() const { return base_.entropy() - std::numbers::ln2; }

Tensor HalfNormal::mean() const { return scale_ * std::sqrt(2.0 / std::numbers::pi); }

Tensor HalfNormal::variance() const { return square(scale_) * (1.0 - 2.0 / std::numbers::pi); }

Tensor kl_divergence(const LogNormal& p, const LogNormal& q) {
  return kl_divergence(p.base_dist(), q.base_dist());
}

Tensor kl_divergence(const HalfNormal& p, const HalfNormal& q) {
  return kl_divergence(p.base_dist(), q.base_dist());
}

}  // namespace metagrad::distributions
