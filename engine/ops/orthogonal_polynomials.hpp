#pragma once

#include <cstdint>

#include "engine/tensor.hpp"

// torch.special's classical orthogonal polynomials p_n(x): Chebyshev of the four kinds (and their
// shifted forms on [0, 1]), Hermite (physicists' and probabilists'), Laguerre and Legendre.
// Each is evaluated by its three-term recurrence from p_0 = 1, so float32 inputs are evaluated in
// float32 as in PyTorch. The degree n is a tensor broadcast with x (int64, or x's float dtype,
// truncated toward zero as PyTorch's cast does) or an integer; a negative degree gives 0 and, where
// PyTorch's cast turns it into 0, a NaN degree gives NaN. x is a float32/float64 tensor, and the
// result has the broadcast shape, x's dtype and device. Unlike PyTorch, where these have no
// derivative, each is differentiable to every order in x (the recurrence is recorded; the degree
// is not differentiable); the work and, while recording, the saved tensors grow with the largest
// degree, which is limited to 1,000,000.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// T_n(x), the Chebyshev polynomial of the first kind (torch.special.chebyshev_polynomial_t):
/// T_0 = 1, T_1 = x, T_{k+1} = 2x T_k - T_{k-1}; T_n(cos t) = cos(n t).
Tensor chebyshev_polynomial_t(const Tensor& x, const Tensor& n);
/// T_n(x) of one integer degree n.
Tensor chebyshev_polynomial_t(const Tensor& x, int64_t n);
/// U_n(x), of the second kind (torch.special.chebyshev_polynomial_u): U_0 = 1, U_1 = 2x, then as
/// T; U_n(cos t) = sin((n + 1) t) / sin t.
Tensor chebyshev_polynomial_u(const Tensor& x, const Tensor& n);
/// U_n(x) of one integer degree n.
Tensor chebyshev_polynomial_u(const Tensor& x, int64_t n);
/// V_n(x), of the third kind (torch.special.chebyshev_polynomial_v): V_0 = 1, V_1 = 2x - 1, then
/// as T.
Tensor chebyshev_polynomial_v(const Tensor& x, const Tensor& n);
/// V_n(x) of one integer degree n.
Tensor chebyshev_polynomial_v(const Tensor& x, int64_t n);
/// W_n(x), of the fourth kind (torch.special.chebyshev_polynomial_w): W_0 = 1, W_1 = 2x + 1, then
/// as T.
Tensor chebyshev_polynomial_w(const Tensor& x, const Tensor& n);
/// W_n(x) of one integer degree n.
Tensor chebyshev_polynomial_w(const Tensor& x, int64_t n);
/// T*_n(x) = T_n(2x - 1), orthogonal on [0, 1] (torch.special.shifted_chebyshev_polynomial_t).
Tensor shifted_chebyshev_polynomial_t(const Tensor& x, const Tensor& n);
/// T*_n(x) of one integer degree n.
Tensor shifted_chebyshev_polynomial_t(const Tensor& x, int64_t n);
/// U*_n(x) = U_n(2x - 1) (torch.special.shifted_chebyshev_polynomial_u).
Tensor shifted_chebyshev_polynomial_u(const Tensor& x, const Tensor& n);
/// U*_n(x) of one integer degree n.
Tensor shifted_chebyshev_polynomial_u(const Tensor& x, int64_t n);
/// V*_n(x) = V_n(2x - 1) (torch.special.shifted_chebyshev_polynomial_v).
Tensor shifted_chebyshev_polynomial_v(const Tensor& x, const Tensor& n);
/// V*_n(x) of one integer degree n.
Tensor shifted_chebyshev_polynomial_v(const Tensor& x, int64_t n);
/// W*_n(x) = W_n(2x - 1) (torch.special.shifted_chebyshev_polynomial_w).
Tensor shifted_chebyshev_polynomial_w(const Tensor& x, const Tensor& n);
/// W*_n(x) of one integer degree n.
Tensor shifted_chebyshev_polynomial_w(const Tensor& x, int64_t n);
/// H_n(x), the physicists' Hermite polynomial (torch.special.hermite_polynomial_h): H_0 = 1,
/// H_1 = 2x, H_{k+1} = 2x H_k - 2k H_{k-1}.
Tensor hermite_polynomial_h(const Tensor& x, const Tensor& n);
/// H_n(x) of one integer degree n.
Tensor hermite_polynomial_h(const Tensor& x, int64_t n);
/// He_n(x), the probabilists' Hermite polynomial (torch.special.hermite_polynomial_he):
/// He_0 = 1, He_1 = x, He_{k+1} = x He_k - k He_{k-1}.
Tensor hermite_polynomial_he(const Tensor& x, const Tensor& n);
/// He_n(x) of one integer degree n.
Tensor hermite_polynomial_he(const Tensor& x, int64_t n);
/// L_n(x), the Laguerre polynomial (torch.special.laguerre_polynomial_l): L_0 = 1, L_1 = 1 - x,
/// (k + 1) L_{k+1} = (2k + 1 - x) L_k - k L_{k-1}.
Tensor laguerre_polynomial_l(const Tensor& x, const Tensor& n);
/// L_n(x) of one integer degree n.
Tensor laguerre_polynomial_l(const Tensor& x, int64_t n);
/// P_n(x), the Legendre polynomial (torch.special.legendre_polynomial_p): P_0 = 1, P_1 = x,
/// (k + 1) P_{k+1} = (2k + 1) x P_k - k P_{k-1}.
Tensor legendre_polynomial_p(const Tensor& x, const Tensor& n);
/// P_n(x) of one integer degree n.
Tensor legendre_polynomial_p(const Tensor& x, int64_t n);

/// @}
}  // namespace metagrad
