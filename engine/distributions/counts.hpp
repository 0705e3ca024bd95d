#pragma once

#include <cstdint>

#include "engine/distributions/distributions.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// Distributions over counts of torch.distributions: Binomial, NegativeBinomial and Multinomial,
// given by probabilities or logits as PyTorch's, with its shapes and formulas. log_prob, entropy,
// mean and variance are composed of differentiable ops (every derivative order in the
// probabilities or logits); sample() draws without recording, whole tensors at a time, so one
// code serves every device.
namespace metagrad::distributions {
/// \addtogroup engine_distributions
/// @{

/// The number of successes in total_count independent trials of success probability p
/// (torch.distributions.Binomial). total_count is a non-negative whole number per element,
/// broadcast with the probabilities or logits.
class Binomial {
 public:
  /// torch.distributions.Binomial(total_count, probs = p): p in [0, 1]. Throws when the shapes do
  /// not broadcast, a p is outside [0, 1] or a total_count is negative or not whole.
  static Binomial from_probs(const Tensor& total_count, const Tensor& probs);
  /// torch.distributions.Binomial(total_count, logits = l): p = sigmoid(l).
  static Binomial from_logits(const Tensor& total_count, const Tensor& logits);
  /// Draws sample_shape + batch_shape counts (of the parameter's dtype) without recording: by
  /// waiting times between successes where n min(p, 1 - p) < 10 and by Hormann's transformed
  /// rejection (BTRS) above, as torch.binomial.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k l - n softplus(l), from the logits l
  /// (stable for any logit).
  Tensor log_prob(const Tensor& value) const;
  /// -sum_k P(k) log P(k) over the support; throws unless every total_count is the same.
  Tensor entropy() const;
  /// The values 0, 1, ..., n of the support as [n + 1, 1, ..., 1] (expand = false) or expanded
  /// to [n + 1] + batch_shape; throws unless every total_count is the same.
  Tensor enumerate_support(bool expand = true) const;
  /// n p.
  Tensor mean() const;
  /// n p (1 - p).
  Tensor variance() const;
  /// The probabilities of success.
  Tensor probs() const;
  /// log(p / (1 - p)) (from probabilities clamped into [eps, 1 - eps], as PyTorch's).
  Tensor logits() const;
  /// The number of trials, in the parameter's dtype, as given.
  const Tensor& total_count() const { return total_count_; }
  /// The broadcast shape of total_count and the parameter.
  const Dims& batch_shape() const { return batch_shape_; }

 private:
  Binomial(Tensor total_count, Tensor parameter, bool is_logits);
  Tensor total_count_, parameter_;  // the probabilities or the logits given
  bool is_logits_;
  Dims batch_shape_;
};

/// The number of successes before total_count failures in independent trials of success
/// probability p (torch.distributions.NegativeBinomial); total_count >= 0 (need not be whole),
/// p in [0, 1).
class NegativeBinomial {
 public:
  /// torch.distributions.NegativeBinomial(total_count, probs = p): p in [0, 1). Throws when the
  /// shapes do not broadcast, a p is outside [0, 1) or a total_count is negative.
  static NegativeBinomial from_probs(const Tensor& total_count, const Tensor& probs);
  /// torch.distributions.NegativeBinomial(total_count, logits = l): p = sigmoid(l).
  static NegativeBinomial from_logits(const Tensor& total_count, const Tensor& logits);
  /// Draws sample_shape + batch_shape counts without recording: Poisson counts of a Gamma rate
  /// Gamma(total_count, rate = exp(-l)), as PyTorch's.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// n log sigmoid(-l) + k log sigmoid(l) + lgamma(n + k) - lgamma(k + 1) - lgamma(n), the lgamma
  /// terms taken as 0 where n + k = 0.
  Tensor log_prob(const Tensor& value) const;
  /// n exp(l) = n p / (1 - p).
  Tensor mean() const;
  /// mean / sigmoid(-l) = n p / (1 - p)^2.
  Tensor variance() const;
  /// The probabilities of success.
  Tensor probs() const;
  /// log(p / (1 - p)) (from probabilities clamped into [eps, 1 - eps], as PyTorch's).
  Tensor logits() const;
  /// The number of failures, in the parameter's dtype, as given.
  const Tensor& total_count() const { return total_count_; }
  /// The broadcast shape of total_count and the parameter.
  const Dims& batch_shape() const { return batch_shape_; }

 private:
  NegativeBinomial(Tensor total_count, Tensor parameter, bool is_logits);
  Tensor total_count_, parameter_;  // the probabilities or the logits given
  bool is_logits_;
  Dims batch_shape_;
};

/// The counts of each of K categories in total_count independent draws from a Categorical
/// (torch.distributions.Multinomial): events of shape [K] whose entries sum to total_count.
class Multinomial {
 public:
  /// torch.distributions.Multinomial(total_count, probs = p): p [*, K] non-negative with a
  /// positive sum in every row (normalised as Categorical's); total_count >= 0.
  static Multinomial from_probs(int64_t total_count, const Tensor& probs);
  /// torch.distributions.Multinomial(total_count, logits = l): l [*, K], normalised as
  /// l - logsumexp(l).
  static Multinomial from_logits(int64_t total_count, const Tensor& logits);
  /// Draws sample_shape + batch_shape + [K] counts (of the parameter's dtype) without recording:
  /// the tallies of total_count categorical draws per event.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// lgamma(sum x + 1) - sum lgamma(x + 1) + sum x log p for counts x [..., K] (a category of
  /// probability 0 drawn 0 times adds 0).
  Tensor log_prob(const Tensor& value) const;
  /// n H(Categorical) - lgamma(n + 1) + sum_i sum_{k=1..n} Binomial(n, p_i)(k) lgamma(k + 1),
  /// of the batch shape.
  Tensor entropy() const;
  /// n p, [*, K].
  Tensor mean() const;
  /// n p (1 - p), [*, K].
  Tensor variance() const;
  /// The normalised probabilities [*, K].
  Tensor probs() const { return categorical_.probs(); }
  /// The normalised logits (log-probabilities) [*, K].
  Tensor logits() const { return categorical_.logits(); }
  /// The number of draws per event.
  int64_t total_count() const { return total_count_; }
  /// The parameter's shape without the last dim.
  Dims batch_shape() const { return categorical_.batch_shape(); }
  /// [K].
  Dims event_shape() const { return {categorical_.num_categories()}; }

 private:
  Multinomial(int64_t total_count, Categorical categorical);
  int64_t total_count_;
  Categorical categorical_;
};

/// KL(p || q) of two binomials: n (p log(p / q) + (1 - p) log((1 - p) / (1 - q))) where the
/// total counts are equal, +inf where p's exceeds q's (p has mass outside q's support), and
/// sum_k P(k) log(P(k) / Q(k)) over p's support where q's is larger (PyTorch raises
/// NotImplementedError there); that sum enumerates up to the largest of p's counts.
Tensor kl_divergence(const Binomial& p, const Binomial& q);

/// @}
}  // namespace metagrad::distributions
