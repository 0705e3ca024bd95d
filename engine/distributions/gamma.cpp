// torch.distributions.Gamma and Beta: densities from lgamma and digamma (derivatives of every
// order in the parameters), draws from detail::standard_gamma, reparameterized draws from
// detail::standard_gamma_rsample (Note [implicit gamma gradient]).
#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/distributions.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/special.hpp"

namespace metagrad::distributions {
namespace {

// log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b).
Tensor log_beta(const Tensor& a, const Tensor& b) { return lgamma(a) + lgamma(b) - lgamma(a + b); }

}  // namespace

Gamma::Gamma(const Tensor& concentration, const Tensor& rate) {
  batch_shape_ = metagrad::detail::broadcast_parameters(concentration, rate, "Gamma");
  metagrad::detail::check_positive(concentration, "Gamma", "concentration");
  metagrad::detail::check_positive(rate, "Gamma", "rate");
  concentration_ = concentration;
  rate_ = rate;
}

Tensor Gamma::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  const Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "Gamma");
  const Tensor draw = metagrad::detail::standard_gamma(
      expand(concentration_.detach(), shape).contiguous(), generator);
  return draw / rate_.detach();
}

Tensor Gamma::rsample(const Dims& sample_shape, Generator* generator) const {
  const Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "Gamma");
  return metagrad::detail::standard_gamma_rsample(expand(concentration_, shape), generator) / rate_;
}

Tensor Gamma::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(concentration_, value, "Gamma.log_prob");
  // a log(rate) + (a - 1) log(value) - rate value - lgamma(a)
  return xlogy(concentration_, rate_) + xlogy(concentration_ - 1.0, value) - rate_ * value -
         lgamma(concentration_);
}

Tensor Gamma::cdf(const Tensor& value) const {
  metagrad::detail::check_same_kind(concentration_, value, "Gamma.cdf");
  // P(a, rate value)
  return gammainc(concentration_, rate_ * value);
}

Tensor Gamma::entropy() const {
  // a - log(rate) + lgamma(a) + (1 - a) digamma(a)
  const Tensor a = concentration_;
  return expand(a - log(rate_) + lgamma(a) + (1.0 - a) * digamma(a), batch_shape_);
}

Tensor Gamma::mean() const { return expand(concentration_ / rate_, batch_shape_); }

Tensor Gamma::variance() const { return expand(concentration_ / square(rate_), batch_shape_); }

Tensor kl_divergence(const Gamma& p, const Gamma& q) {
  metagrad::detail::check_same_kind(p.rate(), q.rate(), "kl_divergence");
  // aq log(rp / rq) + lgamma(aq) - lgamma(ap) + (ap - aq) digamma(ap) + (rq - rp) ap / rp
  const Tensor& ap = p.concentration();
  const Tensor& aq = q.concentration();
  return aq * log(p.rate() / q.rate()) + lgamma(aq) - lgamma(ap) + (ap - aq) * digamma(ap) +
         (q.rate() - p.rate()) * (ap / p.rate());
}

Beta::Beta(const Tensor& concentration1, const Tensor& concentration0) {
  batch_shape_ = metagrad::detail::broadcast_parameters(concentration1, concentration0, "Beta");
  metagrad::detail::check_positive(concentration1, "Beta", "concentration1");
  metagrad::detail::check_positive(concentration0, "Beta", "concentration0");
  concentration1_ = concentration1;
  concentration0_ = concentration0;
}

Tensor Beta::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  const Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "Beta");
  const Tensor x = metagrad::detail::standard_gamma(
      expand(concentration1_.detach(), shape).contiguous(), generator);
  const Tensor y = metagrad::detail::standard_gamma(
      expand(concentration0_.detach(), shape).contiguous(), generator);
  return x / (x + y);
}

Tensor Beta::rsample(const Dims& sample_shape, Generator* generator) const {
  const Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "Beta");
  const Tensor x =
      metagrad::detail::standard_gamma_rsample(expand(concentration1_, shape), generator);
  const Tensor y =
      metagrad::detail::standard_gamma_rsample(expand(concentration0_, shape), generator);
  return x / (x + y);
}

Tensor Beta::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(concentration1_, value, "Beta.log_prob");
  // (a - 1) log(value) + (b - 1) log(1 - value) - log B(a, b)
  return xlogy(concentration1_ - 1.0, value) + xlogy(concentration0_ - 1.0, 1.0 - value) -
         log_beta(concentration1_, concentration0_);
}

Tensor Beta::entropy() const {
  // log B(a, b) - (a - 1) digamma(a) - (b - 1) digamma(b) + (a + b - 2) digamma(a + b)
  const Tensor &a = concentration1_, &b = concentration0_;
  const Tensor total = a + b;
  return expand(log_beta(a, b) - (a - 1.0) * digamma(a) - (b - 1.0) * digamma(b) +
                    (total - 2.0) * digamma(total),
                batch_shape_);
}

Tensor Beta::mean() const {
  return expand(concentration1_ / (concentration1_ + concentration0_), batch_shape_);
}

Tensor Beta::variance() const {
  const Tensor total = concentration1_ + concentration0_;
  return expand(concentration1_ * concentration0_ / (square(total) * (total + 1.0)), batch_shape_);
}

Tensor kl_divergence(const Beta& p, const Beta& q) {
  metagrad::detail::check_same_kind(p.concentration1(), q.concentration1(), "kl_divergence");
  // log B(aq, bq) - log B(ap, bp) + (ap - aq) digamma(ap) + (bp - bq) digamma(bp)
  //   + (aq - ap + bq - bp) digamma(ap + bp)
  const Tensor &ap = p.concentration1(), &bp = p.concentration0();
  const Tensor &aq = q.concentration1(), &bq = q.concentration0();
  const Tensor p_total = ap + bp;
  return log_beta(aq, bq) - log_beta(ap, bp) + (ap - aq) * digamma(ap) + (bp - bq) * digamma(bp) +
         (aq + bq - p_total) * digamma(p_total);
}

}  // namespace metagrad::distributions
