// torch.distributions.Poisson: log_prob from lgamma; draws by whole-tensor rounds (every pending
// element redrawn until accepted), so one code serves every device.
#include <cmath>

#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/distributions.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {
namespace {

// Rounds after which an element still pending is an error: each PTRS round accepts with
// probability above 0.85, and a product of uniforms for rate < 10 outlasts 1000 factors with
// probability below 1e-300.
constexpr int kMaxPoissonRounds = 1000;

// Counts for rate < 10 (Knuth): the number of uniforms whose running product stays above
// e^-rate.
Tensor multiply_uniforms(const Tensor& rate, Generator* generator) {
  const TensorOptions options(rate.dtype(), rate.device());
  const Tensor floor_value = exp(-rate);
  Tensor product = ones(rate.shape(), options);
  Tensor count = zeros(rate.shape(), options);
  Tensor pending = gt(product, floor_value);
  for (int round = 0; round < kMaxPoissonRounds && any(pending).item<bool>(); ++round) {
    product = product * rand(rate.shape(), options, generator);
    pending = logical_and(pending, gt(product, floor_value));
    count = count + pending.to(rate.dtype());
  }
  MG_CHECK(!any(pending).item<bool>(), "Poisson: the sampler did not finish in {} rounds",
           kMaxPoissonRounds);
  return count;
}

// Counts for rate >= 10: W. Hormann, "The transformed rejection method for generating Poisson
// random variables" (1993), algorithm PTRS.
Tensor transformed_rejection(const Tensor& rate, Generator* generator) {
  const TensorOptions options(rate.dtype(), rate.device());
  const Tensor root = sqrt(rate), log_rate = log(rate);
  const Tensor b = root * 2.53 + 0.931;
  const Tensor a = b * 0.02483 - 0.059;
  const Tensor log_inverse_alpha = log(reciprocal(b - 3.4) * 1.1328 + 1.1239);
  const Tensor v_bound = 0.9277 - reciprocal(b - 2.0) * 3.6224;
  Tensor count = zeros(rate.shape(), options);
  Tensor pending = ones(rate.shape(), TensorOptions(kBool, rate.device()));
  for (int round = 0; round < kMaxPoissonRounds && any(pending).item<bool>(); ++round) {
    const Tensor u = rand(rate.shape(), options, generator) - 0.5;
    const Tensor v = rand(rate.shape(), options, generator);
    const Tensor us = 0.5 - abs(u);
    const Tensor k = floor((a * 2.0 / us + b) * u + rate + 0.43);
    const Tensor quick = logical_and(ge(us, 0.07), le(v, v_bound));
    const Tensor rejected = logical_or(lt(k, 0.0), logical_and(lt(us, 0.013), gt(v, us)));
    const Tensor safe_k = clamp(k, 0.0, std::nullopt);
    const Tensor density_test = le(log(v) + log_inverse_alpha - log(a / square(us) + b),
                                   -rate + safe_k * log_rate - lgamma(safe_k + 1.0));
    const Tensor accept = logical_or(quick, logical_and(logical_not(rejected), density_test));
    count = where(logical_and(pending, accept), k, count);
    pending = logical_and(pending, logical_not(accept));
  }
  MG_CHECK(!any(pending).item<bool>(), "Poisson: the sampler did not finish in {} rounds",
           kMaxPoissonRounds);
  return count;
}

}  // namespace

Poisson::Poisson(const Tensor& rate) {
  metagrad::detail::check_floating(rate, "Poisson");
  {
    NoGradGuard no_grad;
    MG_CHECK(all(ge(rate, 0.0)).item<bool>(),
             "Poisson: rate must be non-negative everywhere (rate shape {})",
             shape_str(rate.shape()));
  }
  rate_ = rate;
}

Tensor Poisson::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  const Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape(), "Poisson");
  const Tensor rate = expand(rate_.detach(), shape).contiguous();
  const Tensor small = lt(rate, 10.0);
  // Each method sees a rate from its own range (10 for the small ones' slots and 1 for the large
  // ones'), so neither does needless rounds; where() keeps each element's own draw.
  const Tensor small_counts = multiply_uniforms(where(small, rate, 1.0), generator);
  const Tensor large_counts = transformed_rejection(where(small, 10.0, rate), generator);
  return where(small, small_counts, large_counts);
}

Tensor Poisson::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(rate_, value, "Poisson.log_prob");
  // value log(rate) - rate - lgamma(value + 1)
  return xlogy(value, rate_) - rate_ - lgamma(value + 1.0);
}

Tensor kl_divergence(const Poisson& p, const Poisson& q) {
  metagrad::detail::check_same_kind(p.rate(), q.rate(), "kl_divergence");
  // rp (log rp - log rq) - (rp - rq)
  return p.rate() * (log(p.rate()) - log(q.rate())) - (p.rate() - q.rate());
}

}  // namespace metagrad::distributions
