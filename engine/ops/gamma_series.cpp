// The derivative of the regularized lower incomplete gamma function in its order a, as a series
// of differentiable ops: the implicit gradient of gamma draws and gammainc's gradient in a.
//
// Note [implicit gamma gradient]
// A draw x = F^-1(u; a) of Gamma(a, 1) with u held fixed moves as dx/da = -(dF/da)(x; a) / f(x; a)
// (implicit reparameterization, Figurnov et al. 2018), f the density x^(a-1) e^-x / Gamma(a).
// With the series F(x; a) = x^a e^-x sum_n x^n / Gamma(a + n + 1) this is
//   dx/da = sum_{n>=0} c_n (digamma(a + n + 1) - log x),  c_n = prod_{k=0..n} x / (a + k),
// where digamma(a + n + 1) = digamma(a + n) + 1 / (a + n). The terms grow while a + n < x and
// then fall faster than geometrically (log c_n drops like -(n - (x - a))^2 / 2x), so
// (x - a)^+ + 9 sqrt(x) + 40 terms leave a remainder below 1e-17 of the sum. The sum runs in
// float64 in differentiable ops, so the draw has derivatives of every order in a: the second
// comes from differentiating this sum, with x itself a draw that depends on a.
#include "engine/ops/gamma_series.hpp"

#include <cmath>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"

namespace metagrad::detail {
namespace {

// The number of series terms Note [implicit gamma gradient] needs for every (x, a) pair.
int64_t gamma_series_terms(const Tensor& x, const Tensor& a) {
  NoGradGuard no_grad;
  const double longest = max(relu(x - a) + 9.0 * sqrt(x)).item<double>();
  return static_cast<int64_t>(std::ceil(longest)) + 40;
}

}  // namespace

Tensor standard_gamma_grad(const Tensor& x, const Tensor& concentration) {
  if (x.numel() == 0) return zeros_like(x);
  const Tensor x64 = x.to(kFloat64), a64 = concentration.to(kFloat64);
  const int64_t terms = gamma_series_terms(x64, a64);
  const Tensor log_x = log(x64);
  Tensor term_factor = x64 / a64;               // c_0
  Tensor digamma_shifted = digamma(a64 + 1.0);  // digamma(a + n + 1) at n = 0
  Tensor total = term_factor * (digamma_shifted - log_x);
  for (int64_t n = 1; n < terms; ++n) {
    const Tensor shifted = a64 + static_cast<double>(n);
    term_factor = term_factor * (x64 / shifted);
    digamma_shifted = digamma_shifted + reciprocal(shifted);
    total = total + term_factor * (digamma_shifted - log_x);
  }
  return total.to(x.dtype());
}

}  // namespace metagrad::detail
