#pragma once

#include <optional>

#include "engine/tensor.hpp"

// Elementwise functions of one tensor. All keep shape, dtype and device; the differentiable ones
// require float32/float64 and have derivatives of every order.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// -x. Not defined for bool tensors (use logical_not).
Tensor neg(const Tensor& x);
/// |x|; gradient sign(x) (0 at 0, as PyTorch).
Tensor abs(const Tensor& x);
/// -1, 0 or 1; gradient zero.
Tensor sign(const Tensor& x);
/// e^x elementwise.
Tensor exp(const Tensor& x);
/// Natural logarithm, elementwise.
Tensor log(const Tensor& x);
/// log(1 + x), accurate near 0.
Tensor log1p(const Tensor& x);
/// Square root, elementwise.
Tensor sqrt(const Tensor& x);
/// 1 / sqrt(x).
Tensor rsqrt(const Tensor& x);
/// x * x.
Tensor square(const Tensor& x);
/// Sine, elementwise.
Tensor sin(const Tensor& x);
/// Cosine, elementwise.
Tensor cos(const Tensor& x);
/// Hyperbolic tangent, elementwise.
Tensor tanh(const Tensor& x);
/// 1 / (1 + exp(-x)).
Tensor sigmoid(const Tensor& x);
/// max(x, 0); gradient 1 where x > 0, else 0.
Tensor relu(const Tensor& x);
/// min(max(x, min), max); gradient passes where min <= x <= max.
Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max);
/// x ^ exponent (scalar exponent).
Tensor pow(const Tensor& x, double exponent);
/// base ^ x (scalar base).
Tensor pow(double base, const Tensor& x);
/// Replaces NaN by `nan`, +inf by `posinf` and -inf by `neginf` (defaults: the dtype's largest
/// and lowest finite values). Gradient passes where x is finite, else zero.
Tensor nan_to_num(const Tensor& x, double nan = 0.0, std::optional<double> posinf = std::nullopt,
                  std::optional<double> neginf = std::nullopt);
/// The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt; gradient
/// 2/sqrt(pi) exp(-x^2).
Tensor erf(const Tensor& x);
/// e^x - 1, accurate near 0; gradient e^x.
Tensor expm1(const Tensor& x);
/// Largest integral value <= x. Integer tensors come back as copies; bool throws. Gradient zero.
Tensor floor(const Tensor& x);
/// Smallest integral value >= x. Integer tensors come back as copies. Gradient zero.
Tensor ceil(const Tensor& x);
/// Nearest integral value, ties to even (round(2.5) = 2, as PyTorch). Integer tensors come back
/// as copies. Gradient zero.
Tensor round(const Tensor& x);
/// x with its fractional part dropped (toward 0). Integer tensors come back as copies. Gradient
/// zero.
Tensor trunc(const Tensor& x);
/// Bool tensor: x is finite. Not differentiable.
Tensor isfinite(const Tensor& x);
/// Bool tensor: x is NaN. Not differentiable.
Tensor isnan(const Tensor& x);
/// Bool tensor: !x (x converted to bool). Not differentiable.
Tensor logical_not(const Tensor& x);

/// neg(x).
Tensor operator-(const Tensor& x);

/// @}

}  // namespace metagrad
