// torch.distributions.ContinuousBernoulli with PyTorch's unstable-region guards, composed of
// differentiable ops.
#include <cmath>

#include "engine/distributions/bounded.hpp"
#include "engine/distributions/distribution_support.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {
namespace {

std::pair<double, double> checked_lims(std::pair<double, double> lims) {
  MG_CHECK(lims.first < 0.5 && lims.second > 0.5 && lims.first > 0.0 && lims.second < 1.0,
           "ContinuousBernoulli: lims must satisfy 0 < lims.first < 1/2 < lims.second < 1, got "
           "({}, {})",
           lims.first, lims.second);
  return lims;
}

}  // namespace

ContinuousBernoulli ContinuousBernoulli::from_probs(const Tensor& probs,
                                                    std::pair<double, double> lims) {
  metagrad::detail::check_floating(probs, "ContinuousBernoulli");
  {
    NoGradGuard no_grad;
    MG_CHECK(all(logical_and(ge(probs, 0.0), le(probs, 1.0))).item<bool>(),
             "ContinuousBernoulli: probs must be in [0, 1] (shape {})", shape_str(probs.shape()));
  }
  return ContinuousBernoulli(probs, false, checked_lims(lims));
}

ContinuousBernoulli ContinuousBernoulli::from_logits(const Tensor& logits,
                                                     std::pair<double, double> lims) {
  metagrad::detail::check_floating(logits, "ContinuousBernoulli");
  return ContinuousBernoulli(logits, true, checked_lims(lims));
}

Tensor ContinuousBernoulli::probs() const {
  return metagrad::detail::clamp_probs(metagrad::detail::binary_probs(parameter_, is_logits_));
}

Tensor ContinuousBernoulli::logits() const {
  return metagrad::detail::binary_logits(parameter_, is_logits_);
}

Tensor ContinuousBernoulli::outside_unstable_region() const {
  const Tensor p = probs().detach();
  return logical_or(le(p, lims_.first), gt(p, lims_.second));
}

Tensor ContinuousBernoulli::cut_probs() const {
  return where(outside_unstable_region(), probs(), lims_.first);
}

Tensor ContinuousBernoulli::log_normalizer() const {
  // log(|log1p(-p) - log p| / |1 - 2p|) on the cut probabilities
  const Tensor cut = cut_probs();
  const Tensor below_half = le(cut, 0.5);
  const Tensor cut_below = where(below_half, cut, 0.0);
  const Tensor cut_above = where(ge(cut, 0.5), cut, 1.0);
  const Tensor exact = log(abs(log1p(-cut) - log(cut))) -
                       where(below_half, log1p(-2.0 * cut_below), log(2.0 * cut_above - 1.0));
  // log 2 + (4/3 + 104/45 x) x, x = (p - 1/2)^2
  const Tensor x = square(probs() - 0.5);
  const Tensor taylor = std::log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x;
  return where(outside_unstable_region(), exact, taylor);
}

Tensor ContinuousBernoulli::mean() const {
  const Tensor cut = cut_probs();
  const Tensor exact = cut / (2.0 * cut - 1.0) + 1.0 / (log1p(-cut) - log(cut));
  // 1/2 + (1/3 + 16/45 x^2) x, x = p - 1/2
  const Tensor x = probs() - 0.5;
  const Tensor taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * square(x)) * x;
  return where(outside_unstable_region(), exact, taylor);
}

Tensor ContinuousBernoulli::variance() const {
  const Tensor cut = cut_probs();
  const Tensor exact =
      cut * (cut - 1.0) / square(1.0 - 2.0 * cut) + 1.0 / square(log1p(-cut) - log(cut));
  // 1/12 - (1/15 - 128/945 x) x, x = (p - 1/2)^2
  const Tensor x = square(probs() - 0.5);
  const Tensor taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x;
  return where(outside_unstable_region(), exact, taylor);
}

Tensor ContinuousBernoulli::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  return rsample(sample_shape, generator).detach();
}

Tensor ContinuousBernoulli::rsample(const Dims& sample_shape, Generator* generator) const {
  const Dims shape = metagrad::detail::distribution_sample_shape(sample_shape, batch_shape(),
                                                                 "ContinuousBernoulli");
  return icdf(rand(shape, TensorOptions(parameter_.dtype(), parameter_.device()), generator));
}

Tensor ContinuousBernoulli::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(parameter_, value, "ContinuousBernoulli.log_prob");
  // -BCE(l, x) + log C(p) = x log p + (1 - x) log(1 - p) + log C(p)
  const Dims shape =
      broadcast_shapes(parameter_.shape(), value.shape(), "ContinuousBernoulli.log_prob");
  return -binary_cross_entropy_with_logits(expand(logits(), shape), expand(value, shape),
                                           {.reduction = Reduction::None}) +
         log_normalizer();
}

Tensor ContinuousBernoulli::cdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(parameter_, value, "ContinuousBernoulli.cdf");
  // (p^x (1 - p)^(1 - x) + p - 1) / (2p - 1)
  const Tensor cut = cut_probs();
  const Tensor exact =
      (pow(cut, value) * pow(1.0 - cut, 1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0);
  const Tensor inside = where(outside_unstable_region(), exact, value);
  return where(le(value, 0.0), 0.0, where(ge(value, 1.0), 1.0, inside));
}

Tensor ContinuousBernoulli::icdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(parameter_, value, "ContinuousBernoulli.icdf");
  // (log1p(-p + u (2p - 1)) - log1p(-p)) / (log p - log1p(-p))
  const Tensor cut = cut_probs();
  const Tensor exact =
      (log1p(-cut + value * (2.0 * cut - 1.0)) - log1p(-cut)) / (log(cut) - log1p(-cut));
  return where(outside_unstable_region(), exact, value);
}

Tensor ContinuousBernoulli::entropy() const {
  // mean (log(1 - p) - log p) - log C(p) - log(1 - p)
  const Tensor p = probs();
  const Tensor log_failure = log1p(-p);
  return mean() * (log_failure - log(p)) - log_normalizer() - log_failure;
}

Tensor kl_divergence(const ContinuousBernoulli& p, const ContinuousBernoulli& q) {
  metagrad::detail::check_same_kind(p.probs(), q.probs(), "kl_divergence");
  // mean_p (l_p - l_q) + log C(p) + log1p(-p) - log C(q) - log1p(-q)
  return p.mean() * (p.logits() - q.logits()) + p.log_normalizer() + log1p(-p.probs()) -
         q.log_normalizer() - log1p(-q.probs());
}

}  // namespace metagrad::distributions
