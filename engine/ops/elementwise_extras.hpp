#pragma once

#include <cstdint>
#include <optional>

#include "engine/tensor.hpp"

// Small torch functions composed of existing ops: copysign, heaviside, rad2deg, deg2rad,
// logspace, vander, aminmax and renorm. Dtype and device follow the inputs; the float ones have
// derivatives of every order.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// |a| with the sign of b, -0.0 counting as negative (torch.copysign); a and b broadcast, float
/// tensors. The gradient to a is sign(a) copysign(1, b) (0 at a = 0); b gets none.
Tensor copysign(const Tensor& a, const Tensor& b);
/// The step function (torch.heaviside): 0 where x < 0, 1 where x > 0, `values` where x == 0
/// (broadcast); 0 for NaN, as PyTorch's. Not differentiable.
Tensor heaviside(const Tensor& x, const Tensor& values);
/// x * 180 / pi (torch.rad2deg).
Tensor rad2deg(const Tensor& x);
/// x * pi / 180 (torch.deg2rad).
Tensor deg2rad(const Tensor& x);
/// base^linspace(start, end, steps) (torch.logspace): `steps` values evenly spaced in exponent;
/// float dtype (float32 unless `options` says otherwise).
Tensor logspace(double start, double end, int64_t steps, double base = 10.0,
                TensorOptions options = {});
/// The Vandermonde matrix of a 1-D x (torch.vander): columns x^(N-1), ..., x^1, x^0 (or
/// x^0, ..., x^(N-1) when increasing), N = `columns` (the length of x when unset), made by
/// running products, so a 0 in x differentiates cleanly.
Tensor vander(const Tensor& x, std::optional<int64_t> columns = std::nullopt,
              bool increasing = false);

/// The minimum and the maximum of torch.aminmax.
struct MinMax {
  Tensor min;  ///< amin over the reduced dims
  Tensor max;  ///< amax over the reduced dims
};

/// amin and amax of x over every dim, or over `dim` (torch.aminmax); keepdim keeps the reduced
/// dim as size 1. Throws for an empty x.
MinMax aminmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
/// x with each slice along `dim` whose p-norm exceeds maxnorm scaled to maxnorm, as PyTorch's
/// maxnorm / (norm + 1e-7) (torch.renorm); p > 0, maxnorm >= 0.
Tensor renorm(const Tensor& x, double p, int64_t dim, double maxnorm);

/// @}
}  // namespace metagrad
