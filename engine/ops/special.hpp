#pragma once

#include <cstdint>

#include "engine/tensor.hpp"

// torch.special's functions that the rest of the op set lacks: the modified Bessel functions I0,
// I1, K0 and K1 (and their exponentially scaled forms), the spherical Bessel function j0, the
// normal distribution's CDF, log-CDF and quantile, the scaled complementary error function, sinc,
// entr, xlog1py, the multivariate log-gamma, the regularized incomplete gamma functions and the
// Hurwitz zeta function. Each keeps shape, dtype and device, takes float32/float64 tensors and has
// derivatives of every order (each backward made of differentiable ops; zeta's in q only); values
// are computed in double, so float32 results are the double results rounded. The two-operand ones
// broadcast.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// I0(x), the modified Bessel function of the first kind of order 0 (torch.i0); d/dx = I1(x).
Tensor i0(const Tensor& x);
/// e^-|x| I0(x) (torch.special.i0e); d/dx = i1e(x) - sign(x) i0e(x).
Tensor i0e(const Tensor& x);
/// I1(x), of order 1 (torch.special.i1); d/dx = I0(x) - I1(x) / x (1/2 at 0).
Tensor i1(const Tensor& x);
/// e^-|x| I1(x) (torch.special.i1e); d/dx = i0e(x) - i1e(x) (sign(x) + 1 / x) (1/2 at 0).
Tensor i1e(const Tensor& x);
/// I0(x) (torch.special.modified_bessel_i0), the same as i0.
Tensor modified_bessel_i0(const Tensor& x);
/// I1(x) (torch.special.modified_bessel_i1), the same as i1.
Tensor modified_bessel_i1(const Tensor& x);
/// K0(x), the modified Bessel function of the second kind of order 0
/// (torch.special.modified_bessel_k0): +inf at 0, NaN below; d/dx = -K1(x).
Tensor modified_bessel_k0(const Tensor& x);
/// K1(x), of order 1 (torch.special.modified_bessel_k1): +inf at 0, NaN below;
/// d/dx = -K0(x) - K1(x) / x.
Tensor modified_bessel_k1(const Tensor& x);
/// e^x K0(x) (torch.special.scaled_modified_bessel_k0), finite where K0 underflows;
/// d/dx = k0e(x) - k1e(x).
Tensor scaled_modified_bessel_k0(const Tensor& x);
/// e^x K1(x) (torch.special.scaled_modified_bessel_k1); d/dx = k1e(x) (1 - 1 / x) - k0e(x).
Tensor scaled_modified_bessel_k1(const Tensor& x);
/// sin(x) / x, 1 at 0 (torch.special.spherical_bessel_j0): its Taylor polynomial (degree 18)
/// below |x| = 0.5, so that every derivative is exact at 0.
Tensor spherical_bessel_j0(const Tensor& x);
/// J0(x), the Bessel function of the first kind of order 0 (torch.special.bessel_j0), even in x;
/// 0 at +-inf (where PyTorch gives NaN); d/dx = -J1(x).
Tensor bessel_j0(const Tensor& x);
/// J1(x), of order 1 (torch.special.bessel_j1), odd in x; d/dx = J0(x) - J1(x) / x (1/2 at 0).
Tensor bessel_j1(const Tensor& x);
/// Y0(x), the Bessel function of the second kind of order 0 (torch.special.bessel_y0): -inf at
/// 0, NaN below; d/dx = -Y1(x).
Tensor bessel_y0(const Tensor& x);
/// Y1(x), of order 1 (torch.special.bessel_y1): -inf at 0, NaN below;
/// d/dx = Y0(x) - Y1(x) / x.
Tensor bessel_y1(const Tensor& x);
/// e^(x^2) erfc(x) (torch.special.erfcx), finite where erfc underflows;
/// d/dx = 2x erfcx(x) - 2 / sqrt(pi).
Tensor erfcx(const Tensor& x);
/// Phi(x) = erfc(-x / sqrt 2) / 2, the standard normal CDF (torch.special.ndtr);
/// d/dx = e^(-x^2 / 2) / sqrt(2 pi).
Tensor ndtr(const Tensor& x);
/// log Phi(x) (torch.special.log_ndtr), accurate where Phi underflows (through erfcx below -1);
/// d/dx = sqrt(2 / pi) / erfcx(-x / sqrt 2).
Tensor log_ndtr(const Tensor& x);
/// The x with Phi(x) = p (torch.special.ndtri): -inf at 0, +inf at 1, NaN outside [0, 1];
/// d/dp = sqrt(2 pi) e^(x^2 / 2).
Tensor ndtri(const Tensor& p);
/// sin(pi x) / (pi x), 1 at 0 (torch.sinc); d/dx = (cos(pi x) - sinc(x)) / x, 0 at 0.
Tensor sinc(const Tensor& x);
/// -x log(x) for x > 0, 0 at 0, -inf below (torch.special.entr); d/dx = -(log(x) + 1).
Tensor entr(const Tensor& x);
/// x log1p(y), 0 where x == 0 unless y is NaN (torch.special.xlog1py); gradients log1p(y) and
/// x / (1 + y).
Tensor xlog1py(const Tensor& x, const Tensor& y);
/// The log of the multivariate gamma function of dimension p: p (p - 1) / 4 log(pi)
/// + sum_{j<p} lgamma(x - j / 2) (torch.special.multigammaln, torch.mvlgamma); p >= 1 and every
/// x > (p - 1) / 2 (throws otherwise, as PyTorch's).
Tensor multigammaln(const Tensor& x, int64_t p);
/// P(a, x) = gamma(a, x) / Gamma(a), the regularized lower incomplete gamma function
/// (torch.special.gammainc, torch.igamma), for a >= 0, x >= 0 (NaN elsewhere), with PyTorch's
/// values at the edges (0 at x = 0, 1 at a = 0 < x). d/dx = x^(a-1) e^-x / Gamma(a) (1 at a = 1,
/// x = 0, where PyTorch's formula gives NaN); d/da = -x^(a-1) e^-x / Gamma(a) times the series
/// of Note [implicit gamma gradient], which PyTorch does not implement: accurate to about 1e-15
/// absolute, 0 at x = 0, and summed over (x - a)^+ + 9 sqrt(x) + 40 whole-tensor terms.
Tensor gammainc(const Tensor& a, const Tensor& x);
/// Q(a, x) = 1 - P(a, x), the regularized upper incomplete gamma function
/// (torch.special.gammaincc, torch.igammac), computed directly where it is the smaller one (so
/// tails far below 1e-16 keep their digits); gradients those of gammainc, negated.
Tensor gammaincc(const Tensor& a, const Tensor& x);
/// torch.igamma, the same as gammainc.
Tensor igamma(const Tensor& a, const Tensor& x);
/// torch.igammac, the same as gammaincc.
Tensor igammac(const Tensor& a, const Tensor& x);
/// The Hurwitz zeta function zeta(x, q) = sum_{k>=0} (q + k)^-x (torch.special.zeta): +inf at
/// x = 1 and NaN below, +inf at q = 0, -1, -2, ..., NaN at other q < 0 unless x is whole.
/// d/dq = -x zeta(x + 1, q); the derivative in x is not implemented (nor in PyTorch): a
/// backward that reaches x throws, naming the remedy.
Tensor zeta(const Tensor& x, const Tensor& q);

/// @}
}  // namespace metagrad
