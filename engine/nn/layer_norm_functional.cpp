// layer_norm, composed of public differentiable ops (mean, var, rsqrt), so it has derivatives of
// every order without a backward of its own.
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

/// Throws unless the optional affine tensor `p` has shape normalized_shape and input's kind.
void check_affine(const Tensor& p, const Tensor& input, const Dims& normalized_shape,
                  const char* what) {
  if (!p.defined()) return;
  detail::check_same_kind(input, p, "layer_norm");
  MG_CHECK(p.shape() == normalized_shape,
           "layer_norm: {} must have the normalized shape {}, got shape {}", what,
           shape_str(normalized_shape), shape_str(p.shape()));
}

}  // namespace

Tensor layer_norm(const Tensor& input, const Dims& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  detail::check_floating(input, "layer_norm");
  const int k = static_cast<int>(normalized_shape.size());
  MG_CHECK(k >= 1, "layer_norm: normalized_shape must name at least one dim (input shape {})",
           shape_str(input.shape()));
  bool ends_with = input.dim() >= k;
  for (int i = 0; ends_with && i < k; ++i)
    ends_with = input.size(input.dim() - k + i) == normalized_shape[i];
  MG_CHECK(ends_with,
           "layer_norm: input shape {} does not end with the normalized shape {}; the "
           "normalized dims are the input's last {}",
           shape_str(input.shape()), shape_str(normalized_shape), k);
  MG_CHECK(eps >= 0.0, "layer_norm: eps must be non-negative, got {}", eps);
  check_affine(weight, input, normalized_shape, "weight");
  check_affine(bias, input, normalized_shape, "bias");
  Dims dims;
  for (int d = input.dim() - k; d < input.dim(); ++d) dims.push_back(d);
  // y = (x - E[x]) / sqrt(Var[x] + eps), biased variance over the normalized dims.
  const Tensor mu = mean(input, dims, true);
  const Tensor centered = input - mu;
  Tensor y = centered * rsqrt(mean(square(centered), dims, true) + eps);
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

}  // namespace metagrad
