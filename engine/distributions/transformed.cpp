// Weibull, Pareto, Kumaraswamy and HalfCauchy (transformed.hpp): draws are PyTorch's base draws
// pushed through its transforms; densities and moments are the closed forms of those
// TransformedDistributions, composed of differentiable ops.
#include "engine/distributions/transformed.hpp"

#include <limits>
#include <numbers>

#include "engine/distributions/distribution_support.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The batch shape of a distribution of two positive parameters, checked.
Dims positive_parameters(const Tensor& a, const Tensor& b, const char* distribution,
                         const char* a_name, const char* b_name) {
  const Dims shape = metagrad::detail::broadcast_parameters(a, b, distribution);
  metagrad::detail::check_positive(a, distribution, a_name);
  metagrad::detail::check_positive(b, distribution, b_name);
  return shape;
}

// Standard exponential draws of `shape` (Exponential(1)'s draws for the generator state).
Tensor unit_exponential(const Dims& sample_shape, const Dims& batch_shape, const Tensor& like,
                        Generator* generator, const char* distribution) {
  const Tensor u =
      rand(metagrad::detail::distribution_sample_shape(sample_shape, batch_shape, distribution),
           TensorOptions(like.dtype(), like.device()), generator);
  return -log1p(-u);
}

Cauchy checked_cauchy(const Tensor& scale) {
  const Tensor loc = scale.defined() ? zeros_like(scale) : Tensor();
  metagrad::detail::location_scale_shape(loc, scale, "HalfCauchy");
  return Cauchy(loc, scale);
}

}  // namespace

Weibull::Weibull(const Tensor& scale, const Tensor& concentration)
    : scale_(scale),
      concentration_(concentration),
      batch_shape_(positive_parameters(scale, concentration, "Weibull", "scale", "concentration")) {
}

Tensor Weibull::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor Weibull::rsample(const Dims& sample_shape, Generator* generator) const {
  const Tensor e = unit_exponential(sample_shape, batch_shape_, scale_, generator, "Weibull");
  return scale_ * pow(e, reciprocal(concentration_));
}

Tensor Weibull::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(scale_, value, "Weibull.log_prob");
  const Tensor ratio = value / scale_;
  return log(concentration_ / scale_) + (concentration_ - 1.0) * log(ratio) -
         pow(ratio, concentration_);
}

Tensor Weibull::cdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(scale_, value, "Weibull.cdf");
  return -expm1(-pow(value / scale_, concentration_));
}

Tensor Weibull::entropy() const {
  return expand((1.0 - reciprocal(concentration_)) * std::numbers::egamma +
                    log(scale_ / concentration_) + 1.0,
                batch_shape_);
}

Tensor Weibull::mean() const {
  return expand(scale_ * exp(lgamma(1.0 + reciprocal(concentration_))), batch_shape_);
}

Tensor Weibull::variance() const {
  const Tensor first = exp(lgamma(1.0 + reciprocal(concentration_)));
  const Tensor second = exp(lgamma(1.0 + 2.0 / concentration_));
  return expand(square(scale_) * (second - square(first)), batch_shape_);
}

Pareto::Pareto(const Tensor& scale, const Tensor& alpha)
    : scale_(scale),
      alpha_(alpha),
      batch_shape_(positive_parameters(scale, alpha, "Pareto", "scale", "alpha")) {}

Tensor Pareto::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor Pareto::rsample(const Dims& sample_shape, Generator* generator) const {
  const Tensor e = unit_exponential(sample_shape, batch_shape_, scale_, generator, "Pareto");
  return scale_ * exp(e / alpha_);
}

Tensor Pareto::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(scale_, value, "Pareto.log_prob");
  return log(alpha_) + alpha_ * log(scale_) - (alpha_ + 1.0) * log(value);
}

Tensor Pareto::cdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(scale_, value, "Pareto.cdf");
  return 1.0 - pow(scale_ / value, alpha_);
}

Tensor Pareto::entropy() const {
  return expand(log(scale_ / alpha_) + reciprocal(alpha_) + 1.0, batch_shape_);
}

Tensor Pareto::mean() const {
  const Tensor a = expand(alpha_, batch_shape_);
  return where(gt(a, 1.0), a * scale_ / (a - 1.0), kInf);
}

Tensor Pareto::variance() const {
  const Tensor a = expand(alpha_, batch_shape_);
  return where(gt(a, 2.0), square(scale_) * a / (square(a - 1.0) * (a - 2.0)), kInf);
}

Kumaraswamy::Kumaraswamy(const Tensor& concentration1, const Tensor& concentration0)
    : concentration1_(concentration1),
      concentration0_(concentration0),
      batch_shape_(positive_parameters(concentration1, concentration0, "Kumaraswamy",
                                       "concentration1", "concentration0")) {}

Tensor Kumaraswamy::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor Kumaraswamy::rsample(const Dims& sample_shape, Generator* generator) const {
  const Tensor u =
      rand(metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "Kumaraswamy"),
           TensorOptions(concentration1_.dtype(), concentration1_.device()), generator);
  return pow(1.0 - pow(u, reciprocal(concentration0_)), reciprocal(concentration1_));
}

Tensor Kumaraswamy::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(concentration1_, value, "Kumaraswamy.log_prob");
  const Tensor& a = concentration1_;
  const Tensor& b = concentration0_;
  return log(a * b) + (a - 1.0) * log(value) + (b - 1.0) * log1p(-pow(value, a));
}

Tensor Kumaraswamy::entropy() const {
  const Tensor& a = concentration1_;
  const Tensor& b = concentration0_;
  const Tensor harmonic = digamma(b + 1.0) + std::numbers::egamma;
  return expand((1.0 - reciprocal(b)) + (1.0 - reciprocal(a)) * harmonic - log(a) - log(b),
                batch_shape_);
}

namespace {

// E[X^n] = b B(1 + n / a, b) of Kumaraswamy(a, b).
Tensor kumaraswamy_moment(const Tensor& a, const Tensor& b, double n) {
  const Tensor shifted = 1.0 + n / a;
  return b * exp(lgamma(shifted) + lgamma(b) - lgamma(shifted + b));
}

}  // namespace

Tensor Kumaraswamy::mean() const {
  return expand(kumaraswamy_moment(concentration1_, concentration0_, 1.0), batch_shape_);
}

Tensor Kumaraswamy::variance() const {
  const Tensor m = kumaraswamy_moment(concentration1_, concentration0_, 1.0);
  return expand(kumaraswamy_moment(concentration1_, concentration0_, 2.0) - square(m),
                batch_shape_);
}

HalfCauchy::HalfCauchy(const Tensor& scale) : scale_(scale), base_(checked_cauchy(scale)) {}

Tensor HalfCauchy::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor HalfCauchy::rsample(const Dims& sample_shape, Generator* generator) const {
  return abs(base_.rsample(sample_shape, generator));
}

Tensor HalfCauchy::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(scale_, value, "HalfCauchy.log_prob");
  // twice the Cauchy density on x >= 0
  return where(ge(value, 0.0), base_.log_prob(value) + std::numbers::ln2, -kInf);
}

Tensor HalfCauchy::cdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(scale_, value, "HalfCauchy.cdf");
  return atan(value / scale_) * (2.0 / std::numbers::pi);
}

Tensor HalfCauchy::entropy() const { return base_.entropy() - std::numbers::ln2; }

Tensor HalfCauchy::mean() const {
  return full(batch_shape(), kInf, TensorOptions(scale_.dtype(), scale_.device()));
}

Tensor HalfCauchy::variance() const { return mean(); }

}  // namespace metagrad::distributions
