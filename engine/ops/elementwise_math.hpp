#pragma once

#include <optional>

#include "engine/tensor.hpp"

// More of torch's elementwise math: trigonometric and hyperbolic functions and their inverses,
// logarithms and exponentials in other bases, the gamma family and the error-function family,
// remainders, and the smooth two-operand functions (atan2, hypot, logaddexp, lerp, xlogy). Each
// keeps shape, dtype and device (two operands broadcast as in engine/ops/binary.hpp and must share
// dtype and device); the differentiable ones take float32/float64 and have derivatives of every
// order, each backward being made of differentiable ops.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// Tangent, elementwise (torch.tan); gradient 1 + tan^2 x.
Tensor tan(const Tensor& x);
/// Arcsine on [-1, 1], NaN outside (torch.asin); gradient 1 / sqrt(1 - x^2).
Tensor asin(const Tensor& x);
/// Arccosine on [-1, 1], NaN outside (torch.acos); gradient -1 / sqrt(1 - x^2).
Tensor acos(const Tensor& x);
/// Arctangent (torch.atan); gradient 1 / (1 + x^2).
Tensor atan(const Tensor& x);
/// Hyperbolic sine (torch.sinh); gradient cosh x.
Tensor sinh(const Tensor& x);
/// Hyperbolic cosine (torch.cosh); gradient sinh x.
Tensor cosh(const Tensor& x);
/// Inverse hyperbolic sine (torch.asinh); gradient 1 / sqrt(x^2 + 1).
Tensor asinh(const Tensor& x);
/// Inverse hyperbolic cosine on [1, inf), NaN below (torch.acosh); gradient 1 / sqrt(x^2 - 1).
Tensor acosh(const Tensor& x);
/// Inverse hyperbolic tangent on [-1, 1] (torch.atanh); gradient 1 / (1 - x^2).
Tensor atanh(const Tensor& x);

/// Base-2 logarithm (torch.log2); gradient 1 / (x ln 2).
Tensor log2(const Tensor& x);
/// Base-10 logarithm (torch.log10); gradient 1 / (x ln 10).
Tensor log10(const Tensor& x);
/// 2^x (torch.exp2); gradient 2^x ln 2.
Tensor exp2(const Tensor& x);
/// 1 / x (torch.reciprocal); gradient -1 / x^2.
Tensor reciprocal(const Tensor& x);
/// log(x / (1 - x)), the inverse of sigmoid (torch.logit). With `eps`, x is first clamped to
/// [eps, 1 - eps] (the gradient is then zero outside that range); eps must lie in [0, 1/2].
Tensor logit(const Tensor& x, std::optional<double> eps = std::nullopt);
/// x - trunc(x), the fractional part with x's sign (torch.frac); gradient 1.
Tensor frac(const Tensor& x);

/// 1 - erf(x), accurate where erf(x) is near 1 (torch.erfc); gradient -2/sqrt(pi) exp(-x^2).
Tensor erfc(const Tensor& x);
/// The inverse error function on [-1, 1]: erf(erfinv(y)) = y, +-inf at +-1, NaN outside
/// (torch.erfinv); gradient sqrt(pi)/2 exp(erfinv(y)^2).
Tensor erfinv(const Tensor& x);
/// log |Gamma(x)|, +inf at 0, -1, -2, ... (torch.lgamma); gradient digamma(x).
Tensor lgamma(const Tensor& x);
/// digamma(x) = d/dx lgamma(x), -inf/+inf at +0/-0 and NaN at negative integers (torch.digamma);
/// gradient polygamma(1, x).
Tensor digamma(const Tensor& x);
/// The n-th derivative of digamma (torch.polygamma; n = 0 is digamma). n must lie in [0, 170]
/// (n! overflows double beyond it); gradient polygamma(n + 1, x).
Tensor polygamma(int64_t n, const Tensor& x);

/// The angle of the point (other, input) in (-pi, pi] (torch.atan2(input, other)); gradients
/// other / (input^2 + other^2) and -input / (input^2 + other^2).
Tensor atan2(const Tensor& input, const Tensor& other);
/// sqrt(a^2 + b^2) without overflow or underflow in the squares (torch.hypot); gradients a / h and
/// b / h.
Tensor hypot(const Tensor& a, const Tensor& b);
/// a - b floor(a / b): the remainder with the sign of b, as Python's % (torch.remainder). Float or
/// int64 operands; an int64 divisor of 0 throws. Gradients 1 and -floor(a / b).
Tensor remainder(const Tensor& a, const Tensor& b);
/// The same with a number for `b`.
Tensor remainder(const Tensor& a, double b);
/// a - b trunc(a / b): the remainder with the sign of a, as C's fmod (torch.fmod). Float or int64
/// operands; an int64 divisor of 0 throws. Gradients 1 and -trunc(a / b).
Tensor fmod(const Tensor& a, const Tensor& b);
/// The same with a number for `b`.
Tensor fmod(const Tensor& a, double b);
/// log(e^a + e^b) without overflow (torch.logaddexp); gradients e^a / (e^a + e^b) and
/// e^b / (e^a + e^b), one half each where a == b.
Tensor logaddexp(const Tensor& a, const Tensor& b);
/// log2(2^a + 2^b) without overflow (torch.logaddexp2).
Tensor logaddexp2(const Tensor& a, const Tensor& b);
/// start + weight (end - start), computed as PyTorch does (from `end` when |weight| >= 1/2, so
/// lerp(a, b, 1) == b exactly) (torch.lerp); gradients 1 - weight, weight and end - start.
Tensor lerp(const Tensor& start, const Tensor& end, const Tensor& weight);
/// The same with a number for `weight`.
Tensor lerp(const Tensor& start, const Tensor& end, double weight);
/// x log(y), 0 where x == 0 unless y is NaN (torch.xlogy); gradients log(y) (0 where x == 0 and
/// y <= 0) and x / y.
Tensor xlogy(const Tensor& x, const Tensor& y);

/// @}

}  // namespace metagrad
