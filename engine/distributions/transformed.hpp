#pragma once

#include "engine/distributions/distributions.hpp"
#include "engine/distributions/univariate.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// Distributions PyTorch builds as a TransformedDistribution of a simpler one: Weibull and Pareto
// (of an Exponential), Kumaraswamy (of a Uniform) and HalfCauchy (|Cauchy|). Same constructors,
// draws (the base's draw pushed through the transforms, so one generator state gives the base's
// draw transformed) and closed forms of log_prob, cdf, entropy, mean and variance, composed of
// differentiable ops (every derivative order in the parameters and the value).
namespace metagrad::distributions {
/// \addtogroup engine_distributions
/// @{

/// A Weibull distribution with density (k / scale) (x / scale)^(k - 1) e^(-(x / scale)^k) on
/// x > 0 (torch.distributions.Weibull); scale > 0, concentration k > 0.
class Weibull {
 public:
  /// torch.distributions.Weibull(scale, concentration). Throws when the shapes do not broadcast
  /// or a parameter is not positive.
  Weibull(const Tensor& scale, const Tensor& concentration);
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// scale E^(1 / k), E ~ Exponential(1): differentiable in scale and k.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// log(k / scale) + (k - 1) log(x / scale) - (x / scale)^k.
  Tensor log_prob(const Tensor& value) const;
  /// 1 - e^(-(x / scale)^k).
  Tensor cdf(const Tensor& value) const;
  /// euler_gamma (1 - 1 / k) + log(scale / k) + 1.
  Tensor entropy() const;
  /// scale Gamma(1 + 1 / k).
  Tensor mean() const;
  /// scale^2 (Gamma(1 + 2 / k) - Gamma(1 + 1 / k)^2).
  Tensor variance() const;
  /// The broadcast shape of scale and concentration.
  const Dims& batch_shape() const { return batch_shape_; }
  /// scale, as given.
  const Tensor& scale() const { return scale_; }
  /// concentration, as given.
  const Tensor& concentration() const { return concentration_; }

 private:
  Tensor scale_, concentration_;
  Dims batch_shape_;
};

/// A Pareto (type I) distribution with density alpha scale^alpha / x^(alpha + 1) on x >= scale
/// (torch.distributions.Pareto); scale > 0, alpha > 0.
class Pareto {
 public:
  /// torch.distributions.Pareto(scale, alpha). Throws when the shapes do not broadcast or a
  /// parameter is not positive.
  Pareto(const Tensor& scale, const Tensor& alpha);
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// scale e^E, E ~ Exponential(alpha): differentiable in scale and alpha.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// log(alpha) + alpha log(scale) - (alpha + 1) log(x) (the formula also below scale, as
  /// PyTorch's without validate_args).
  Tensor log_prob(const Tensor& value) const;
  /// 1 - (scale / x)^alpha.
  Tensor cdf(const Tensor& value) const;
  /// log(scale / alpha) + 1 / alpha + 1.
  Tensor entropy() const;
  /// alpha scale / (alpha - 1) for alpha > 1, infinite otherwise.
  Tensor mean() const;
  /// scale^2 alpha / ((alpha - 1)^2 (alpha - 2)) for alpha > 2, infinite otherwise.
  Tensor variance() const;
  /// The broadcast shape of scale and alpha.
  const Dims& batch_shape() const { return batch_shape_; }
  /// scale, as given.
  const Tensor& scale() const { return scale_; }
  /// alpha, as given.
  const Tensor& alpha() const { return alpha_; }

 private:
  Tensor scale_, alpha_;
  Dims batch_shape_;
};

/// The Kumaraswamy distribution with density a b x^(a - 1) (1 - x^a)^(b - 1) on (0, 1)
/// (torch.distributions.Kumaraswamy); a = concentration1 > 0, b = concentration0 > 0.
class Kumaraswamy {
 public:
  /// torch.distributions.Kumaraswamy(concentration1, concentration0). Throws when the shapes do
  /// not broadcast or a parameter is not positive.
  Kumaraswamy(const Tensor& concentration1, const Tensor& concentration0);
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// (1 - u^(1 / b))^(1 / a), u ~ U[0, 1): differentiable in a and b.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// log(a b) + (a - 1) log(x) + (b - 1) log(1 - x^a).
  Tensor log_prob(const Tensor& value) const;
  /// (1 - 1 / b) + (1 - 1 / a) (digamma(b + 1) + euler_gamma) - log(a b).
  Tensor entropy() const;
  /// b B(1 + 1 / a, b).
  Tensor mean() const;
  /// b B(1 + 2 / a, b) - mean^2.
  Tensor variance() const;
  /// The broadcast shape of the concentrations.
  const Dims& batch_shape() const { return batch_shape_; }
  /// a, as given.
  const Tensor& concentration1() const { return concentration1_; }
  /// b, as given.
  const Tensor& concentration0() const { return concentration0_; }

 private:
  Tensor concentration1_, concentration0_;
  Dims batch_shape_;
};

/// The distribution of |X| for X ~ Cauchy(0, scale) (torch.distributions.HalfCauchy); scale > 0.
/// Its mean and variance are infinite.
class HalfCauchy {
 public:
  /// torch.distributions.HalfCauchy(scale). Throws when a scale is not positive.
  explicit HalfCauchy(const Tensor& scale);
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// |Cauchy(0, scale) draw|: differentiable in scale.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// Cauchy's log_prob + log(2) for value >= 0, -inf below.
  Tensor log_prob(const Tensor& value) const;
  /// (2 / pi) atan(value / scale) (negative below 0, as PyTorch's 2 F(x) - 1).
  Tensor cdf(const Tensor& value) const;
  /// log(2 pi scale).
  Tensor entropy() const;
  /// +inf, of the batch shape.
  Tensor mean() const;
  /// +inf, of the batch shape.
  Tensor variance() const;
  /// scale's shape.
  const Dims& batch_shape() const { return base_.batch_shape(); }
  /// scale, as given.
  const Tensor& scale() const { return scale_; }
  /// The Cauchy(0, scale) folded at 0.
  const Cauchy& base_dist() const { return base_; }

 private:
  Tensor scale_;
  Cauchy base_;
};

/// @}
}  // namespace metagrad::distributions
