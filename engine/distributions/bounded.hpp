#pragma once

#include <utility>

#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// Univariate distributions of torch.distributions with a bounded or special support:
// ContinuousBernoulli on [0, 1], VonMises on the circle and FisherSnedecor (the F distribution)
// on the positive reals, with PyTorch's constructors, shapes, formulas and numerical guards,
// composed of differentiable ops (every derivative order of log_prob, cdf, entropy and rsample
// in the parameters).
namespace metagrad::distributions {
/// \addtogroup engine_distributions
/// @{

/// The continuous Bernoulli distribution on [0, 1] with density C(p) p^x (1 - p)^(1 - x)
/// (torch.distributions.ContinuousBernoulli, Loaiza-Ganem and Cunningham 2019). Within the
/// unstable region lims = (0.499, 0.501) around p = 1/2, the normalizer, moments and cdf use
/// PyTorch's Taylor expansions (or its cut probabilities), so they stay finite and smooth.
class ContinuousBernoulli {
 public:
  /// torch.distributions.ContinuousBernoulli(probs = p, lims): p in [0, 1] (throws otherwise),
  /// clamped into [eps, 1 - eps] as PyTorch's; lims.first < 1/2 < lims.second.
  static ContinuousBernoulli from_probs(const Tensor& probs,
                                        std::pair<double, double> lims = {0.499, 0.501});
  /// torch.distributions.ContinuousBernoulli(logits = l, lims): p = sigmoid(l), clamped.
  static ContinuousBernoulli from_logits(const Tensor& logits,
                                         std::pair<double, double> lims = {0.499, 0.501});
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// icdf(u), u ~ U(0, 1): differentiable in the parameter.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// -BCE(logits, value) + log C(p).
  Tensor log_prob(const Tensor& value) const;
  /// (p^x (1 - p)^(1 - x) + p - 1) / (2p - 1) (x inside the unstable region), 0 below 0 and 1
  /// above 1.
  Tensor cdf(const Tensor& value) const;
  /// (log1p(-p + u (2p - 1)) - log1p(-p)) / (log p - log1p(-p)) (u inside the unstable region).
  Tensor icdf(const Tensor& value) const;
  /// mean (log(1 - p) - log p) - log C(p) - log(1 - p).
  Tensor entropy() const;
  /// p / (2p - 1) + 1 / (log1p(-p) - log p) (a cubic in p - 1/2 inside the unstable region).
  Tensor mean() const;
  /// p (p - 1) / (1 - 2p)^2 + 1 / (log1p(-p) - log p)^2 (a Taylor expansion inside).
  Tensor variance() const;
  /// log C(p) = log(|log1p(-p) - log p| / |1 - 2p|) (log 2 + 4/3 x + 104/45 x^2, x = (p - 1/2)^2,
  /// inside the unstable region): the log normalizing constant.
  Tensor log_normalizer() const;
  /// The probabilities, clamped into [eps, 1 - eps].
  Tensor probs() const;
  /// log(p / (1 - p)) of the clamped probabilities, or the logits given.
  Tensor logits() const;
  /// The parameter's shape.
  const Dims& batch_shape() const { return parameter_.shape(); }

 private:
  ContinuousBernoulli(Tensor parameter, bool is_logits, std::pair<double, double> lims)
      : parameter_(std::move(parameter)), is_logits_(is_logits), lims_(lims) {}
  // p where it is outside the unstable region, lims.first inside it.
  Tensor cut_probs() const;
  // Whether p is outside the unstable region (p <= lims.first or p > lims.second).
  Tensor outside_unstable_region() const;
  Tensor parameter_;  // the probabilities or the logits given
  bool is_logits_;
  std::pair<double, double> lims_;
};

/// A von Mises (circular normal) distribution on [-pi, pi) with density
/// exp(concentration cos(x - loc)) / (2 pi I0(concentration)) (torch.distributions.VonMises);
/// concentration > 0. I0 and I1 are PyTorch's polynomial approximations (Abramowitz and Stegun
/// 9.8.1 to 9.8.4), so log_prob and variance match PyTorch's.
class VonMises {
 public:
  /// torch.distributions.VonMises(loc, concentration). Throws when the shapes do not broadcast
  /// or a concentration is not positive.
  VonMises(const Tensor& loc, const Tensor& concentration);
  /// Draws sample_shape + batch_shape angles in [-pi, pi) without recording: Best and Fisher's
  /// rejection sampler (1979), whole tensors at a time, as PyTorch's.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// concentration cos(value - loc) - log(2 pi) - log I0(concentration).
  Tensor log_prob(const Tensor& value) const;
  /// loc, broadcast to the batch shape (the circular mean).
  Tensor mean() const;
  /// 1 - I1(concentration) / I0(concentration) (the circular variance).
  Tensor variance() const;
  /// The broadcast shape of loc and concentration.
  const Dims& batch_shape() const { return batch_shape_; }
  /// loc, as given.
  const Tensor& loc() const { return loc_; }
  /// concentration, as given.
  const Tensor& concentration() const { return concentration_; }

 private:
  Tensor loc_, concentration_;
  Dims batch_shape_;
};

/// The F distribution with df1 and df2 degrees of freedom, the law of (X1 / df1) / (X2 / df2)
/// for X1 ~ Chi2(df1), X2 ~ Chi2(df2) (torch.distributions.FisherSnedecor); df1, df2 > 0.
class FisherSnedecor {
 public:
  /// torch.distributions.FisherSnedecor(df1, df2). Throws when the shapes do not broadcast or a
  /// df is not positive.
  FisherSnedecor(const Tensor& df1, const Tensor& df2);
  /// Draws sample_shape + batch_shape values without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// G1 / G2 for G1 ~ Gamma(df1 / 2, df1) and G2 ~ Gamma(df2 / 2, df2) from Gamma::rsample
  /// (each clamped to the dtype's smallest normal number, as PyTorch's): differentiable in both
  /// dfs, every order.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const;
  /// lgamma((d1 + d2) / 2) - lgamma(d1 / 2) - lgamma(d2 / 2) + d1 / 2 log(d1 / d2)
  /// + (d1 / 2 - 1) log(value) - (d1 + d2) / 2 log1p(d1 value / d2).
  Tensor log_prob(const Tensor& value) const;
  /// d2 / (d2 - 2) where d2 > 2, NaN elsewhere.
  Tensor mean() const;
  /// 2 d2^2 (d1 + d2 - 2) / (d1 (d2 - 2)^2 (d2 - 4)) where d2 > 4, NaN elsewhere.
  Tensor variance() const;
  /// The broadcast shape of df1 and df2.
  const Dims& batch_shape() const { return batch_shape_; }
  /// df1, as given.
  const Tensor& df1() const { return df1_; }
  /// df2, as given.
  const Tensor& df2() const { return df2_; }

 private:
  Tensor df1_, df2_;
  Dims batch_shape_;
};

/// KL(p || q) of two continuous Bernoullis: mean_p (l_p - l_q) + log C(p) + log1p(-p)
/// - log C(q) - log1p(-q).
Tensor kl_divergence(const ContinuousBernoulli& p, const ContinuousBernoulli& q);

/// @}
}  // namespace metagrad::distributions
