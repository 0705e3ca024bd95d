// tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh: one backend call each, backwards made of
// differentiable ops.
#include "engine/ops/elementwise_math.hpp"
#include "engine/ops/unary_support.hpp"

namespace metagrad {

using detail::unary_with_input;
using detail::unary_with_output;

Tensor tan(const Tensor& x) {
  // d tan x = (1 + tan^2 x) dx
  return unary_with_output(UnaryOp::Tan, x, "tan", "TanBackward",
                           [](const Tensor& g, const Tensor& y) { return g * (square(y) + 1.0); });
}

Tensor asin(const Tensor& x) {
  // d asin x = dx / sqrt(1 - x^2)
  return unary_with_input(
      UnaryOp::Asin, x, "asin", "AsinBackward",
      [](const Tensor& g, const Tensor& in) { return g * rsqrt(1.0 - square(in)); });
}

Tensor acos(const Tensor& x) {
  // d acos x = -dx / sqrt(1 - x^2)
  return unary_with_input(
      UnaryOp::Acos, x, "acos", "AcosBackward",
      [](const Tensor& g, const Tensor& in) { return -(g * rsqrt(1.0 - square(in))); });
}

Tensor atan(const Tensor& x) {
  // d atan x = dx / (1 + x^2)
  return unary_with_input(UnaryOp::Atan, x, "atan", "AtanBackward",
                          [](const Tensor& g, const Tensor& in) { return g / (square(in) + 1.0); });
}

Tensor sinh(const Tensor& x) {
  // d sinh x = cosh x dx
  return unary_with_input(UnaryOp::Sinh, x, "sinh", "SinhBackward",
                          [](const Tensor& g, const Tensor& in) { return g * cosh(in); });
}

Tensor cosh(const Tensor& x) {
  // d cosh x = sinh x dx
  return unary_with_input(UnaryOp::Cosh, x, "cosh", "CoshBackward",
                          [](const Tensor& g, const Tensor& in) { return g * sinh(in); });
}

Tensor asinh(const Tensor& x) {
  // d asinh x = dx / sqrt(x^2 + 1)
  return unary_with_input(
      UnaryOp::Asinh, x, "asinh", "AsinhBackward",
      [](const Tensor& g, const Tensor& in) { return g * rsqrt(square(in) + 1.0); });
}

Tensor acosh(const Tensor& x) {
  // d acosh x = dx / sqrt(x^2 - 1)
  return unary_with_input(
      UnaryOp::Acosh, x, "acosh", "AcoshBackward",
      [](const Tensor& g, const Tensor& in) { return g * rsqrt(square(in) - 1.0); });
}

Tensor atanh(const Tensor& x) {
  // d atanh x = dx / (1 - x^2)
  return unary_with_input(UnaryOp::Atanh, x, "atanh", "AtanhBackward",
                          [](const Tensor& g, const Tensor& in) { return g / (1.0 - square(in)); });
}

}  // namespace metagrad
