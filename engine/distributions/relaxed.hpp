#pragma once

#include <utility>

#include "engine/distributions/distributions.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// Categorical draws as one-hot vectors, their continuous relaxations (Concrete / Gumbel-softmax)
// and Chi2, as torch.distributions' OneHotCategorical, RelaxedOneHotCategorical,
// RelaxedBernoulli and Chi2: PyTorch's constructors, formulas and clamps, composed of
// differentiable ops (every derivative order of log_prob, entropy and rsample in the parameters).
namespace metagrad::distributions {
/// \addtogroup engine_distributions
/// @{

/// A categorical distribution whose draws are one-hot vectors over the last dim
/// (torch.distributions.OneHotCategorical).
class OneHotCategorical {
 public:
  /// torch.distributions.OneHotCategorical(probs = p): as Categorical::from_probs.
  static OneHotCategorical from_probs(const Tensor& probs);
  /// torch.distributions.OneHotCategorical(logits = l): as Categorical::from_logits.
  static OneHotCategorical from_logits(const Tensor& logits);
  /// Draws sample_shape + batch_shape + [K] one-hot vectors of the parameters' dtype, without
  /// recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// The log-probability of the category each one-hot `value` [*, K] marks (its largest entry).
  Tensor log_prob(const Tensor& value) const;
  /// Categorical's entropy.
  Tensor entropy() const { return categorical_.entropy(); }
  /// The normalised probabilities [*, K].
  Tensor probs() const { return categorical_.probs(); }
  /// The normalised logits [*, K].
  Tensor logits() const { return categorical_.logits(); }
  /// probs.
  Tensor mean() const { return probs(); }
  /// probs (1 - probs).
  Tensor variance() const;
  /// The parameters' shape without the last dim.
  Dims batch_shape() const { return categorical_.batch_shape(); }
  /// The categorical distribution of the marked category.
  const Categorical& categorical() const { return categorical_; }

 private:
  explicit OneHotCategorical(Categorical categorical) : categorical_(std::move(categorical)) {}
  Categorical categorical_;
};

/// The Concrete (Gumbel-softmax) relaxation of a one-hot categorical draw
/// (torch.distributions.RelaxedOneHotCategorical): points of the simplex softmax((logits + g) /
/// temperature) with Gumbel noise g; a temperature near 0 gives nearly one-hot points.
class RelaxedOneHotCategorical {
 public:
  /// RelaxedOneHotCategorical(temperature, probs = p); temperature > 0 (a scalar or a tensor
  /// broadcasting against [*, K] as PyTorch's), p as Categorical::from_probs.
  static RelaxedOneHotCategorical from_probs(const Tensor& temperature, const Tensor& probs);
  /// RelaxedOneHotCategorical(temperature, logits = l).
  static RelaxedOneHotCategorical from_logits(const Tensor& temperature, const Tensor& logits);
  /// rsample's values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// softmax((logits + g) / temperature) over the last dim, g = -log(-log u) for uniforms u
  /// clamped into [eps, 1 - eps] (PyTorch's), differentiable in the logits and the temperature.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// The density of a point y of the simplex [*, K]: with x = log y and s = logits - t x,
  /// sum(s - logsumexp(s)) + lgamma(K) + (K - 1) log t - sum(x) (PyTorch's ExpRelaxedCategorical
  /// through an exp transform).
  Tensor log_prob(const Tensor& value) const;
  /// The normalised probabilities [*, K].
  Tensor probs() const { return categorical_.probs(); }
  /// The normalised logits [*, K].
  Tensor logits() const { return categorical_.logits(); }
  /// The temperature, as given.
  const Tensor& temperature() const { return temperature_; }
  /// The parameters' shape without the last dim.
  Dims batch_shape() const { return categorical_.batch_shape(); }

 private:
  RelaxedOneHotCategorical(Tensor temperature, Categorical categorical)
      : temperature_(std::move(temperature)), categorical_(std::move(categorical)) {}
  Tensor temperature_;
  Categorical categorical_;
};

/// The Concrete relaxation of a Bernoulli draw (torch.distributions.RelaxedBernoulli): values in
/// (0, 1), sigmoid((logit(p) + logit(u)) / temperature) for uniform u.
class RelaxedBernoulli {
 public:
  /// RelaxedBernoulli(temperature, probs = p); temperature > 0, p as Bernoulli::from_probs.
  static RelaxedBernoulli from_probs(const Tensor& temperature, const Tensor& probs);
  /// RelaxedBernoulli(temperature, logits = l).
  static RelaxedBernoulli from_logits(const Tensor& temperature, const Tensor& logits);
  /// rsample's values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// sigmoid((log p - log1p(-p) + log u - log1p(-u)) / temperature), p and u clamped into
  /// [eps, 1 - eps] and the result into [tiny, 1 - eps] (PyTorch's), differentiable in the
  /// parameters and the temperature.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// The density of y in (0, 1): with x = logit(y) (y clamped into [tiny, 1 - eps]) and d =
  /// logits - t x, log t + d - 2 softplus(d) + softplus(x) + softplus(-x).
  Tensor log_prob(const Tensor& value) const;
  /// The probabilities of the underlying Bernoulli.
  Tensor probs() const { return bernoulli_.probs(); }
  /// Its logits.
  Tensor logits() const { return bernoulli_.logits(); }
  /// The temperature, as given.
  const Tensor& temperature() const { return temperature_; }
  /// The parameters' shape.
  const Dims& batch_shape() const { return bernoulli_.batch_shape(); }

 private:
  RelaxedBernoulli(Tensor temperature, Bernoulli bernoulli)
      : temperature_(std::move(temperature)), bernoulli_(std::move(bernoulli)) {}
  Tensor temperature_;
  Bernoulli bernoulli_;
};

/// The chi-squared distribution with df degrees of freedom (torch.distributions.Chi2), which is
/// Gamma(df / 2, rate 1/2); df > 0.
class Chi2 {
 public:
  /// torch.distributions.Chi2(df). Throws when a df is not positive.
  explicit Chi2(const Tensor& df);
  /// Gamma's draws, without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// Gamma's reparameterized draws, differentiable in df.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// Gamma(df / 2, 1/2)'s log_prob.
  Tensor log_prob(const Tensor& value) const { return gamma_.log_prob(value); }
  /// Gamma(df / 2, 1/2)'s cdf: P(df / 2, value / 2).
  Tensor cdf(const Tensor& value) const { return gamma_.cdf(value); }
  /// Gamma(df / 2, 1/2)'s entropy.
  Tensor entropy() const { return gamma_.entropy(); }
  /// df.
  Tensor mean() const { return gamma_.mean(); }
  /// 2 df.
  Tensor variance() const { return gamma_.variance(); }
  /// df, as given.
  const Tensor& df() const { return df_; }
  /// df's shape.
  const Dims& batch_shape() const { return gamma_.batch_shape(); }

 private:
  Tensor df_;
  Gamma gamma_;
};

/// @}
}  // namespace metagrad::distributions
