// Logarithms and exponentials in other bases, reciprocal, logit, frac, and the error-function and
// gamma families. The gamma family's backwards climb polygamma's orders, so lgamma has derivatives
// of every order (up to polygamma's largest order).
#include <cmath>
#include <numbers>

#include "engine/backend/special_functions.hpp"
#include "engine/ops/elementwise_math.hpp"
#include "engine/ops/unary_support.hpp"

namespace metagrad {

using detail::unary_with_input;
using detail::unary_with_output;

Tensor log2(const Tensor& x) {
  // d log2 x = dx / (x ln 2)
  return unary_with_input(
      UnaryOp::Log2, x, "log2", "Log2Backward",
      [](const Tensor& g, const Tensor& in) { return g / (in * std::numbers::ln2); });
}

Tensor log10(const Tensor& x) {
  // d log10 x = dx / (x ln 10)
  return unary_with_input(
      UnaryOp::Log10, x, "log10", "Log10Backward",
      [](const Tensor& g, const Tensor& in) { return g / (in * std::numbers::ln10); });
}

Tensor exp2(const Tensor& x) {
  detail::check_floating(x, "exp2");
  return pow(2.0, x);
}

Tensor reciprocal(const Tensor& x) {
  detail::check_floating(x, "reciprocal");
  return div(1.0, x);
}

Tensor logit(const Tensor& x, std::optional<double> eps) {
  detail::check_floating(x, "logit");
  if (!eps) return log(x / (1.0 - x));
  MG_CHECK(*eps >= 0.0 && *eps <= 0.5,
           "logit: eps must lie in [0, 0.5] (x is clamped to [eps, 1 - eps]), got {}", *eps);
  const Tensor clamped = clamp(x, *eps, 1.0 - *eps);
  return log(clamped / (1.0 - clamped));
}

Tensor frac(const Tensor& x) {
  detail::check_floating(x, "frac");
  return x - trunc(x);
}

Tensor erfc(const Tensor& x) {
  // d erfc x = -2/sqrt(pi) exp(-x^2) dx
  return unary_with_input(UnaryOp::Erfc, x, "erfc", "ErfcBackward",
                          [](const Tensor& g, const Tensor& in) {
                            return g * exp(-square(in)) * (-2.0 / std::sqrt(std::numbers::pi));
                          });
}

Tensor erfinv(const Tensor& x) {
  // d erfinv y = sqrt(pi)/2 exp(erfinv(y)^2) dy
  return unary_with_output(UnaryOp::Erfinv, x, "erfinv", "ErfinvBackward",
                           [](const Tensor& g, const Tensor& y) {
                             return g * exp(square(y)) * (std::sqrt(std::numbers::pi) / 2.0);
                           });
}

Tensor lgamma(const Tensor& x) {
  // d lgamma x = digamma x dx
  return unary_with_input(UnaryOp::Lgamma, x, "lgamma", "LgammaBackward",
                          [](const Tensor& g, const Tensor& in) { return g * digamma(in); });
}

Tensor digamma(const Tensor& x) {
  // d digamma x = polygamma(1, x) dx
  return unary_with_input(UnaryOp::Digamma, x, "digamma", "DigammaBackward",
                          [](const Tensor& g, const Tensor& in) { return g * polygamma(1, in); });
}

Tensor polygamma(int64_t n, const Tensor& x) {
  MG_CHECK(n >= 0 && n <= special::kMaxPolygammaOrder,
           "polygamma: the order n must lie in [0, {}] (n! overflows double beyond it), got {}",
           special::kMaxPolygammaOrder, n);
  detail::check_floating(x, "polygamma");
  if (n == 0) return digamma(x);
  // d polygamma(n, x) = polygamma(n + 1, x) dx
  return unary_with_input(
      UnaryOp::Polygamma, x, "polygamma", "PolygammaBackward",
      [n](const Tensor& g, const Tensor& in) { return g * polygamma(n + 1, in); },
      UnaryParams{static_cast<double>(n), 0, 0});
}

}  // namespace metagrad
