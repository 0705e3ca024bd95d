#pragma once

#include "engine/distributions/distributions.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// More univariate distributions of torch.distributions: LogNormal and HalfNormal (Normal through
// exp and abs), Cauchy, Gumbel, StudentT and Geometric, with PyTorch's constructors, shapes and
// formulas, composed of differentiable ops as those of distributions.hpp (every derivative order
// of log_prob, cdf, entropy and rsample in the parameters).
namespace metagrad::distributions {
/// \addtogroup engine_distributions
/// @{

/// The distribution of exp(X) for X ~ N(loc, scale^2) (torch.distributions.LogNormal); scale > 0.
class LogNormal {
 public:
  /// torch.distributions.LogNormal(loc, scale). Throws when the shapes do not broadcast or a
  /// scale is not positive.
  LogNormal(const Tensor& loc, const Tensor& scale);
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// exp(loc + scale * eps), eps ~ N(0, 1): differentiable in loc and scale.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// Normal's log_prob of log(value), minus log(value).
  Tensor log_prob(const Tensor& value) const;
  /// Normal's cdf of log(value): (1 + erf((log(value) - loc) / (scale sqrt(2)))) / 2.
  Tensor cdf(const Tensor& value) const;
  /// Normal's entropy + loc.
  Tensor entropy() const;
  /// exp(loc + scale^2 / 2).
  Tensor mean() const;
  /// expm1(scale^2) exp(2 loc + scale^2).
  Tensor variance() const;
  /// The broadcast shape of loc and scale.
  const Dims& batch_shape() const { return base_.batch_shape(); }
  /// The Normal of log(X).
  const Normal& base_dist() const { return base_; }

 private:
  Normal base_;
};

/// The distribution of |X| for X ~ N(0, scale^2) (torch.distributions.HalfNormal); scale > 0.
class HalfNormal {
 public:
  /// torch.distributions.HalfNormal(scale). Throws when a scale is not positive.
  explicit HalfNormal(const Tensor& scale);
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// |scale * eps|, eps ~ N(0, 1): differentiable in scale.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// Normal's log_prob + log(2) for value >= 0, -inf below.
  Tensor log_prob(const Tensor& value) const;
  /// erf(value / (scale sqrt(2))) for value >= 0 (PyTorch's 2 Phi(value) - 1, negative below).
  Tensor cdf(const Tensor& value) const;
  /// Normal's entropy - log(2).
  Tensor entropy() const;
  /// scale sqrt(2 / pi).
  Tensor mean() const;
  /// scale^2 (1 - 2 / pi).
  Tensor variance() const;
  /// scale's shape.
  const Dims& batch_shape() const { return base_.batch_shape(); }
  /// scale, as given.
  const Tensor& scale() const { return scale_; }
  /// The Normal N(0, scale^2) folded at 0.
  const Normal& base_dist() const { return base_; }

 private:
  Tensor scale_;
  Normal base_;
};

/// A Cauchy distribution with density 1 / (pi scale (1 + ((x - loc) / scale)^2))
/// (torch.distributions.Cauchy); scale > 0. Its mean is undefined (NaN) and its variance infinite.
class Cauchy {
 public:
  /// torch.distributions.Cauchy(loc, scale). Throws when the shapes do not broadcast or a scale
  /// is not positive.
  Cauchy(const Tensor& loc, const Tensor& scale);
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// loc + scale tan(pi (u - 1/2)), u ~ U(0, 1): differentiable in loc and scale.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// -log(pi) - log(scale) - log1p(((value - loc) / scale)^2).
  Tensor log_prob(const Tensor& value) const;
  /// atan((value - loc) / scale) / pi + 1/2.
  Tensor cdf(const Tensor& value) const;
  /// log(4 pi) + log(scale).
  Tensor entropy() const;
  /// NaN, of the batch shape.
  Tensor mean() const;
  /// +inf, of the batch shape.
  Tensor variance() const;
  /// The broadcast shape of loc and scale.
  const Dims& batch_shape() const { return batch_shape_; }
  /// loc, as given.
  const Tensor& loc() const { return loc_; }
  /// scale, as given.
  const Tensor& scale() const { return scale_; }

 private:
  Tensor loc_, scale_;
  Dims batch_shape_;
};

/// A Gumbel (type-I extreme value) distribution with density e^(-(z + e^(-z))) / scale,
/// z = (x - loc) / scale (torch.distributions.Gumbel); scale > 0.
class Gumbel {
 public:
  /// torch.distributions.Gumbel(loc, scale). Throws when the shapes do not broadcast or a scale
  /// is not positive.
  Gumbel(const Tensor& loc, const Tensor& scale);
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// loc - scale log(-log u), u ~ U(tiny, 1 - eps) as PyTorch's: differentiable in loc and scale.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// (y - e^y) - log(scale) with y = (loc - value) / scale.
  Tensor log_prob(const Tensor& value) const;
  /// exp(-exp(-(value - loc) / scale)).
  Tensor cdf(const Tensor& value) const;
  /// log(scale) + 1 + Euler's gamma.
  Tensor entropy() const;
  /// loc + scale Euler's gamma.
  Tensor mean() const;
  /// pi^2 scale^2 / 6.
  Tensor variance() const;
  /// The broadcast shape of loc and scale.
  const Dims& batch_shape() const { return batch_shape_; }
  /// loc, as given.
  const Tensor& loc() const { return loc_; }
  /// scale, as given.
  const Tensor& scale() const { return scale_; }

 private:
  Tensor loc_, scale_;
  Dims batch_shape_;
};

/// Student's t distribution with df degrees of freedom, shifted by loc and scaled by scale
/// (torch.distributions.StudentT); df > 0 and scale > 0. Samples are loc + scale X / sqrt(Z / df)
/// for X ~ N(0, 1) and Z ~ Chi2(df); rsample differentiates Z as Gamma's rsample.
class StudentT {
 public:
  /// torch.distributions.StudentT(df, loc, scale), loc 0 and scale 1 when undefined. Throws when
  /// the shapes do not broadcast or df or a scale is not positive.
  explicit StudentT(const Tensor& df, const Tensor& loc = {}, const Tensor& scale = {});
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// sample()'s values as a differentiable function of df, loc and scale (Z = 2 Gamma(df / 2)
  /// from Gamma::rsample), with every derivative order, as PyTorch's rsample.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// -(df + 1)/2 log1p(y^2 / df) - log(scale) - log(df)/2 - log(pi)/2 - lgamma(df/2)
  /// + lgamma((df + 1)/2), y = (value - loc) / scale.
  Tensor log_prob(const Tensor& value) const;
  /// log(scale) + (df + 1)/2 (digamma((df + 1)/2) - digamma(df/2)) + log(df)/2 + log B(df/2, 1/2).
  Tensor entropy() const;
  /// loc where df > 1, NaN elsewhere.
  Tensor mean() const;
  /// scale^2 df / (df - 2) where df > 2, +inf where 1 < df <= 2, NaN where df <= 1.
  Tensor variance() const;
  /// The broadcast shape of df, loc and scale.
  const Dims& batch_shape() const { return batch_shape_; }
  /// df, as given.
  const Tensor& df() const { return df_; }
  /// loc (zeros of df's dtype when not given).
  const Tensor& loc() const { return loc_; }
  /// scale (ones of df's dtype when not given).
  const Tensor& scale() const { return scale_; }

 private:
  Tensor df_, loc_, scale_;
  Dims batch_shape_;
};

/// The number of failures before the first success of Bernoulli(p) trials
/// (torch.distributions.Geometric), on {0, 1, 2, ...}; 0 < p <= 1, given as probabilities or
/// logits.
class Geometric {
 public:
  /// torch.distributions.Geometric(probs = p): 0 < p <= 1 (throws otherwise).
  static Geometric from_probs(const Tensor& probs);
  /// torch.distributions.Geometric(logits = l): p = sigmoid(l).
  static Geometric from_logits(const Tensor& logits);
  /// Draws sample_shape + batch_shape counts (of the parameter's dtype) without recording:
  /// floor(log(u) / log1p(-p)).
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// value log1p(-p) + log(p) (0 at value 0 when p = 1).
  Tensor log_prob(const Tensor& value) const;
  /// The binary cross entropy of p with itself, divided by p.
  Tensor entropy() const;
  /// 1 / p - 1.
  Tensor mean() const;
  /// (1 / p - 1) / p.
  Tensor variance() const;
  /// The probabilities of success.
  Tensor probs() const;
  /// log(p / (1 - p)) (from probabilities clamped into [eps, 1 - eps], as PyTorch's).
  Tensor logits() const;
  /// The parameter's shape.
  const Dims& batch_shape() const { return parameter_.shape(); }

 private:
  Geometric(Tensor parameter, bool is_logits)
      : parameter_(std::move(parameter)), is_logits_(is_logits) {}
  Tensor parameter_;  // the probabilities or the logits given
  bool is_logits_;
};

/// KL(p || q) of two log-normals: the KL of their normals.
Tensor kl_divergence(const LogNormal& p, const LogNormal& q);
/// KL(p || q) of two half-normals: the KL of N(0, sp^2) and N(0, sq^2).
Tensor kl_divergence(const HalfNormal& p, const HalfNormal& q);
/// KL(p || q) of two Cauchy distributions: log(((sp + sq)^2 + (mp - mq)^2) / (4 sp sq)).
Tensor kl_divergence(const Cauchy& p, const Cauchy& q);
/// KL(p || q) of two Gumbels: log(sq / sp) + (mp - mq) / sq + (sp / sq) gamma
/// + exp((mq - mp) / sq + lgamma(1 + sp / sq)) - 1 - gamma, gamma Euler's constant.
Tensor kl_divergence(const Gumbel& p, const Gumbel& q);
/// KL(p || q) of two geometrics: -H(p) - log1p(-q) / p - logit(q).
Tensor kl_divergence(const Geometric& p, const Geometric& q);

/// @}
}  // namespace metagrad::distributions
