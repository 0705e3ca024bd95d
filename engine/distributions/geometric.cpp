// torch.distributions.Geometric, composed of differentiable ops.
#include <cmath>

#include "engine/distributions/distribution_support.hpp"
#include "engine/distributions/univariate.hpp"
#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {

Geometric Geometric::from_probs(const Tensor& probs) {
  metagrad::detail::check_floating(probs, "Geometric");
  {
    NoGradGuard no_grad;
    MG_CHECK(all(logical_and(gt(probs, 0.0), le(probs, 1.0))).item<bool>(),
             "Geometric: probs must be in (0, 1] (shape {})", shape_str(probs.shape()));
  }
  return Geometric(probs, false);
}

Geometric Geometric::from_logits(const Tensor& logits) {
  metagrad::detail::check_floating(logits, "Geometric");
  return Geometric(logits, true);
}

Tensor Geometric::probs() const { return metagrad::detail::binary_probs(parameter_, is_logits_); }

Tensor Geometric::logits() const { return metagrad::detail::binary_logits(parameter_, is_logits_); }

Tensor Geometric::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  const Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape(), "Geometric");
  const Tensor p = probs().detach();
  // The inverse CDF: floor(log(u) / log(1 - p)), u in [tiny, 1) as PyTorch's.
  const double tiny = metagrad::detail::dtype_tiny(p.dtype());
  const Tensor u =
      rand(shape, TensorOptions(p.dtype(), p.device()), generator) * (1.0 - tiny) + tiny;
  return floor(log(u) / log1p(-p));
}

Tensor Geometric::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(parameter_, value, "Geometric.log_prob");
  // k log(1 - p) + log p; k log(1 - p) is taken as 0 at k = 0 when p = 1 (PyTorch's rule).
  const Tensor p = probs();
  const Dims shape = broadcast_shapes(p.shape(), value.shape(), "Geometric.log_prob");
  const Tensor certain_zero = logical_and(eq(expand(p, shape), 1.0), eq(expand(value, shape), 0.0));
  const Tensor failures = where(certain_zero, zeros_like(expand(p, shape)), expand(p, shape));
  return value * log1p(-failures) + log(p);
}

Tensor Geometric::entropy() const {
  // H = BCE(p, p) / p
  const Tensor p = probs();
  return binary_cross_entropy_with_logits(logits(), p, {.reduction = Reduction::None}) / p;
}

Tensor Geometric::mean() const { return 1.0 / probs() - 1.0; }

Tensor Geometric::variance() const {
  const Tensor p = probs();
  return (1.0 / p - 1.0) / p;
}

Tensor kl_divergence(const Geometric& p, const Geometric& q) {
  metagrad::detail::check_same_kind(p.probs(), q.probs(), "kl_divergence");
  // -H(p) - log(1 - q) / p - logit(q)
  return -p.entropy() - log1p(-q.probs()) / p.probs() - q.logits();
}

}  // namespace metagrad::distributions
