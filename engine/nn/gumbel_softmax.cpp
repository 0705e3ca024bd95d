// gumbel_softmax (torch.nn.functional.gumbel_softmax): a relaxed sample of a categorical
// distribution. The Gumbel noise is drawn without history, so the soft sample is softmax of an
// affine map of the logits and has every derivative order; the hard sample is the one-hot of its
// argmax carrying the soft sample's derivatives (the straight-through estimator).
#include <cmath>
#include <limits>

#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

Tensor gumbel_softmax(const Tensor& logits, double tau, bool hard, int64_t dim,
                      Generator* generator) {
  detail::check_defined(logits, "gumbel_softmax");
  detail::check_floating(logits, "gumbel_softmax");
  MG_CHECK(tau > 0.0 && std::isfinite(tau),
           "gumbel_softmax: tau must be positive and finite, got {}", tau);
  const int64_t rank = std::max<int64_t>(logits.dim(), 1);
  MG_CHECK(dim >= -rank && dim < rank,
           "gumbel_softmax: dim {} is out of range for logits of shape {} (expected [{}, {}])", dim,
           shape_str(logits.shape()), -rank, rank - 1);
  Tensor gumbels;
  {
    NoGradGuard no_grad;
    // g = -log(E), E = -log(1 - u) ~ Exp(1); E is kept above the smallest normal number so that
    // g stays finite (u = 0 would give E = 0).
    const double tiny = logits.dtype() == kFloat64 ? std::numeric_limits<double>::min()
                                                   : std::numeric_limits<float>::min();
    gumbels = -log(clamp(-log1p(-rand_like(logits, generator)), tiny, std::nullopt));
  }
  const Tensor soft = softmax((logits + gumbels) / tau, dim);
  if (!hard) return soft;
  Tensor one_hot_sample;
  {
    NoGradGuard no_grad;
    const Tensor index = argmax(soft, dim, true);
    one_hot_sample = scatter_add(zeros_like(soft), dim, index,
                                 ones(index.shape(), TensorOptions(soft.dtype(), soft.device())));
  }
  // Straight through: the one-hot values with the soft sample's derivatives.
  return one_hot_sample - soft.detach() + soft;
}

}  // namespace metagrad
