#include <cmath>
#include <limits>
#include <vector>

#include "engine/autograd/custom_function.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"
#include "engine/ops/dense_linalg.hpp"
#include "engine/ops/linalg_support.hpp"
#include "engine/ops/op_support.hpp"

// The LU family of torch.linalg: solve, inv, det, slogdet and logdet. solve is one
// custom function over the backend's LU solve, whose backward is again solve and matmul; inv is a
// solve against the identity; det and slogdet read the LU factors and differentiate through inv.
namespace metagrad::linalg {
namespace {

using detail::batch_element;
using detail::mT;

// X = A⁻¹ B for A [C, n, n] and B [C, n, k] (contiguous, one batch), matrix by matrix with the
// backend's LU; a singular A (to working precision) is an error naming `op`.
Tensor lu_solve_batch(const Tensor& a, const Tensor& b, const char* op, const Dims& batch) {
  Tensor x = empty(b.shape(), TensorOptions(b.dtype(), b.device()));
  const int64_t count = a.size(0), n = a.size(1);
  if (n == 0) return x;
  const double eps = a.dtype() == kFloat64 ? std::numeric_limits<double>::epsilon()
                                           : std::numeric_limits<float>::epsilon();
  Backend& backend = metagrad::detail::backend_of(a);
  for (int64_t i = 0; i < count; ++i) {
    const Tensor xi = x.select(0, i);
    const double rcond =
        backend.lu_solve(metagrad::detail::view_of(a.select(0, i)),
                         metagrad::detail::view_of(b.select(0, i)), metagrad::detail::view_of(xi));
    MG_CHECK(rcond > eps,
             "{}: A [{}, {}]{} is singular or not finite (reciprocal condition number {:.3g} in "
             "{}); add a ridge term or use an iterative solver",
             op, n, n, batch_element(batch, i), rcond, dtype_name(a.dtype()));
  }
  return x;
}

// solve for A [*, n, n] and B [*, n, k] of one batch shape.
Tensor solve_matrices(const Tensor& A, const Tensor& B, const char* op) {
  const Dims batch = detail::batch_shape(A);
  const int64_t count = numel_of(batch);
  const int64_t n = A.size(-1), k = B.size(-1);
  const TensorList out = custom_function(
      "LinalgSolve", {A, B},
      [op, batch, count, n, k](CustomFunctionContext& ctx, const TensorList& in) {
        const Tensor a = in[0].contiguous().reshape({count, n, n});
        const Tensor b = in[1].contiguous().reshape({count, n, k});
        Tensor x = lu_solve_batch(a, b, op, batch).reshape(in[1].shape());
        ctx.save_for_backward({in[0], x});
        return TensorList{x};
      },
      [op](CustomFunctionContext& ctx, const TensorList& grads) {
        const TensorList saved = ctx.saved_tensors();
        // X = A⁻¹ B: gB = A⁻ᵀ g, gA = −gB Xᵀ.
        const Tensor gb = solve_matrices(mT(saved[0]), grads[0], op);
        const Tensor ga = ctx.needs_input_grad(0) ? matmul(gb, mT(saved[1])).neg() : Tensor();
        return TensorList{ga, ctx.needs_input_grad(1) ? gb : Tensor()};
      });
  return out[0];
}

// The LU factors of A [*, n, n]: the combined factor and the permutation rows (history-free).
detail::Factorization lu_factors(const Tensor& A) {
  const int64_t n = A.size(-1);
  return detail::factorize(Decomposition::Lu, A, {{n, n}, {n}}, {A.dtype(), kInt64});
}

// The sign of each permutation in `rows` ([count × n] flat): (-1)^(n - number of cycles).
std::vector<double> permutation_signs(const std::vector<int64_t>& rows, int64_t count, int64_t n) {
  std::vector<double> signs(count, 1.0);
  std::vector<char> seen(n);
  for (int64_t b = 0; b < count; ++b) {
    const int64_t* perm = rows.data() + b * n;
    std::fill(seen.begin(), seen.end(), 0);
    int64_t cycles = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (seen[i]) continue;
      ++cycles;
      for (int64_t j = i; !seen[j]; j = perm[j]) seen[j] = 1;
    }
    if ((n - cycles) % 2 != 0) signs[b] = -1.0;
  }
  return signs;
}

// The permutations' signs as a tensor shaped like A's batch, on A's device.
Tensor permutation_sign_tensor(const Tensor& A, const Tensor& rows) {
  const Dims batch = detail::batch_shape(A);
  const int64_t n = A.size(-1);
  const std::vector<double> signs =
      permutation_signs(rows.to_vector<int64_t>(), numel_of(batch), n);
  return tensor(signs, batch, TensorOptions(A.dtype(), A.device()));
}

// inv(A)ᵀ scaled by `scale` per matrix: the shared backward of det and slogdet.
Tensor scaled_inverse_transpose(const Tensor& A, const Tensor& scale, const char* op) {
  return mT(detail::inverse(A, op)) * scale.unsqueeze(-1).unsqueeze(-1);
}

}  // namespace

namespace detail {

Tensor inverse(const Tensor& A, const char* op) {
  const int64_t n = A.size(-1);
  const Tensor identity = eye(n, n, TensorOptions(A.dtype(), A.device())).expand(A.shape());
  return solve_matrices(A, identity, op);
}

}  // namespace detail

Tensor solve(const Tensor& A, const Tensor& B) {
  constexpr const char* kOp = "linalg::solve";
  detail::check_square(A, kOp);
  detail::check_operand_pair(A, B, kOp);
  const int64_t n = A.size(-1);
  const bool vector_case =
      B.dim() == 1 || (B.dim() == A.dim() - 1 && B.shape() == detail::batch_shape(A, 1));
  const Tensor rhs = vector_case ? B.unsqueeze(-1) : B;
  MG_CHECK(rhs.dim() >= 2 && rhs.size(-2) == n,
           "linalg::solve: B must be [*, n, k] or [*, n] with n = {} (A has shape {}), got shape "
           "{}",
           n, shape_str(A.shape()), shape_str(B.shape()));
  const Dims batch =
      broadcast_shapes(detail::batch_shape(A), detail::batch_shape(rhs), "linalg::solve");
  const Tensor a = A.expand(detail::concat_shape(batch, {n, n}));
  const Tensor b = rhs.expand(detail::concat_shape(batch, {n, rhs.size(-1)}));
  const Tensor x = solve_matrices(a, b, kOp);
  return vector_case ? x.squeeze(-1) : x;
}

Tensor inv(const Tensor& A) {
  detail::check_square(A, "linalg::inv");
  return detail::inverse(A, "linalg::inv");
}

Tensor det(const Tensor& A) {
  detail::check_square(A, "linalg::det");
  const TensorList out = custom_function(
      "LinalgDet", {A},
      [](CustomFunctionContext& ctx, const TensorList& in) {
        const detail::Factorization lu = lu_factors(in[0]);
        const Tensor pivots_product = prod(diagonal(lu.factors[0], 0, -2, -1), -1);
        Tensor determinant = pivots_product * permutation_sign_tensor(in[0], lu.factors[1]);
        ctx.save_for_backward({in[0], determinant});
        return TensorList{determinant};
      },
      [](CustomFunctionContext& ctx, const TensorList& grads) {
        const TensorList saved = ctx.saved_tensors();
        // d det(A) = det(A) tr(A⁻¹ dA): gA = g det(A) A⁻ᵀ.
        return TensorList{
            scaled_inverse_transpose(saved[0], grads[0] * saved[1], "linalg::det backward")};
      });
  return out[0];
}

SlogdetResult slogdet(const Tensor& A) {
  detail::check_square(A, "linalg::slogdet");
  const TensorList out = custom_function(
      "LinalgSlogdet", {A},
      [](CustomFunctionContext& ctx, const TensorList& in) {
        const detail::Factorization lu = lu_factors(in[0]);
        const Tensor pivots = diagonal(lu.factors[0], 0, -2, -1);
        Tensor sign_of_det = prod(sign(pivots), -1) * permutation_sign_tensor(in[0], lu.factors[1]);
        Tensor logabsdet = sum(log(abs(pivots)), {-1});
        ctx.save_for_backward({in[0]});
        ctx.mark_non_differentiable({sign_of_det});
        return TensorList{sign_of_det, logabsdet};
      },
      [](CustomFunctionContext& ctx, const TensorList& grads) {
        // d log|det A| = tr(A⁻¹ dA): gA = g A⁻ᵀ.
        return TensorList{
            scaled_inverse_transpose(ctx.saved_tensors()[0], grads[1], "linalg::slogdet backward")};
      });
  return {out[0], out[1]};
}

}  // namespace metagrad::linalg

namespace metagrad {

Tensor logdet(const Tensor& A) {
  const linalg::SlogdetResult result = linalg::slogdet(A);
  // log det = log|det| + log(sign): NaN for a negative determinant, -inf for a singular matrix.
  return result.logabsdet + log(result.sign);
}

}  // namespace metagrad
