// torch.distributions.Bernoulli, composed of differentiable ops.
#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/distributions.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/x_log_x.hpp"

namespace metagrad::distributions {

Bernoulli Bernoulli::from_probs(const Tensor& probs) {
  metagrad::detail::check_floating(probs, "Bernoulli");
  {
    NoGradGuard no_grad;
    MG_CHECK(all(logical_and(ge(probs, 0.0), le(probs, 1.0))).item<bool>(),
             "Bernoulli: probs must be in [0, 1] (shape {})", shape_str(probs.shape()));
  }
  return Bernoulli(probs, false);
}

Bernoulli Bernoulli::from_logits(const Tensor& logits) {
  metagrad::detail::check_floating(logits, "Bernoulli");
  return Bernoulli(logits, true);
}

Tensor Bernoulli::probs() const { return metagrad::detail::binary_probs(parameter_, is_logits_); }

Tensor Bernoulli::logits() const { return metagrad::detail::binary_logits(parameter_, is_logits_); }

Tensor Bernoulli::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  const Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape(), "Bernoulli");
  const Tensor p = probs().detach();
  return lt(rand(shape, TensorOptions(p.dtype(), p.device()), generator), p).to(p.dtype());
}

Tensor Bernoulli::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(parameter_, value, "Bernoulli.log_prob");
  // -BCE(logits, value): value log p + (1 - value) log(1 - p), stable for any logit.
  const Dims shape = broadcast_shapes(parameter_.shape(), value.shape(), "Bernoulli.log_prob");
  return -binary_cross_entropy_with_logits(expand(logits(), shape), expand(value, shape),
                                           {.reduction = Reduction::None});
}

Tensor Bernoulli::entropy() const {
  // BCE(logits, p) = -p log p - (1 - p) log(1 - p).
  return binary_cross_entropy_with_logits(logits(), probs(), {.reduction = Reduction::None});
}

Tensor Bernoulli::variance() const {
  const Tensor p = probs();
  return p * (1.0 - p);
}

Tensor kl_divergence(const Bernoulli& p, const Bernoulli& q) {
  metagrad::detail::check_same_kind(p.probs(), q.probs(), "kl_divergence");
  // p log(p / q) + (1 - p) log((1 - p) / (1 - q)) = xlogx(p) + xlogx(1 - p) - p log q - (1 - p)
  // log(1 - q), with the cross terms from q's logits: -BCE(q.logits, p).
  const Tensor pp = p.probs();
  const Dims shape = broadcast_shapes(pp.shape(), q.batch_shape(), "kl_divergence");
  const Tensor cross = binary_cross_entropy_with_logits(
      expand(q.logits(), shape), expand(pp, shape), {.reduction = Reduction::None});
  return metagrad::detail::x_log_x(pp) + metagrad::detail::x_log_x(1.0 - pp) + cross;
}

}  // namespace metagrad::distributions
