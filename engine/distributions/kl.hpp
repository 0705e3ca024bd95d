#pragma once

#include <limits>
#include <type_traits>

#include "engine/distributions/bounded.hpp"
#include "engine/distributions/counts.hpp"
#include "engine/distributions/distributions.hpp"
#include "engine/distributions/low_rank_multivariate_normal.hpp"
#include "engine/distributions/multivariate_normal.hpp"
#include "engine/distributions/relaxed.hpp"
#include "engine/distributions/transformed.hpp"
#include "engine/distributions/univariate.hpp"
#include "engine/ops/factory.hpp"

// kl_divergence(p, q) between distributions of different families, and the same-family pairs
// that the families' own headers leave out: every pair of PyTorch 1.13's KL registry, with its
// closed forms (composed of differentiable ops, so every derivative order exists in both
// distributions' parameters). Results have the broadcast batch shape of p and q; where q puts no
// mass on part of p's support the result is +inf, as PyTorch's.
namespace metagrad::distributions {
/// \addtogroup engine_distributions
/// @{

/// KL(p || q) of two Pareto distributions: alpha_q log(s_p / s_q) - log(alpha_q / alpha_p)
/// + alpha_q / alpha_p - 1, +inf where s_p < s_q.
Tensor kl_divergence(const Pareto& p, const Pareto& q);
/// KL(p || q) of two one-hot categoricals: that of their categoricals.
Tensor kl_divergence(const OneHotCategorical& p, const OneHotCategorical& q);
/// KL(p || q) of a dense and a low-rank multivariate normal, through q's dense form.
Tensor kl_divergence(const MultivariateNormal& p, const LowRankMultivariateNormal& q);
/// KL(p || q) of a low-rank and a dense multivariate normal, through p's dense form.
Tensor kl_divergence(const LowRankMultivariateNormal& p, const MultivariateNormal& q);
/// KL(Bernoulli || Poisson): -H(p) - (p log(rate) - rate).
Tensor kl_divergence(const Bernoulli& p, const Poisson& q);
/// KL(Beta || ContinuousBernoulli): -H(p) - E[x] l_q - log1p(-q) - log C(q).
Tensor kl_divergence(const Beta& p, const ContinuousBernoulli& q);
/// KL(Beta || Exponential): -H(p) - log(rate) + rate E[x].
Tensor kl_divergence(const Beta& p, const Exponential& q);
/// KL(Beta || Gamma): -H(p) + lgamma(k) - k log(rate) - (k - 1) E[log x] + rate E[x].
Tensor kl_divergence(const Beta& p, const Gamma& q);
/// KL(Beta || Normal): -H(p) + log(2 pi s^2) / 2 + (E[x^2] - 2 mu E[x] + mu^2) / (2 s^2).
Tensor kl_divergence(const Beta& p, const Normal& q);
/// KL(Beta || Uniform): -H(p) + log(high - low), +inf unless [0, 1] lies in [low, high].
Tensor kl_divergence(const Beta& p, const Uniform& q);
/// KL(ContinuousBernoulli || Exponential): -H(p) - log(rate) + rate E[x].
Tensor kl_divergence(const ContinuousBernoulli& p, const Exponential& q);
/// KL(ContinuousBernoulli || Normal): -H(p) + (log(2 pi) + (mu / s)^2) / 2 + log(s)
/// + (Var[x] + E[x]^2 - 2 mu E[x]) / (2 s^2).
Tensor kl_divergence(const ContinuousBernoulli& p, const Normal& q);
/// KL(ContinuousBernoulli || Uniform): -H(p) + log(high - low), +inf unless [0, 1] lies in
/// [low, high] (PyTorch also gives +inf where the two intervals share an end, which is finite).
Tensor kl_divergence(const ContinuousBernoulli& p, const Uniform& q);
/// KL(Exponential || Gamma): -k log(r) + r + lgamma(k) + k gamma - (1 + gamma) with
/// r = rate_q / rate_p and gamma Euler's constant.
Tensor kl_divergence(const Exponential& p, const Gamma& q);
/// KL(Exponential || Gumbel): log(rate s) - 1 - mu / s + e^(mu / s) rate s / (rate s + 1)
/// + 1 / (rate s).
Tensor kl_divergence(const Exponential& p, const Gumbel& q);
/// KL(Exponential || Normal): log(rate^2 s^2 2 pi) / 2 - 1 + (1 / rate^2 - mu / rate
/// + mu^2 / 2) / s^2.
Tensor kl_divergence(const Exponential& p, const Normal& q);
/// KL(Gamma || Exponential): -H(p) - log(rate_q) + rate_q k / rate_p.
Tensor kl_divergence(const Gamma& p, const Exponential& q);
/// KL(Gamma || Gumbel): PyTorch's closed form through digamma, lgamma and
/// e^(mu / s) (1 + 1 / (rate s))^(-k).
Tensor kl_divergence(const Gamma& p, const Gumbel& q);
/// KL(Gamma || Normal): PyTorch's closed form through E[x] = k / rate and
/// E[x^2] = (k^2 + k) / rate^2.
Tensor kl_divergence(const Gamma& p, const Normal& q);
/// KL(Gumbel || Normal): -log(s_p / (s_q sqrt(2 pi))) + (pi s_p / (2 s_q))^2 / 3
/// + ((mu_p + s_p gamma - mu_q) / s_q)^2 / 2 - (gamma + 1).
Tensor kl_divergence(const Gumbel& p, const Normal& q);
/// KL(Laplace || Normal): -log(2 b^2 / (pi s^2)) / 2 + b^2 / s^2 + (mu_p - mu_q)^2 / (2 s^2) - 1.
Tensor kl_divergence(const Laplace& p, const Normal& q);
/// KL(Normal || Gumbel): PyTorch's closed form through exp(-mu_p / s + (s_p / s)^2 / 2
/// + mu_q / s).
Tensor kl_divergence(const Normal& p, const Gumbel& q);
/// KL(Normal || Laplace): -log(s / b) + (sqrt(2 / pi) s e^(-d^2 / (2 s^2))
/// + d erf(d / (s sqrt 2))) / b - (1 + log(pi / 2)) / 2, d = mu_p - mu_q.
Tensor kl_divergence(const Normal& p, const Laplace& q);
/// KL(Pareto || Exponential): log(alpha / (s rate)) - 1 / alpha + alpha s rate / (alpha - 1) - 1,
/// +inf where alpha <= 1.
Tensor kl_divergence(const Pareto& p, const Exponential& q);
/// KL(Pareto || Gamma): PyTorch's closed form, +inf where alpha <= 1.
Tensor kl_divergence(const Pareto& p, const Gamma& q);
/// KL(Pareto || Normal): PyTorch's closed form, +inf where alpha <= 2.
Tensor kl_divergence(const Pareto& p, const Normal& q);
/// KL(Uniform || Beta): PyTorch's closed form through x log x at the ends, +inf unless
/// [low, high] lies in [0, 1].
Tensor kl_divergence(const Uniform& p, const Beta& q);
/// KL(Uniform || ContinuousBernoulli): -H(p) - E[x] l_q - log1p(-q) - log C(q), +inf unless
/// [low, high] lies in [0, 1] (PyTorch also gives +inf where the intervals share an end).
Tensor kl_divergence(const Uniform& p, const ContinuousBernoulli& q);
/// KL(Uniform || Exponential): rate (high + low) / 2 - log((high - low) rate), +inf where
/// low < 0.
Tensor kl_divergence(const Uniform& p, const Exponential& q);
/// KL(Uniform || Gamma): PyTorch's closed form, +inf where low < 0.
Tensor kl_divergence(const Uniform& p, const Gamma& q);
/// KL(Uniform || Gumbel): log(s / w) + (h + l) / 2 - (s / w) (e^-h - e^-l) with w = high - low,
/// h = (high - mu) / s, l = (low - mu) / s.
Tensor kl_divergence(const Uniform& p, const Gumbel& q);
/// KL(Uniform || Normal): log(sqrt(2 pi) s / w) + (w^2 / 12 + ((high + low) / 2 - mu)^2)
/// / (2 s^2), w = high - low.
Tensor kl_divergence(const Uniform& p, const Normal& q);
/// KL(Uniform || Pareto): (alpha + 1) E[log x] - log(alpha s^alpha w), +inf where low < scale.
Tensor kl_divergence(const Uniform& p, const Pareto& q);

namespace detail {

/// True for the pairs whose KL PyTorch defines as +inf everywhere: p has mass where q has none
/// (q's support is bounded on a side where p's is not).
template <typename P, typename Q>
inline constexpr bool kl_is_infinite = false;
template <>
inline constexpr bool kl_is_infinite<Beta, Pareto> = true;
template <>
inline constexpr bool kl_is_infinite<ContinuousBernoulli, Pareto> = true;
template <>
inline constexpr bool kl_is_infinite<Exponential, Beta> = true;
template <>
inline constexpr bool kl_is_infinite<Exponential, ContinuousBernoulli> = true;
template <>
inline constexpr bool kl_is_infinite<Exponential, Pareto> = true;
template <>
inline constexpr bool kl_is_infinite<Exponential, Uniform> = true;
template <>
inline constexpr bool kl_is_infinite<Gamma, Beta> = true;
template <>
inline constexpr bool kl_is_infinite<Gamma, ContinuousBernoulli> = true;
template <>
inline constexpr bool kl_is_infinite<Gamma, Pareto> = true;
template <>
inline constexpr bool kl_is_infinite<Gamma, Uniform> = true;
template <>
inline constexpr bool kl_is_infinite<Gumbel, Beta> = true;
template <>
inline constexpr bool kl_is_infinite<Gumbel, ContinuousBernoulli> = true;
template <>
inline constexpr bool kl_is_infinite<Gumbel, Exponential> = true;
template <>
inline constexpr bool kl_is_infinite<Gumbel, Gamma> = true;
template <>
inline constexpr bool kl_is_infinite<Gumbel, Pareto> = true;
template <>
inline constexpr bool kl_is_infinite<Gumbel, Uniform> = true;
template <>
inline constexpr bool kl_is_infinite<Laplace, Beta> = true;
template <>
inline constexpr bool kl_is_infinite<Laplace, ContinuousBernoulli> = true;
template <>
inline constexpr bool kl_is_infinite<Laplace, Exponential> = true;
template <>
inline constexpr bool kl_is_infinite<Laplace, Gamma> = true;
template <>
inline constexpr bool kl_is_infinite<Laplace, Pareto> = true;
template <>
inline constexpr bool kl_is_infinite<Laplace, Uniform> = true;
template <>
inline constexpr bool kl_is_infinite<Normal, Beta> = true;
template <>
inline constexpr bool kl_is_infinite<Normal, ContinuousBernoulli> = true;
template <>
inline constexpr bool kl_is_infinite<Normal, Exponential> = true;
template <>
inline constexpr bool kl_is_infinite<Normal, Gamma> = true;
template <>
inline constexpr bool kl_is_infinite<Normal, Pareto> = true;
template <>
inline constexpr bool kl_is_infinite<Normal, Uniform> = true;
template <>
inline constexpr bool kl_is_infinite<Pareto, Beta> = true;
template <>
inline constexpr bool kl_is_infinite<Pareto, ContinuousBernoulli> = true;
template <>
inline constexpr bool kl_is_infinite<Pareto, Uniform> = true;
template <>
inline constexpr bool kl_is_infinite<Poisson, Bernoulli> = true;
template <>
inline constexpr bool kl_is_infinite<Poisson, Binomial> = true;

}  // namespace detail

/// KL(p || q) = +inf of p's batch shape (p's dtype and device, not recorded) for the pairs of
/// detail::kl_is_infinite, as PyTorch's _infinite_like.
template <typename P, typename Q>
requires detail::kl_is_infinite<P, Q> Tensor kl_divergence(const P& p, const Q& /*q*/) {
  const Tensor like = p.mean().detach();
  return full(like.shape(), std::numeric_limits<double>::infinity(),
              TensorOptions(like.dtype(), like.device()));
}

/// @}
}  // namespace metagrad::distributions
