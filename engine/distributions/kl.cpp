// kl_divergence between families (kl.hpp): PyTorch 1.13's closed forms, composed of
// differentiable ops; +inf where q has no mass on part of p's support.
#include "engine/distributions/kl.hpp"

#include <cmath>
#include <limits>
#include <numbers>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/x_log_x.hpp"

namespace metagrad::distributions {
namespace {

constexpr double kEuler = std::numbers::egamma;
const double kLogTwoPi = std::log(2.0 * std::numbers::pi);

// `kl` with +inf where `infinite` holds (broadcast together).
Tensor infinite_where(const Tensor& infinite, const Tensor& kl) {
  return where(infinite, std::numeric_limits<double>::infinity(), kl);
}

// E[x] and E[log x] of a Beta(a, b).
Tensor beta_mean(const Beta& p) {
  return p.concentration1() / (p.concentration1() + p.concentration0());
}

// (x log x at high - x log x at low - (high - low)) / (high - low): E[log x] under Uniform(low,
// high) for 0 <= low.
Tensor uniform_mean_log(const Uniform& p) {
  const Tensor width = p.high() - p.low();
  return (metagrad::detail::x_log_x(p.high()) - metagrad::detail::x_log_x(p.low()) - width) / width;
}

// -H(p) - E_p[x] l_q - log1p(-q) - log C(q): KL(p || ContinuousBernoulli q) for p on [0, 1].
Tensor kl_to_continuous_bernoulli(const Tensor& negative_entropy, const Tensor& mean,
                                  const ContinuousBernoulli& q) {
  return negative_entropy - mean * q.logits() - log1p(-q.probs()) - q.log_normalizer();
}

}  // namespace

Tensor kl_divergence(const Pareto& p, const Pareto& q) {
  metagrad::detail::check_same_kind(p.scale(), q.scale(), "kl_divergence");
  // alpha_q log(s_p / s_q) - log(alpha_q / alpha_p) + alpha_q / alpha_p - 1
  const Tensor alpha_ratio = q.alpha() / p.alpha();
  const Tensor kl = q.alpha() * log(p.scale() / q.scale()) - log(alpha_ratio) + alpha_ratio - 1.0;
  return infinite_where(lt(p.scale(), q.scale()), kl);
}

Tensor kl_divergence(const OneHotCategorical& p, const OneHotCategorical& q) {
  return kl_divergence(p.categorical(), q.categorical());
}

Tensor kl_divergence(const MultivariateNormal& p, const LowRankMultivariateNormal& q) {
  return kl_divergence(p, q.to_multivariate_normal());
}

Tensor kl_divergence(const LowRankMultivariateNormal& p, const MultivariateNormal& q) {
  return kl_divergence(p.to_multivariate_normal(), q);
}

Tensor kl_divergence(const Bernoulli& p, const Poisson& q) {
  metagrad::detail::check_same_kind(p.probs(), q.rate(), "kl_divergence");
  // -H(p) - (p log(rate) - rate)
  return -p.entropy() - (p.probs() * log(q.rate()) - q.rate());
}

Tensor kl_divergence(const Beta& p, const ContinuousBernoulli& q) {
  metagrad::detail::check_same_kind(p.concentration1(), q.probs(), "kl_divergence");
  return kl_to_continuous_bernoulli(-p.entropy(), p.mean(), q);
}

Tensor kl_divergence(const Beta& p, const Exponential& q) {
  metagrad::detail::check_same_kind(p.concentration1(), q.rate(), "kl_divergence");
  // -H(p) - log(rate) + rate E[x]
  return -p.entropy() - log(q.rate()) + q.rate() * beta_mean(p);
}

Tensor kl_divergence(const Beta& p, const Gamma& q) {
  metagrad::detail::check_same_kind(p.concentration1(), q.rate(), "kl_divergence");
  // -H(p) + lgamma(k) - k log(rate) - (k - 1) E[log x] + rate E[x]
  const Tensor& k = q.concentration();
  const Tensor mean_log =
      digamma(p.concentration1()) - digamma(p.concentration1() + p.concentration0());
  return -p.entropy() + (lgamma(k) - k * log(q.rate())) - (k - 1.0) * mean_log +
         q.rate() * beta_mean(p);
}

Tensor kl_divergence(const Beta& p, const Normal& q) {
  metagrad::detail::check_same_kind(p.concentration1(), q.mean(), "kl_divergence");
  // -H(p) + log(2 pi s^2) / 2 + (E[x^2] / 2 - mu E[x] + mu^2 / 2) / s^2
  const Tensor mean = beta_mean(p);
  const Tensor variance = q.variance();
  const Tensor half_second_moment =
      (mean * (1.0 - mean) / (p.concentration1() + p.concentration0() + 1.0) + square(mean)) * 0.5;
  const Tensor loc = q.mean();
  return -p.entropy() + 0.5 * log(variance * (2.0 * std::numbers::pi)) +
         (half_second_moment - loc * mean + square(loc) * 0.5) / variance;
}

Tensor kl_divergence(const Beta& p, const Uniform& q) {
  metagrad::detail::check_same_kind(p.concentration1(), q.low(), "kl_divergence");
  // -H(p) + log(high - low), +inf unless [0, 1] lies in [low, high]
  const Tensor kl = -p.entropy() + log(q.high() - q.low());
  return infinite_where(logical_or(gt(q.low(), 0.0), lt(q.high(), 1.0)), kl);
}

Tensor kl_divergence(const ContinuousBernoulli& p, const Exponential& q) {
  metagrad::detail::check_same_kind(p.probs(), q.rate(), "kl_divergence");
  // -H(p) - log(rate) + rate E[x]
  return -p.entropy() - log(q.rate()) + q.rate() * p.mean();
}

Tensor kl_divergence(const ContinuousBernoulli& p, const Normal& q) {
  metagrad::detail::check_same_kind(p.probs(), q.mean(), "kl_divergence");
  const Tensor loc = q.mean(), scale = q.stddev(), mean = p.mean();
  return -p.entropy() + 0.5 * (kLogTwoPi + square(loc / scale)) + log(scale) +
         (p.variance() + square(mean) - 2.0 * loc * mean) / (2.0 * square(scale));
}

Tensor kl_divergence(const ContinuousBernoulli& p, const Uniform& q) {
  metagrad::detail::check_same_kind(p.probs(), q.low(), "kl_divergence");
  const Tensor kl = -p.entropy() + log(q.high() - q.low());
  return infinite_where(logical_or(gt(q.low(), 0.0), lt(q.high(), 1.0)), kl);
}

Tensor kl_divergence(const Exponential& p, const Gamma& q) {
  metagrad::detail::check_same_kind(p.rate(), q.rate(), "kl_divergence");
  // -k log(r) + r + lgamma(k) + k gamma - (1 + gamma), r = rate_q / rate_p
  const Tensor ratio = q.rate() / p.rate();
  const Tensor& k = q.concentration();
  return -k * log(ratio) + ratio + lgamma(k) + k * kEuler - (1.0 + kEuler);
}

Tensor kl_divergence(const Exponential& p, const Gumbel& q) {
  metagrad::detail::check_same_kind(p.rate(), q.loc(), "kl_divergence");
  const Tensor product = p.rate() * q.scale();
  const Tensor loc_ratio = q.loc() / q.scale();
  return log(product) - 1.0 - loc_ratio + exp(loc_ratio) * product / (product + 1.0) +
         reciprocal(product);
}

Tensor kl_divergence(const Exponential& p, const Normal& q) {
  metagrad::detail::check_same_kind(p.rate(), q.mean(), "kl_divergence");
  const Tensor variance = q.variance(), rate_square = square(p.rate()), loc = q.mean();
  return 0.5 * log(rate_square * variance * (2.0 * std::numbers::pi)) - 1.0 +
         (reciprocal(rate_square) - loc / p.rate() + square(loc) * 0.5) / variance;
}

Tensor kl_divergence(const Gamma& p, const Exponential& q) {
  metagrad::detail::check_same_kind(p.rate(), q.rate(), "kl_divergence");
  return -p.entropy() - log(q.rate()) + q.rate() * p.concentration() / p.rate();
}

Tensor kl_divergence(const Gamma& p, const Gumbel& q) {
  metagrad::detail::check_same_kind(p.rate(), q.loc(), "kl_divergence");
  const Tensor& k = p.concentration();
  const Tensor product = p.rate() * q.scale();
  const Tensor loc_ratio = q.loc() / q.scale();
  const Tensor t1 = (k - 1.0) * digamma(k) - lgamma(k) - k;
  const Tensor t2 = log(product) + k / product;
  const Tensor t3 = exp(loc_ratio) * pow(1.0 + reciprocal(product), -k) - loc_ratio;
  return t1 + t2 + t3;
}

Tensor kl_divergence(const Gamma& p, const Normal& q) {
  metagrad::detail::check_same_kind(p.rate(), q.mean(), "kl_divergence");
  const Tensor& k = p.concentration();
  const Tensor variance = q.variance(), rate_square = square(p.rate()), loc = q.mean();
  const Tensor t1 = 0.5 * log(rate_square * variance * (2.0 * std::numbers::pi)) - k - lgamma(k);
  const Tensor t2 = 0.5 * (square(k) + k) / rate_square;
  const Tensor t3 = loc * k / p.rate();
  return t1 + (k - 1.0) * digamma(k) + (t2 - t3 + 0.5 * square(loc)) / variance;
}

Tensor kl_divergence(const Gumbel& p, const Normal& q) {
  metagrad::detail::check_same_kind(p.loc(), q.mean(), "kl_divergence");
  const Tensor scale = q.stddev();
  const Tensor ratio = p.scale() / scale;
  const Tensor t1 = log(ratio / std::sqrt(2.0 * std::numbers::pi));
  const Tensor t2 = square(ratio * (std::numbers::pi * 0.5)) / 3.0;
  const Tensor t3 = square((p.loc() + p.scale() * kEuler - q.mean()) / scale) * 0.5;
  return -t1 + t2 + t3 - (kEuler + 1.0);
}

Tensor kl_divergence(const Laplace& p, const Normal& q) {
  metagrad::detail::check_same_kind(p.loc(), q.mean(), "kl_divergence");
  const Tensor variance = q.variance(), loc = q.mean();
  const Tensor ratio = square(p.scale()) / variance;
  const Tensor t1 = 0.5 * log(2.0 * ratio / std::numbers::pi);
  return -t1 + ratio + (square(p.loc() - loc) * 0.5) / variance - 1.0;
}

Tensor kl_divergence(const Normal& p, const Gumbel& q) {
  metagrad::detail::check_same_kind(p.mean(), q.loc(), "kl_divergence");
  const Tensor mean_ratio = p.mean() / q.scale();
  const Tensor variance_ratio = square(p.stddev() / q.scale());
  const Tensor loc_ratio = q.loc() / q.scale();
  return -0.5 * log(variance_ratio) + mean_ratio - loc_ratio +
         exp(-mean_ratio + 0.5 * variance_ratio + loc_ratio) - 0.5 * (1.0 + kLogTwoPi);
}

Tensor kl_divergence(const Normal& p, const Laplace& q) {
  metagrad::detail::check_same_kind(p.mean(), q.loc(), "kl_divergence");
  const Tensor difference = p.mean() - q.loc();
  const Tensor scale = p.stddev();
  const Tensor standardized = difference / scale;
  const Tensor t2 = std::sqrt(2.0 / std::numbers::pi) * scale * exp(-0.5 * square(standardized));
  const Tensor t3 = difference * erf(std::sqrt(0.5) * standardized);
  return -log(scale / q.scale()) + (t2 + t3) / q.scale() -
         0.5 * (1.0 + std::log(0.5 * std::numbers::pi));
}

Tensor kl_divergence(const Pareto& p, const Exponential& q) {
  metagrad::detail::check_same_kind(p.scale(), q.rate(), "kl_divergence");
  const Tensor product = p.scale() * q.rate();
  const Tensor kl = log(p.alpha() / product) - reciprocal(p.alpha()) +
                    p.alpha() * product / (p.alpha() - 1.0) - 1.0;
  return infinite_where(le(p.alpha(), 1.0), kl);
}

Tensor kl_divergence(const Pareto& p, const Gamma& q) {
  metagrad::detail::check_same_kind(p.scale(), q.rate(), "kl_divergence");
  const Tensor& k = q.concentration();
  const Tensor common = log(p.scale()) + reciprocal(p.alpha());
  const Tensor kl = log(p.alpha()) - common + (lgamma(k) - k * log(q.rate())) + (1.0 - k) * common +
                    q.rate() * p.alpha() * p.scale() / (p.alpha() - 1.0) - 1.0;
  return infinite_where(le(p.alpha(), 1.0), kl);
}

Tensor kl_divergence(const Pareto& p, const Normal& q) {
  metagrad::detail::check_same_kind(p.scale(), q.mean(), "kl_divergence");
  const Tensor twice_variance = 2.0 * q.variance();
  const Tensor common = p.scale() / (p.alpha() - 1.0);
  const Tensor t1 = log(std::sqrt(2.0 * std::numbers::pi) * q.stddev() * p.alpha() / p.scale());
  const Tensor t3 = p.alpha() * square(common) / (p.alpha() - 2.0);
  const Tensor t4 = square(p.alpha() * common - q.mean());
  const Tensor kl = t1 - reciprocal(p.alpha()) + (t3 + t4) / twice_variance - 1.0;
  return infinite_where(le(p.alpha(), 2.0), kl);
}

Tensor kl_divergence(const Uniform& p, const Beta& q) {
  metagrad::detail::check_same_kind(p.low(), q.concentration1(), "kl_divergence");
  const Tensor width = p.high() - p.low();
  const Tensor t1 = log(width);
  const Tensor t2 =
      (q.concentration1() - 1.0) *
      (metagrad::detail::x_log_x(p.high()) - metagrad::detail::x_log_x(p.low()) - width) / width;
  const Tensor t3 = (q.concentration0() - 1.0) *
                    (metagrad::detail::x_log_x(1.0 - p.high()) -
                     metagrad::detail::x_log_x(1.0 - p.low()) + width) /
                    width;
  const Tensor t4 = lgamma(q.concentration1()) + lgamma(q.concentration0()) -
                    lgamma(q.concentration1() + q.concentration0());
  return infinite_where(logical_or(gt(p.high(), 1.0), lt(p.low(), 0.0)), t3 + t4 - t1 - t2);
}

Tensor kl_divergence(const Uniform& p, const ContinuousBernoulli& q) {
  metagrad::detail::check_same_kind(p.low(), q.probs(), "kl_divergence");
  const Tensor kl = kl_to_continuous_bernoulli(-p.entropy(), p.mean(), q);
  return infinite_where(logical_or(gt(p.high(), 1.0), lt(p.low(), 0.0)), kl);
}

Tensor kl_divergence(const Uniform& p, const Exponential& q) {
  metagrad::detail::check_same_kind(p.low(), q.rate(), "kl_divergence");
  const Tensor kl = q.rate() * (p.high() + p.low()) / 2.0 - log((p.high() - p.low()) * q.rate());
  return infinite_where(lt(p.low(), 0.0), kl);
}

Tensor kl_divergence(const Uniform& p, const Gamma& q) {
  metagrad::detail::check_same_kind(p.low(), q.rate(), "kl_divergence");
  const Tensor& k = q.concentration();
  const Tensor kl = -log(p.high() - p.low()) + (lgamma(k) - k * log(q.rate())) +
                    (1.0 - k) * uniform_mean_log(p) + q.rate() * (p.high() + p.low()) / 2.0;
  return infinite_where(lt(p.low(), 0.0), kl);
}

Tensor kl_divergence(const Uniform& p, const Gumbel& q) {
  metagrad::detail::check_same_kind(p.low(), q.loc(), "kl_divergence");
  const Tensor common = q.scale() / (p.high() - p.low());
  const Tensor high = (p.high() - q.loc()) / q.scale();
  const Tensor low = (p.low() - q.loc()) / q.scale();
  return log(common) + 0.5 * (high + low) - common * (exp(-high) - exp(-low));
}

Tensor kl_divergence(const Uniform& p, const Normal& q) {
  metagrad::detail::check_same_kind(p.low(), q.mean(), "kl_divergence");
  const Tensor width = p.high() - p.low();
  const Tensor t1 = log(std::sqrt(2.0 * std::numbers::pi) * q.stddev() / width);
  const Tensor t2 = square(width) / 12.0;
  const Tensor t3 = square((p.high() + p.low() - 2.0 * q.mean()) / 2.0);
  return t1 + 0.5 * (t2 + t3) / q.variance();
}

Tensor kl_divergence(const Uniform& p, const Pareto& q) {
  metagrad::detail::check_same_kind(p.low(), q.scale(), "kl_divergence");
  const Tensor width = p.high() - p.low();
  const Tensor t1 = log(q.alpha() * pow(q.scale(), q.alpha()) * width);
  const Tensor kl = uniform_mean_log(p) * (q.alpha() + 1.0) - t1;
  return infinite_where(lt(p.low(), q.scale()), kl);
}

}  // namespace metagrad::distributions
