#include <cmath>
#include <limits>
#include <vector>

#include "engine/autograd/custom_function.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/shape.hpp"
#include "implicit/linalg.hpp"

// linalg::solve: a dense LU solve (the backend's partial-pivoting LU) recorded as one
// custom function whose backward is again linalg::solve and matmul, so every order of derivative
// exists.

namespace metagrad::linalg {
namespace {

// x = A⁻¹ b by the backend's LU; singular A (to working precision) is an error.
Tensor lu_solve(const Tensor& a, const Tensor& b) {
  Tensor x = empty(b.shape(), TensorOptions(b.dtype(), b.device()));
  const int64_t n = a.size(0);
  if (n == 0) return x;
  const double rcond =
      backend_for(a.device()).lu_solve(detail::view_of(a), detail::view_of(b), detail::view_of(x));
  const double eps = a.dtype() == kFloat64 ? std::numeric_limits<double>::epsilon()
                                           : std::numeric_limits<float>::epsilon();
  MG_CHECK(rcond > eps,
           "linalg::solve: A [{}, {}] is singular or not finite (reciprocal condition number "
           "{:.3g} in {}); add a ridge term or use an iterative solver",
           n, n, rcond, dtype_name(a.dtype()));
  return x;
}

void check_operands(const Tensor& a, const Tensor& b) {
  MG_CHECK(a.defined() && b.defined(), "linalg::solve: A and b must be defined tensors");
  MG_CHECK(a.dim() == 2 && a.size(0) == a.size(1),
           "linalg::solve: A must be a square matrix [n, n], got shape {}", shape_str(a.shape()));
  MG_CHECK((b.dim() == 1 || b.dim() == 2) && b.size(0) == a.size(0),
           "linalg::solve: b must be [n] or [n, k] with n = {} (A has shape {}), got shape {}",
           a.size(0), shape_str(a.shape()), shape_str(b.shape()));
  MG_CHECK(a.is_floating_point() && a.dtype() == b.dtype(),
           "linalg::solve: A and b must have one float dtype, got {} and {}", dtype_name(a.dtype()),
           dtype_name(b.dtype()));
  MG_CHECK(a.device() == b.device(),
           "linalg::solve: A and b must be on the same device, got {} and {}; move one with "
           ".to(device)",
           a.device().str(), b.device().str());
}

}  // namespace

Tensor solve(const Tensor& A, const Tensor& b) {
  check_operands(A, b);
  const TensorList out = custom_function(
      "LinalgSolve", {A, b},
      [](CustomFunctionContext& ctx, const TensorList& in) {
        Tensor x = lu_solve(in[0], in[1]);
        ctx.save_for_backward({in[0], x});
        return TensorList{x};
      },
      [](CustomFunctionContext& ctx, const TensorList& grads) {
        const TensorList saved = ctx.saved_tensors();
        const Tensor& a = saved[0];
        const Tensor& x = saved[1];
        // x = A⁻¹ b: gb = A⁻ᵀ g, gA = −gb xᵀ.
        const Tensor gb = solve(a.t(), grads[0]);
        Tensor ga;
        if (ctx.needs_input_grad(0)) {
          ga = x.dim() == 1 ? outer(gb, x).neg() : matmul(gb, x.t()).neg();
        }
        return TensorList{ga, ctx.needs_input_grad(1) ? gb : Tensor()};
      });
  return out[0];
}

}  // namespace metagrad::linalg
