// Dropout: elementwise (dropout) and channel-wise (dropout1d/2d/3d, PyTorch's feature dropout),
// and alpha dropout for SELU networks (alpha_dropout, feature_alpha_dropout). Each is an affine
// map of the input with constant coefficients drawn without history, so its derivatives of every
// order are those of that map.
#include <cmath>
#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// x times a mask of `mask_shape` (broadcast against x) whose entries are 0 with probability p
// and 1 / (1 - p) otherwise; x itself when not training or p == 0, zeros (with zero gradient)
// when p == 1.
Tensor drop(const Tensor& x, const Dims& mask_shape, double p, bool training,
            Generator* generator) {
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;  // as PyTorch: zeros, and zero gradient
  Tensor mask;
  {
    NoGradGuard no_grad;
    const TensorOptions options(x.dtype(), x.device());
    const Tensor keep = lt(rand(mask_shape, options, generator), 1.0 - p);
    mask = where(keep, scalar_tensor(1.0 / (1.0 - p), options), scalar_tensor(0.0, options));
  }
  return x * mask;
}

// Checks dropout's probability and input.
void check_dropout(const Tensor& x, double p, const char* op) {
  detail::check_defined(x, op);
  MG_CHECK(p >= 0.0 && p <= 1.0, "{}: probability has to be between 0 and 1, but got {}", op, p);
  detail::check_floating(x, op);
}

// Feature dropout over an input of `spatial` trailing dims after [N, C] (or after [C] when it has
// spatial + 1 dims): one draw per channel.
Tensor drop_channels(const Tensor& x, double p, bool training, Generator* generator,
                     int64_t spatial, const char* op, const char* layout) {
  check_dropout(x, p, op);
  MG_CHECK(x.dim() == spatial + 1 || x.dim() == spatial + 2,
           "{}: expected a {}-D or {}-D input ({}), got shape {}; use dropout for elementwise "
           "dropout",
           op, spatial + 1, spatial + 2, layout, shape_str(x.shape()));
  const int64_t leading = x.dim() - spatial;
  Dims mask_shape = x.shape();
  for (int64_t d = leading; d < x.dim(); ++d) mask_shape[static_cast<size_t>(d)] = 1;
  return drop(x, mask_shape, p, training, generator);
}

// Alpha dropout with a keep mask of `mask_shape`: a (x m + alpha' (1 - m)) + b' written as
// x (a m) + b with b = alpha' a (m - 1) + alpha' a p (PyTorch's _dropout_impl), where alpha' is
// SELU's negative saturation -scale * alpha and a restores unit variance.
Tensor alpha_drop(const Tensor& x, const Dims& mask_shape, double p, bool training,
                  Generator* generator) {
  if (!training || p == 0.0 || x.numel() == 0) return x;
  if (p == 1.0) return x * 0.0;
  constexpr double kSaturation = 1.7580993408473766;  // SELU's scale * alpha
  const double a = 1.0 / std::sqrt((kSaturation * kSaturation * p + 1.0) * (1.0 - p));
  Tensor scale, shift;
  {
    NoGradGuard no_grad;
    const TensorOptions options(x.dtype(), x.device());
    const Tensor keep = lt(rand(mask_shape, options, generator), 1.0 - p).to(x.dtype());
    scale = keep * a;
    shift = (keep - 1.0) * (kSaturation * a) + kSaturation * a * p;
  }
  return x * scale + shift;
}

}  // namespace

Tensor alpha_dropout(const Tensor& x, double p, bool training, Generator* generator) {
  check_dropout(x, p, "alpha_dropout");
  return alpha_drop(x, x.shape(), p, training, generator);
}

Tensor feature_alpha_dropout(const Tensor& x, double p, bool training, Generator* generator) {
  check_dropout(x, p, "feature_alpha_dropout");
  MG_CHECK(x.dim() >= 2,
           "feature_alpha_dropout: expected an input [N, C, *] of at least 2 dims, got shape {}",
           shape_str(x.shape()));
  Dims mask_shape = x.shape();
  for (int d = 2; d < x.dim(); ++d) mask_shape[d] = 1;
  return alpha_drop(x, mask_shape, p, training, generator);
}

Tensor dropout(const Tensor& x, double p, bool training, Generator* generator) {
  check_dropout(x, p, "dropout");
  return drop(x, x.shape(), p, training, generator);
}

Tensor dropout1d(const Tensor& x, double p, bool training, Generator* generator) {
  return drop_channels(x, p, training, generator, 1, "dropout1d", "[N, C, L] or unbatched [C, L]");
}

Tensor dropout2d(const Tensor& x, double p, bool training, Generator* generator) {
  // PyTorch's dropout2d takes a 3-D input as [N, C, L]: both leading dims draw.
  if (x.defined() && x.dim() == 3) {
    check_dropout(x, p, "dropout2d");
    return drop(x, {x.size(0), x.size(1), 1}, p, training, generator);
  }
  return drop_channels(x, p, training, generator, 2, "dropout2d",
                       "[N, C, H, W], or [N, C, L] as PyTorch");
}

Tensor dropout3d(const Tensor& x, double p, bool training, Generator* generator) {
  return drop_channels(x, p, training, generator, 3, "dropout3d",
                       "[N, C, D, H, W] or unbatched [C, D, H, W]");
}

}  // namespace metagrad
