#pragma once

#include <cstdint>

#include "engine/tensor.hpp"

// torch.special's functions that the rest of the op set lacks: the modified Bessel functions I0
// and I1 (and their exponentially scaled forms), the normal distribution's CDF, log-CDF and
// quantile, the scaled complementary error function, sinc, entr, xlog1py and the multivariate
// log-gamma. Each keeps shape, dtype and device, takes float32/float64 tensors and has derivatives
// of every order (each backward made of differentiable ops); values are computed in double, so
// float32 results are the double results rounded.
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

/// @}
}  // namespace metagrad
