// The piecewise and gated activations of torch.nn.functional: hardtanh, relu6, hardsigmoid,
// hardswish, softsign, tanhshrink, softshrink, hardshrink, threshold, celu, glu, softmin and prelu,
// composed of public differentiable ops. Where PyTorch's gradient at a breakpoint differs from a
// clamp's (hardtanh's is 0 at its bounds), the region masks are PyTorch's.
#include <cmath>

#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// A bool mask computed without recording.
template <typename F>
Tensor mask_of(F condition) {
  NoGradGuard no_grad;
  return condition();
}

}  // namespace

Tensor hardtanh(const Tensor& x, double min_val, double max_val) {
  detail::check_floating(x, "hardtanh");
  MG_CHECK(min_val <= max_val, "hardtanh: min_val ({}) must not exceed max_val ({})", min_val,
           max_val);
  // x strictly inside (min_val, max_val), the clamped constant elsewhere.
  const Tensor inside = mask_of([&] { return logical_and(gt(x, min_val), lt(x, max_val)); });
  return where(inside, x, clamp(x, min_val, max_val).detach());
}

Tensor relu6(const Tensor& x) {
  detail::check_floating(x, "relu6");
  return hardtanh(x, 0.0, 6.0);
}

Tensor hardsigmoid(const Tensor& x) {
  detail::check_floating(x, "hardsigmoid");
  return hardtanh(x, -3.0, 3.0) / 6.0 + 0.5;
}

Tensor hardswish(const Tensor& x) {
  detail::check_floating(x, "hardswish");
  // 0 below -3, x (x + 3) / 6 on [-3, 3], x above: the middle formula meets both ends in value.
  const Tensor below = mask_of([&] { return lt(x, -3.0); });
  const Tensor above = mask_of([&] { return gt(x, 3.0); });
  return where(below, zeros_like(x), where(above, x, x * (x + 3.0) / 6.0));
}

Tensor softsign(const Tensor& x) {
  detail::check_floating(x, "softsign");
  return x / (abs(x) + 1.0);
}

Tensor tanhshrink(const Tensor& x) {
  detail::check_floating(x, "tanhshrink");
  return x - tanh(x);
}

Tensor softshrink(const Tensor& x, double lambd) {
  detail::check_floating(x, "softshrink");
  MG_CHECK(lambd >= 0.0, "softshrink: lambd must be non-negative, got {}", lambd);
  const Tensor above = mask_of([&] { return gt(x, lambd); });
  const Tensor below = mask_of([&] { return lt(x, -lambd); });
  return where(above, x - lambd, where(below, x + lambd, zeros_like(x)));
}

Tensor hardshrink(const Tensor& x, double lambd) {
  detail::check_floating(x, "hardshrink");
  const Tensor outside = mask_of([&] { return logical_or(gt(x, lambd), lt(x, -lambd)); });
  return where(outside, x, 0.0);
}

Tensor threshold(const Tensor& x, double threshold, double value) {
  detail::check_floating(x, "threshold");
  const Tensor above = mask_of([&] { return gt(x, threshold); });
  return where(above, x, value);
}

Tensor celu(const Tensor& x, double alpha) {
  detail::check_floating(x, "celu");
  MG_CHECK(alpha != 0.0 && std::isfinite(alpha), "celu: alpha must be finite and non-zero, got {}",
           alpha);
  // x for x > 0, alpha (e^(x / alpha) - 1) otherwise; expm1 sees min(x, 0) only (Note [saturated
  // branches] in elementwise_activations.cpp).
  const Tensor positive = mask_of([&] { return gt(x, 0.0); });
  return where(positive, x, expm1(clamp(x, std::nullopt, 0.0) / alpha) * alpha);
}

Tensor glu(const Tensor& x, int64_t dim) {
  detail::check_floating(x, "glu");
  MG_CHECK(x.dim() >= 1, "glu: the input must have at least one dim, got a 0-d tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "glu");
  MG_CHECK(x.size(d) % 2 == 0,
           "glu: dim {} of input shape {} has odd size {}; it must split in halves", dim,
           shape_str(x.shape()), x.size(d));
  const int64_t half = x.size(d) / 2;
  return x.slice(d, 0, half) * sigmoid(x.slice(d, half, std::nullopt));
}

Tensor softmin(const Tensor& x, int64_t dim) {
  detail::check_floating(x, "softmin");
  return softmax(-x, dim);
}

Tensor prelu(const Tensor& x, const Tensor& weight) {
  detail::check_floating(x, "prelu");
  detail::check_defined(weight, "prelu", "weight");
  detail::check_same_kind(x, weight, "prelu");
  MG_CHECK(
      weight.numel() == 1 || (x.dim() >= 2 && weight.dim() == 1 && weight.numel() == x.size(1)),
      "prelu: weight of shape {} must hold 1 slope or one per channel (dim 1 of input shape "
      "{})",
      shape_str(weight.shape()), shape_str(x.shape()));
  // One slope per channel, broadcast over the dims after 1.
  Dims slope_shape(static_cast<size_t>(std::max<int64_t>(x.dim() - 1, 0)), 1);
  if (!slope_shape.empty()) slope_shape[0] = weight.numel();
  const Tensor slope = x.dim() >= 2 ? weight.reshape(slope_shape) : weight.reshape({});
  const Tensor positive = mask_of([&] { return gt(x, 0.0); });
  return where(positive, x, slope * x);
}

}  // namespace metagrad
