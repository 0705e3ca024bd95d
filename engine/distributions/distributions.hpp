#pragma once

#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// Probability distributions for policy gradients and stochastic objectives (torch.distributions):
// Normal, Bernoulli, Categorical, Uniform, Exponential, Laplace, Gamma, Beta, Dirichlet and
// Poisson, with PyTorch's
// constructors, shapes and formulas. log_prob,
// entropy and rsample are composed of differentiable ops, so they have derivatives of every order
// in the parameters (a MAML-RL inner step differentiates through log_prob). sample() draws
// without recording, from `generator` (the default generator when null).
//
// A distribution keeps the parameter tensors it was given and derives everything else (broadcast
// views, normalised logits, probabilities) afresh at each call, so any number of backward passes
// may go through it (PyTorch's cached derived tensors allow only one without retain_graph).
//
// Shapes, as PyTorch's: the batch shape is the parameters' broadcast shape (Categorical: without
// the last dim, which holds the categories); sample(sample_shape) has shape sample_shape +
// batch_shape; log_prob(value) broadcasts value against the batch shape.
namespace metagrad::distributions {
/// \addtogroup engine_distributions
/// @{

/// A normal distribution N(loc, scale^2) (torch.distributions.Normal). loc and scale are float
/// tensors of one dtype and device, broadcast together; scale must be positive.
class Normal {
 public:
  /// torch.distributions.Normal(loc, scale). Throws when the shapes do not broadcast or a scale
  /// is not positive.
  Normal(const Tensor& loc, const Tensor& scale);
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// The reparametrised draw loc + scale * eps, eps ~ N(0, 1): differentiable in loc and scale.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// -(value - loc)^2 / (2 scale^2) - log(scale) - log(sqrt(2 pi)).
  Tensor log_prob(const Tensor& value) const;
  /// (1 + erf((value - loc) / (scale sqrt(2)))) / 2.
  Tensor cdf(const Tensor& value) const;
  /// The quantile loc + scale sqrt(2) erfinv(2 p - 1) of probability p.
  Tensor icdf(const Tensor& p) const;
  /// 0.5 + 0.5 log(2 pi) + log(scale).
  Tensor entropy() const;
  /// loc, broadcast to the batch shape.
  Tensor mean() const;
  /// scale, broadcast to the batch shape.
  Tensor stddev() const;
  /// scale^2, broadcast to the batch shape.
  Tensor variance() const;
  /// The broadcast shape of loc and scale.
  const Dims& batch_shape() const { return batch_shape_; }

 private:
  Tensor loc_, scale_;
  Dims batch_shape_;
};

/// A Bernoulli distribution over {0, 1} (torch.distributions.Bernoulli), given by the
/// probabilities of 1 or by their logits.
class Bernoulli {
 public:
  /// torch.distributions.Bernoulli(probs = p): p in [0, 1] (throws otherwise).
  static Bernoulli from_probs(const Tensor& probs);
  /// torch.distributions.Bernoulli(logits = l): p = sigmoid(l).
  static Bernoulli from_logits(const Tensor& logits);
  /// Draws 0/1 values of the parameters' dtype, sample_shape + batch_shape, without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// value log p + (1 - value) log(1 - p), computed from the logits (stable for any logit).
  Tensor log_prob(const Tensor& value) const;
  /// -p log p - (1 - p) log(1 - p).
  Tensor entropy() const;
  /// The probabilities of 1.
  Tensor probs() const;
  /// log(p / (1 - p)) (from probabilities clamped into [eps, 1 - eps], as PyTorch's).
  Tensor logits() const;
  /// p.
  Tensor mean() const { return probs(); }
  /// p (1 - p).
  Tensor variance() const;
  /// The parameters' shape.
  const Dims& batch_shape() const { return parameter_.shape(); }

 private:
  Bernoulli(Tensor parameter, bool is_logits)
      : parameter_(std::move(parameter)), is_logits_(is_logits) {}
  Tensor parameter_;  // the probabilities or the logits given
  bool is_logits_;
};

/// A categorical distribution over the K categories of the last dim
/// (torch.distributions.Categorical), given by (unnormalised) probabilities or logits.
class Categorical {
 public:
  /// torch.distributions.Categorical(probs = p): non-negative [*, K], normalised along the last
  /// dim (throws for a negative entry or a row summing to 0).
  static Categorical from_probs(const Tensor& probs);
  /// torch.distributions.Categorical(logits = l): [*, K], normalised as l - logsumexp(l).
  static Categorical from_logits(const Tensor& logits);
  /// Draws int64 category indices, sample_shape + batch_shape, without recording (inverse CDF of
  /// one uniform per draw).
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// The normalised log-probability of the int64 categories `value` (broadcast against the
  /// batch shape); throws for a category outside [0, K).
  Tensor log_prob(const Tensor& value) const;
  /// -sum p log p over the categories (0 log 0 = 0).
  Tensor entropy() const;
  /// The normalised probabilities [*, K].
  Tensor probs() const;
  /// The normalised logits (log-probabilities) [*, K].
  Tensor logits() const;
  /// The number of categories K.
  int64_t num_categories() const { return parameter_.size(-1); }
  /// The parameters' shape without the last dim.
  Dims batch_shape() const;

 private:
  Categorical(Tensor parameter, bool is_logits)
      : parameter_(std::move(parameter)), is_logits_(is_logits) {}
  Tensor parameter_;  // the (unnormalised) probabilities or logits given
  bool is_logits_;
};

/// A uniform distribution on [low, high) (torch.distributions.Uniform); low < high everywhere.
class Uniform {
 public:
  /// torch.distributions.Uniform(low, high). Throws when the shapes do not broadcast or some
  /// low >= high.
  Uniform(const Tensor& low, const Tensor& high);
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// low + (high - low) u, u ~ U[0, 1): differentiable in low and high.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// -log(high - low) inside [low, high), -inf outside.
  Tensor log_prob(const Tensor& value) const;
  /// (value - low) / (high - low), clamped to [0, 1].
  Tensor cdf(const Tensor& value) const;
  /// log(high - low).
  Tensor entropy() const;
  /// (low + high) / 2.
  Tensor mean() const;
  /// (high - low) / sqrt(12).
  Tensor stddev() const;
  /// (high - low)^2 / 12.
  Tensor variance() const;
  /// The broadcast shape of low and high.
  const Dims& batch_shape() const { return batch_shape_; }
  /// low, as given.
  const Tensor& low() const { return low_; }
  /// high, as given.
  const Tensor& high() const { return high_; }

 private:
  Tensor low_, high_;
  Dims batch_shape_;
};

/// An exponential distribution with density rate e^(-rate x) on x >= 0
/// (torch.distributions.Exponential); rate > 0.
class Exponential {
 public:
  /// torch.distributions.Exponential(rate). Throws when a rate is not positive.
  explicit Exponential(const Tensor& rate);
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// -log(1 - u) / rate, u ~ U[0, 1): differentiable in rate.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// log(rate) - rate value.
  Tensor log_prob(const Tensor& value) const;
  /// 1 - e^(-rate value).
  Tensor cdf(const Tensor& value) const;
  /// 1 - log(rate).
  Tensor entropy() const;
  /// 1 / rate.
  Tensor mean() const;
  /// 1 / rate.
  Tensor stddev() const;
  /// 1 / rate^2.
  Tensor variance() const;
  /// rate's shape.
  const Dims& batch_shape() const { return rate_.shape(); }
  /// rate, as given.
  const Tensor& rate() const { return rate_; }

 private:
  Tensor rate_;
};

/// A Laplace distribution with density e^(-|x - loc| / scale) / (2 scale)
/// (torch.distributions.Laplace); scale > 0.
class Laplace {
 public:
  /// torch.distributions.Laplace(loc, scale). Throws when the shapes do not broadcast or a scale
  /// is not positive.
  Laplace(const Tensor& loc, const Tensor& scale);
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// loc - scale sign(u) log(1 - |u|), u ~ U(-1, 1): differentiable in loc and scale.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// -log(2 scale) - |value - loc| / scale.
  Tensor log_prob(const Tensor& value) const;
  /// 1/2 - sign(value - loc) (e^(-|value - loc| / scale) - 1) / 2.
  Tensor cdf(const Tensor& value) const;
  /// 1 + log(2 scale).
  Tensor entropy() const;
  /// loc, broadcast to the batch shape.
  Tensor mean() const;
  /// sqrt(2) scale.
  Tensor stddev() const;
  /// 2 scale^2.
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

/// A gamma distribution with density rate^a x^(a - 1) e^(-rate x) / Gamma(a) on x > 0
/// (torch.distributions.Gamma); concentration a > 0 and rate > 0. Samples are drawn with
/// Marsaglia and Tsang's method; rsample differentiates them through the implicit gradient of
/// the gamma CDF, as PyTorch's.
class Gamma {
 public:
  /// torch.distributions.Gamma(concentration, rate). Throws when the shapes do not broadcast or a
  /// parameter is not positive.
  Gamma(const Tensor& concentration, const Tensor& rate);
  /// Draws sample_shape + batch_shape values without recording (at least the dtype's smallest
  /// normal number, as PyTorch's).
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// sample()'s draws (the same values for the same generator state) as a differentiable
  /// function of the parameters: x / rate for a standard draw x that moves with a as
  /// -(dF/da)(x; a) / f(x; a), F and f its CDF and density (implicit reparameterization). Every
  /// derivative order exists; the series behind dx/da runs (x - a)^+ + 9 sqrt(x) + 40 terms.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// a log(rate) + (a - 1) log(value) - rate value - lgamma(a).
  Tensor log_prob(const Tensor& value) const;
  /// P(a, rate value), the regularized lower incomplete gamma function (gammainc), as PyTorch
  /// 2's Gamma.cdf: differentiable in a, rate and value; NaN below 0 (outside the support).
  Tensor cdf(const Tensor& value) const;
  /// a - log(rate) + lgamma(a) + (1 - a) digamma(a).
  Tensor entropy() const;
  /// a / rate.
  Tensor mean() const;
  /// a / rate^2.
  Tensor variance() const;
  /// The broadcast shape of the parameters.
  const Dims& batch_shape() const { return batch_shape_; }
  /// The concentration a, as given.
  const Tensor& concentration() const { return concentration_; }
  /// rate, as given.
  const Tensor& rate() const { return rate_; }

 private:
  Tensor concentration_, rate_;
  Dims batch_shape_;
};

/// A beta distribution on [0, 1] with density x^(a - 1) (1 - x)^(b - 1) / B(a, b)
/// (torch.distributions.Beta(concentration1 = a, concentration0 = b)); a > 0 and b > 0. Samples
/// are X / (X + Y) of gamma draws; rsample differentiates them as Gamma's.
class Beta {
 public:
  /// torch.distributions.Beta(concentration1, concentration0). Throws when the shapes do not
  /// broadcast or a parameter is not positive.
  Beta(const Tensor& concentration1, const Tensor& concentration0);
  /// Draws sample_shape + batch_shape values in [0, 1] without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// sample()'s values as X / (X + Y) of Gamma::rsample draws X ~ Gamma(a), Y ~ Gamma(b): a
  /// reparameterized sample with every derivative order in a and b. (PyTorch differentiates the
  /// Beta CDF instead; both gradients are unbiased, per draw they differ.)
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// (a - 1) log(value) + (b - 1) log(1 - value) - log B(a, b).
  Tensor log_prob(const Tensor& value) const;
  /// log B(a, b) - (a - 1) digamma(a) - (b - 1) digamma(b) + (a + b - 2) digamma(a + b).
  Tensor entropy() const;
  /// a / (a + b).
  Tensor mean() const;
  /// a b / ((a + b)^2 (a + b + 1)).
  Tensor variance() const;
  /// The broadcast shape of the parameters.
  const Dims& batch_shape() const { return batch_shape_; }
  /// a, as given.
  const Tensor& concentration1() const { return concentration1_; }
  /// b, as given.
  const Tensor& concentration0() const { return concentration0_; }

 private:
  Tensor concentration1_, concentration0_;
  Dims batch_shape_;
};

/// A Poisson distribution over the counts 0, 1, 2, ... with mean rate
/// (torch.distributions.Poisson); rate >= 0.
class Poisson {
 public:
  /// torch.distributions.Poisson(rate). Throws when a rate is negative.
  explicit Poisson(const Tensor& rate);
  /// Draws sample_shape + batch_shape counts (of rate's dtype) without recording: by the product
  /// of uniforms for rate < 10 and by Hormann's transformed rejection (PTRS) above, whole tensors
  /// at a time on any device.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// value log(rate) - rate - lgamma(value + 1).
  Tensor log_prob(const Tensor& value) const;
  /// rate.
  Tensor mean() const { return rate_; }
  /// rate.
  Tensor variance() const { return rate_; }
  /// rate's shape.
  const Dims& batch_shape() const { return rate_.shape(); }
  /// rate, as given.
  const Tensor& rate() const { return rate_; }

 private:
  Tensor rate_;
};

/// A Dirichlet distribution over the probability simplex of the last dim
/// (torch.distributions.Dirichlet): density Gamma(a0) / prod Gamma(a_i) * prod x_i^(a_i - 1),
/// a0 = sum a_i, for a concentration [*, K] > 0. Samples are normalised gamma draws; rsample
/// differentiates them as Gamma's.
class Dirichlet {
 public:
  /// torch.distributions.Dirichlet(concentration): [*, K] with K >= 1, positive everywhere.
  explicit Dirichlet(const Tensor& concentration);
  /// Draws sample_shape + batch_shape + [K] points of the simplex without recording (each
  /// coordinate clamped into [tiny, 1 - eps], as PyTorch's).
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// sample()'s values as Gamma::rsample draws over their sum: a reparameterized sample with
  /// every derivative order in the concentration (the clamp leaves the derivatives alone).
  /// PyTorch differentiates each coordinate's marginal Beta CDF instead; both gradients are
  /// unbiased, per draw they differ.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// sum (a_i - 1) log(value_i) + lgamma(a0) - sum lgamma(a_i), over the last dim.
  Tensor log_prob(const Tensor& value) const;
  /// sum lgamma(a_i) - lgamma(a0) - (K - a0) digamma(a0) - sum (a_i - 1) digamma(a_i).
  Tensor entropy() const;
  /// a / a0.
  Tensor mean() const;
  /// a (a0 - a) / (a0^2 (a0 + 1)).
  Tensor variance() const;
  /// The concentration's shape without the last dim.
  Dims batch_shape() const;
  /// The concentration [*, K], as given.
  const Tensor& concentration() const { return concentration_; }

 private:
  Tensor concentration_;
};

/// KL(p || q) of two normals, elementwise over the broadcast batch shape:
/// log(sq / sp) + (sp^2 + (mp - mq)^2) / (2 sq^2) - 1/2.
Tensor kl_divergence(const Normal& p, const Normal& q);
/// KL(p || q) of two Bernoullis: p log(p / q) + (1 - p) log((1 - p) / (1 - q)), 0 log 0 = 0.
Tensor kl_divergence(const Bernoulli& p, const Bernoulli& q);
/// KL(p || q) of two categoricals over the same K: sum p (log p - log q), 0 log 0 = 0.
Tensor kl_divergence(const Categorical& p, const Categorical& q);
/// KL(p || q) of two uniforms: log((hq - lq) / (hp - lp)) where p's support lies inside q's,
/// +inf elsewhere.
Tensor kl_divergence(const Uniform& p, const Uniform& q);
/// KL(p || q) of two exponentials: r - 1 - log r with r = rate_q / rate_p.
Tensor kl_divergence(const Exponential& p, const Exponential& q);
/// KL(p || q) of two Laplace distributions: log(sq / sp) + |mp - mq| / sq
/// + (sp / sq) e^(-|mp - mq| / sp) - 1.
Tensor kl_divergence(const Laplace& p, const Laplace& q);
/// KL(p || q) of two gammas: aq log(rp / rq) + lgamma(aq) - lgamma(ap) + (ap - aq) digamma(ap)
/// + (rq - rp) ap / rp.
Tensor kl_divergence(const Gamma& p, const Gamma& q);
/// KL(p || q) of two betas: log B(aq, bq) - log B(ap, bp) + (ap - aq) digamma(ap)
/// + (bp - bq) digamma(bp) + (aq - ap + bq - bp) digamma(ap + bp).
Tensor kl_divergence(const Beta& p, const Beta& q);
/// KL(p || q) of two Poissons: rp (log rp - log rq) - (rp - rq).
Tensor kl_divergence(const Poisson& p, const Poisson& q);
/// KL(p || q) of two Dirichlets over the same K: lgamma(p0) - lgamma(q0) - sum (lgamma(p_i) -
/// lgamma(q_i)) + sum (p_i - q_i) (digamma(p_i) - digamma(p0)).
Tensor kl_divergence(const Dirichlet& p, const Dirichlet& q);

/// @}

}  // namespace metagrad::distributions
