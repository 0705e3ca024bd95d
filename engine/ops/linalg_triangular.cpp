#include <limits>
#include <vector>

#include "engine/autograd/custom_function.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"
#include "engine/ops/dense_linalg.hpp"
#include "engine/ops/linalg_support.hpp"
#include "engine/ops/op_support.hpp"

// Triangular factors and what is built on them: solve_triangular (a custom function over the
// backend's triangular solve), cholesky (over the backend's factorization), and cholesky_solve and
// cholesky_inverse composed of triangular solves.
namespace metagrad::linalg {
namespace {

using detail::mT;

// X = A⁻¹ B for triangular A [*, n, n] and B [*, n, k] of one batch shape.
Tensor solve_triangular_left(const Tensor& A, const Tensor& B, bool upper, bool unitriangular) {
  const TensorList out = custom_function(
      "LinalgSolveTriangular", {A, B},
      [upper, unitriangular](CustomFunctionContext& ctx, const TensorList& in) {
        const int64_t n = in[0].size(-1), k = in[1].size(-1);
        const int64_t count = numel_of(detail::batch_shape(in[0]));
        const Tensor a = in[0].contiguous().reshape({count, n, n});
        const Tensor b = in[1].contiguous().reshape({count, n, k});
        Tensor x = empty({count, n, k}, TensorOptions(b.dtype(), b.device()));
        if (count > 0 && n > 0 && k > 0) {
          metagrad::detail::backend_of(a).triangular_solve(
              metagrad::detail::view_of(a), metagrad::detail::view_of(b),
              metagrad::detail::view_of(x), upper, unitriangular);
        }
        x = x.reshape(in[1].shape());
        ctx.save_for_backward({in[0], x});
        return TensorList{x};
      },
      [upper, unitriangular](CustomFunctionContext& ctx, const TensorList& grads) {
        const TensorList saved = ctx.saved_tensors();
        // X = A⁻¹ B: gB = A⁻ᵀ g; gA = −gB Xᵀ on A's triangle (off the diagonal if unit).
        const Tensor gb = solve_triangular_left(mT(saved[0]), grads[0], !upper, unitriangular);
        Tensor ga;
        if (ctx.needs_input_grad(0)) {
          const Tensor full_grad = matmul(gb, mT(saved[1])).neg();
          ga = upper ? triu(full_grad, unitriangular ? 1 : 0)
                     : tril(full_grad, unitriangular ? -1 : 0);
        }
        return TensorList{ga, ctx.needs_input_grad(1) ? gb : Tensor()};
      });
  return out[0];
}

// L with A = L Lᵀ, reading A's lower triangle, and the status of each matrix (int64, A's batch
// shape). A failure throws with `check_errors`, else its factor is NaN.
TensorList cholesky_lower(const Tensor& A, bool check_errors) {
  return custom_function(
      "LinalgCholesky", {A},
      [check_errors](CustomFunctionContext& ctx, const TensorList& in) {
        const int64_t n = in[0].size(-1);
        const Dims batch = detail::batch_shape(in[0]);
        detail::Factorization factor =
            detail::factorize(Decomposition::Cholesky, in[0], {{n, n}}, {in[0].dtype()});
        const int64_t failed = detail::first_failure(factor.info);
        const std::vector<double> statuses(factor.info.begin(), factor.info.end());
        const Tensor info = tensor(statuses, batch, TensorOptions(kInt64, in[0].device()));
        if (failed >= 0 && !check_errors) {
          const Tensor failures = ne(info, 0.0).unsqueeze(-1).unsqueeze(-1);
          factor.factors[0] =
              where(failures, std::numeric_limits<double>::quiet_NaN(), factor.factors[0]);
        }
        MG_CHECK(failed < 0 || !check_errors,
                 "linalg::cholesky: the input{} is not positive-definite (its leading minor of "
                 "order {} is not positive-definite, or not finite); A must be symmetric positive "
                 "definite: add a multiple of the identity, or factorize A Aᵀ + eps I",
                 detail::batch_element(detail::batch_shape(in[0]), failed),
                 failed < 0 ? 0 : factor.info[failed]);
        ctx.save_for_backward({factor.factors[0]});
        return TensorList{factor.factors[0], info};
      },
      [](CustomFunctionContext& ctx, const TensorList& grads) {
        const Tensor L = ctx.saved_tensors()[0];
        // gA = L⁻ᵀ Φ(Lᵀ gL) L⁻¹ with Φ the lower triangle and half its diagonal, mirrored so
        // that gA is symmetric (tril(Lᵀ gL) needs only gL's lower triangle).
        Tensor ga = tril(matmul(mT(L), grads[0]));
        ga = 0.5 * (ga + mT(tril(ga, -1)));
        ga = solve_triangular(mT(L), ga, /*upper=*/true, /*left=*/true);
        return TensorList{solve_triangular(L, ga, /*upper=*/false, /*left=*/false)};
      });
}

}  // namespace

Tensor solve_triangular(const Tensor& A, const Tensor& B, bool upper, bool left,
                        bool unitriangular) {
  constexpr const char* kOp = "linalg::solve_triangular";
  detail::check_square(A, kOp);
  detail::check_operand_pair(A, B, kOp);
  const int64_t n = A.size(-1);
  MG_CHECK(B.dim() >= 2 && B.size(left ? -2 : -1) == n,
           "linalg::solve_triangular: B must be [*, n, k] (left = true) or [*, k, n] (left = "
           "false) with n = {} (A has shape {}), got shape {} with left = {}",
           n, shape_str(A.shape()), shape_str(B.shape()), left);
  const Dims batch = broadcast_shapes(detail::batch_shape(A), detail::batch_shape(B), kOp);
  const Tensor a = A.expand(detail::concat_shape(batch, {n, n}));
  const Tensor b = B.expand(detail::concat_shape(batch, {B.size(-2), B.size(-1)}));
  if (left) return solve_triangular_left(a, b, upper, unitriangular);
  // X A = B  ⇔  Aᵀ Xᵀ = Bᵀ, and Aᵀ has the other triangle.
  return mT(solve_triangular_left(mT(a), mT(b), !upper, unitriangular));
}

Tensor cholesky(const Tensor& A, bool upper) {
  detail::check_square(A, "linalg::cholesky");
  // The upper factor reads A's upper triangle: U = Lᵀ for the lower factor L of Aᵀ.
  return upper ? mT(cholesky_lower(mT(A), true)[0]) : cholesky_lower(A, true)[0];
}

CholeskyExResult cholesky_ex(const Tensor& A, bool upper) {
  detail::check_square(A, "linalg::cholesky_ex");
  if (!upper) {
    const TensorList out = cholesky_lower(A, false);
    return {out[0], out[1]};
  }
  const TensorList out = cholesky_lower(mT(A), false);
  return {mT(out[0]), out[1]};
}

}  // namespace metagrad::linalg

namespace metagrad {

Tensor cholesky_solve(const Tensor& B, const Tensor& L, bool upper) {
  linalg::detail::check_square(L, "cholesky_solve");
  linalg::detail::check_operand_pair(L, B, "cholesky_solve");
  MG_CHECK(
      B.dim() >= 2 && B.size(-2) == L.size(-1),
      "cholesky_solve: B must be [*, n, k] with n = {} (the factor has shape {}), got shape {}",
      L.size(-1), shape_str(L.shape()), shape_str(B.shape()));
  // A = L Lᵀ: X = L⁻ᵀ (L⁻¹ B); A = Uᵀ U: X = U⁻¹ (U⁻ᵀ B).
  const Tensor lower = upper ? linalg::detail::mT(L) : L;
  const Tensor y = linalg::solve_triangular(lower, B, /*upper=*/false);
  return linalg::solve_triangular(linalg::detail::mT(lower), y, /*upper=*/true);
}

Tensor cholesky_inverse(const Tensor& L, bool upper) {
  linalg::detail::check_square(L, "cholesky_inverse");
  const int64_t n = L.size(-1);
  return cholesky_solve(eye(n, n, TensorOptions(L.dtype(), L.device())).expand(L.shape()), L,
                        upper);
}

}  // namespace metagrad
