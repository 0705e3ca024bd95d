// torch.distributions.Binomial: log_prob from lgamma and the logits; draws by whole-tensor rounds
// (every pending element redrawn until accepted), so one code serves every device.
#include <algorithm>
#include <limits>

#include "engine/distributions/count_support.hpp"
#include "engine/distributions/counts.hpp"
#include "engine/distributions/distribution_support.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {
namespace {

// Rounds after which an element still pending is an error. A waiting-time draw takes one round
// per success (fewer than 10 expected) and a BTRS round accepts with probability above 0.85, so
// neither comes near this in practice.
constexpr int kMaxBinomialRounds = 10000;

// Successes in n trials of probability q (n q < 10): the number of geometric waiting times
// ceil(log(u) / log(1 - q)) whose running sum stays within n (torch.binomial's inversion).
Tensor count_waiting_times(const Tensor& n, const Tensor& q, Generator* generator) {
  const TensorOptions options(q.dtype(), q.device());
  const Tensor log_failure = log1p(-q);
  const double tiny = metagrad::detail::dtype_tiny(q.dtype());
  Tensor position = zeros(q.shape(), options);
  Tensor count = zeros(q.shape(), options);
  Tensor pending = logical_and(gt(q, 0.0), gt(n, 0.0));
  for (int round = 0; round < kMaxBinomialRounds && any(pending).item<bool>(); ++round) {
    const Tensor u = rand(q.shape(), options, generator) * (1.0 - tiny) + tiny;
    position = position + where(pending, ceil(log(u) / log_failure), 0.0);
    pending = logical_and(pending, le(position, n));
    count = count + pending.to(q.dtype());
  }
  MG_CHECK(!any(pending).item<bool>(), "Binomial: the sampler did not finish in {} rounds",
           kMaxBinomialRounds);
  return count;
}

// Successes in n trials of probability q <= 1/2 with n q >= 10: W. Hormann, "The generation of
// binomial random variates" (1993), algorithm BTRS, its acceptance test on the exact log ratio
// log(f(k) / f(m)) of the density to the mode's.
Tensor transformed_rejection(const Tensor& n, const Tensor& q, Generator* generator) {
  const TensorOptions options(q.dtype(), q.device());
  const Tensor spread = sqrt(n * q * (1.0 - q));
  const Tensor b = spread * 2.53 + 1.15;
  const Tensor a = b * 0.0248 + q * 0.01 - 0.0873;
  const Tensor c = n * q + 0.5;
  const Tensor v_bound = 0.92 - 4.2 / b;
  const Tensor log_alpha = log((5.1 / b + 2.83) * spread);
  const Tensor log_odds = log(q) - log1p(-q);
  const Tensor mode = floor((n + 1.0) * q);
  const Tensor log_mode_norm = lgamma(mode + 1.0) + lgamma(n - mode + 1.0);
  Tensor count = zeros(q.shape(), options);
  Tensor pending = ones(q.shape(), TensorOptions(kBool, q.device()));
  for (int round = 0; round < kMaxBinomialRounds && any(pending).item<bool>(); ++round) {
    const Tensor u = rand(q.shape(), options, generator) - 0.5;
    const Tensor v = rand(q.shape(), options, generator);
    const Tensor us = 0.5 - abs(u);
    const Tensor k = floor((a * 2.0 / us + b) * u + c);
    const Tensor inside = logical_and(ge(k, 0.0), le(k, n));
    const Tensor quick = logical_and(ge(us, 0.07), le(v, v_bound));
    const Tensor safe_k = clamp(where(inside, k, 0.0), 0.0, std::nullopt);
    const Tensor log_ratio = log_mode_norm - lgamma(safe_k + 1.0) - lgamma(n - safe_k + 1.0) +
                             (safe_k - mode) * log_odds;
    const Tensor density_test = le(log(v) + log_alpha - log(a / square(us) + b), log_ratio);
    const Tensor accept = logical_and(inside, logical_or(quick, density_test));
    count = where(logical_and(pending, accept), k, count);
    pending = logical_and(pending, logical_not(accept));
  }
  MG_CHECK(!any(pending).item<bool>(), "Binomial: the sampler did not finish in {} rounds",
           kMaxBinomialRounds);
  return count;
}

// The most support points times batch elements that the KL sum over p's support enumerates.
constexpr double kMaxSupportTerms = 1 << 28;

// sum over k = 0..n_p of P(k) (log P(k) - log Q(k)): the KL where q's count exceeds p's (p's
// support lies inside q's, so it is finite). k runs to the largest n_p and is clamped to each
// element's min(n_p, n_q), so every term stays finite; those beyond n_p are masked to 0.
Tensor kl_over_support(const Binomial& p, const Binomial& q) {
  const Tensor& n_p = p.total_count();
  double largest = 0.0;
  {
    NoGradGuard no_grad;
    largest = amax(n_p).item<double>();
  }
  const size_t rank = std::max(p.batch_shape().size(), q.batch_shape().size());
  const double batch = static_cast<double>(
      numel_of(broadcast_shapes(p.batch_shape(), q.batch_shape(), "kl_divergence")));
  MG_CHECK((largest + 1.0) * std::max(batch, 1.0) <= kMaxSupportTerms,
           "kl_divergence: the Binomial KL where q's total_count exceeds p's sums over p's "
           "support, {} points for each of {} batch elements, more than the {} terms allowed; "
           "use smaller total counts",
           largest + 1.0, batch, kMaxSupportTerms);
  Dims shape(rank + 1, 1);
  shape[0] = static_cast<int64_t>(largest) + 1;
  const Tensor k = reshape(arange(largest + 1.0, TensorOptions(n_p.dtype(), n_p.device())), shape);
  const Tensor k_safe = minimum(k, minimum(n_p, q.total_count()));
  const Tensor log_p = p.log_prob(k_safe);
  const Tensor log_q = q.log_prob(k_safe);
  return sum(where(le(k, n_p), exp(log_p) * (log_p - log_q), 0.0), {0});
}

}  // namespace

Binomial::Binomial(Tensor total_count, Tensor parameter, bool is_logits)
    : total_count_(std::move(total_count)),
      parameter_(std::move(parameter)),
      is_logits_(is_logits),
      batch_shape_(metagrad::detail::count_parameters_shape(total_count_, parameter_, "Binomial")) {
  metagrad::detail::check_whole_counts(total_count_, "Binomial");
}

Binomial Binomial::from_probs(const Tensor& total_count, const Tensor& probs) {
  metagrad::detail::check_probabilities(probs, "Binomial", false);
  return Binomial(metagrad::detail::count_as_parameter(total_count, probs, "Binomial"), probs,
                  false);
}

Binomial Binomial::from_logits(const Tensor& total_count, const Tensor& logits) {
  metagrad::detail::check_floating(logits, "Binomial");
  return Binomial(metagrad::detail::count_as_parameter(total_count, logits, "Binomial"), logits,
                  true);
}

Tensor Binomial::probs() const { return metagrad::detail::binary_probs(parameter_, is_logits_); }

Tensor Binomial::logits() const { return metagrad::detail::binary_logits(parameter_, is_logits_); }

Tensor Binomial::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  const Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "Binomial");
  const Tensor n = expand(total_count_.detach(), shape).contiguous();
  const Tensor p = expand(probs().detach(), shape).contiguous();
  // Draw with q = min(p, 1 - p) and count failures where p > 1/2.
  const Tensor flipped = gt(p, 0.5);
  const Tensor q = where(flipped, 1.0 - p, p);
  const Tensor small = lt(n * q, 10.0);
  // Each method sees only its own elements (q = 0 ends a waiting-time draw at once; n = 20,
  // q = 1/2 is a quick BTRS case), and where() keeps each element's own draw.
  const Tensor waited = count_waiting_times(n, where(small, q, 0.0), generator);
  const Tensor rejected =
      transformed_rejection(where(small, 20.0, n), where(small, 0.5, q), generator);
  const Tensor successes = where(small, waited, rejected);
  return where(flipped, n - successes, successes);
}

Tensor Binomial::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(parameter_, value, "Binomial.log_prob");
  // k l - n (max(l, 0) + log1p(e^-|l|)) + lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)
  const Tensor l = logits();
  const Tensor& n = total_count_;
  const Tensor normalizer =
      n * clamp(l, 0.0, std::nullopt) + n * log1p(exp(-abs(l))) - lgamma(n + 1.0);
  return value * l - lgamma(value + 1.0) - lgamma(n - value + 1.0) - normalizer;
}

Tensor Binomial::enumerate_support(bool expand_support) const {
  const int64_t n = metagrad::detail::homogeneous_count(total_count_, "Binomial.enumerate_support");
  Dims shape(batch_shape_.size() + 1, 1);
  shape[0] = n + 1;
  const Tensor values = reshape(
      arange(static_cast<double>(n + 1), TensorOptions(parameter_.dtype(), parameter_.device())),
      shape);
  if (!expand_support) return values;
  Dims expanded = batch_shape_;
  expanded.insert(0, n + 1);
  return expand(values, expanded);
}

Tensor Binomial::entropy() const {
  metagrad::detail::homogeneous_count(total_count_, "Binomial.entropy");
  // -sum_k P(k) log P(k)
  const Tensor log_p = log_prob(enumerate_support(false));
  return -sum(exp(log_p) * log_p, {0});
}

Tensor Binomial::mean() const { return expand(total_count_ * probs(), batch_shape_); }

Tensor Binomial::variance() const {
  const Tensor p = probs();
  return expand(total_count_ * p * (1.0 - p), batch_shape_);
}

Tensor kl_divergence(const Binomial& p, const Binomial& q) {
  metagrad::detail::check_same_kind(p.probs(), q.probs(), "kl_divergence");
  const Tensor& n_p = p.total_count();
  const Tensor& n_q = q.total_count();
  // n (p (l_p - l_q) + log(1 - p) - log(1 - q)) where the counts are equal.
  const Tensor pp = p.probs();
  const Tensor same_count = n_p * (pp * (p.logits() - q.logits()) + log1p(-pp) - log1p(-q.probs()));
  bool q_count_larger = false;
  {
    NoGradGuard no_grad;
    q_count_larger = any(lt(n_p, n_q)).item<bool>();
  }
  const Tensor finite =
      q_count_larger ? where(eq(n_p, n_q), same_count, kl_over_support(p, q)) : same_count;
  // +inf where p's count exceeds q's: p puts mass where q has none.
  return where(gt(n_p, n_q), std::numeric_limits<double>::infinity(), finite);
}

}  // namespace metagrad::distributions
