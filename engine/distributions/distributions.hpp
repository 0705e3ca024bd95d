#pragma once

#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// Probability distributions for policy gradients and stochastic objectives (torch.distributions):
// Normal, Bernoulli and Categorical, with PyTorch's constructors, shapes and formulas. log_prob,
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

/// KL(p || q) of two normals, elementwise over the broadcast batch shape:
/// log(sq / sp) + (sp^2 + (mp - mq)^2) / (2 sq^2) - 1/2.
Tensor kl_divergence(const Normal& p, const Normal& q);
/// KL(p || q) of two Bernoullis: p log(p / q) + (1 - p) log((1 - p) / (1 - q)), 0 log 0 = 0.
Tensor kl_divergence(const Bernoulli& p, const Bernoulli& q);
/// KL(p || q) of two categoricals over the same K: sum p (log p - log q), 0 log 0 = 0.
Tensor kl_divergence(const Categorical& p, const Categorical& q);

/// @}

}  // namespace metagrad::distributions
