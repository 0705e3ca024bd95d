#include <utility>
#include <vector>

#include "engine/autograd/custom_function.hpp"
#include "engine/error.hpp"
#include "engine/ops.hpp"
#include "engine/ops/dense_linalg.hpp"
#include "engine/ops/linalg_support.hpp"

// The LU factorization as torch.linalg exposes it: lu_factor (packed factors and LAPACK's 1-based
// pivots, differentiable), lu (P, L, U) and lu_solve. The permutation lives on the host as
// "rows": row i of P⁻¹ A (= L U) is row rows[i] of A, so A = P L U with P[rows[i], i] = 1.
namespace metagrad::linalg {
namespace {

using detail::mT;

// LAPACK's pivots (row i swapped with row pivots[i] - 1, in turn) of the permutations `rows`,
// count matrices of n rows.
std::vector<double> pivots_of_rows(const std::vector<int64_t>& rows, int64_t count, int64_t n) {
  std::vector<double> pivots(rows.size());
  std::vector<int64_t> current(n);
  for (int64_t b = 0; b < count; ++b) {
    for (int64_t i = 0; i < n; ++i) current[i] = i;
    for (int64_t i = 0; i < n; ++i) {
      int64_t j = i;
      while (current[j] != rows[b * n + i]) ++j;
      std::swap(current[i], current[j]);
      pivots[b * n + i] = static_cast<double>(j + 1);
    }
  }
  return pivots;
}

// The rows of LAPACK's pivots (the swaps replayed on the identity); a pivot outside [1, n] is an
// error naming `op`.
std::vector<int64_t> rows_of_pivots(const std::vector<int64_t>& pivots, int64_t count, int64_t n,
                                    const char* op) {
  std::vector<int64_t> rows(pivots.size());
  for (int64_t b = 0; b < count; ++b) {
    int64_t* current = rows.data() + b * n;
    for (int64_t i = 0; i < n; ++i) current[i] = i;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t pivot = pivots[b * n + i];
      MG_CHECK(pivot >= 1 && pivot <= n,
               "{}: pivots must lie in [1, {}] (LAPACK's 1-based rows, as lu_factor returns "
               "them), got {} at position {}",
               op, n, pivot, b * n + i);
      std::swap(current[i], current[pivot - 1]);
    }
  }
  return rows;
}

// The inverse permutations: inverse[rows[i]] = i, matrix by matrix.
std::vector<int64_t> inverse_rows(const std::vector<int64_t>& rows, int64_t count, int64_t n) {
  std::vector<int64_t> inverse(rows.size());
  for (int64_t b = 0; b < count; ++b) {
    for (int64_t i = 0; i < n; ++i) inverse[b * n + rows[b * n + i]] = i;
  }
  return inverse;
}

// An int64 tensor [*batch, n, 1] of per-matrix row indices, for gather along the row dim.
Tensor row_index(const std::vector<int64_t>& rows, const Dims& batch, int64_t n, Device device) {
  const std::vector<double> values(rows.begin(), rows.end());
  return tensor(values, detail::concat_shape(batch, {n, 1}), TensorOptions(kInt64, device));
}

// x [*batch, n, k] with row i replaced by row index[i] (gather's backward scatters it back).
Tensor take_rows(const Tensor& x, const Tensor& index) {
  return gather(x, -2, index.expand(x.shape()));
}

// The packed factor of A = P L U (differentiable) and the host rows of P.
std::pair<Tensor, std::vector<int64_t>> packed_lu(const Tensor& A) {
  const int64_t n = A.size(-1);
  const Dims batch = detail::batch_shape(A);
  const detail::Factorization lu =
      detail::factorize(Decomposition::Lu, A.detach(), {{n, n}, {n}}, {A.dtype(), kInt64});
  std::vector<int64_t> rows = lu.factors[1].to_vector<int64_t>();
  const Tensor inverse = row_index(inverse_rows(rows, numel_of(batch), n), batch, n, A.device());
  const TensorList out = custom_function(
      "LinalgLuFactor", {A},
      [factor = lu.factors[0]](CustomFunctionContext& ctx, const TensorList&) {
        ctx.save_for_backward({factor});
        return TensorList{factor};
      },
      [inverse](CustomFunctionContext& ctx, const TensorList& grads) {
        const Tensor packed = ctx.saved_tensors()[0];
        const int64_t size = packed.size(-1);
        const Tensor L =
            tril(packed, -1) + eye(size, size, TensorOptions(packed.dtype(), packed.device()));
        const Tensor U = triu(packed);
        // P⁻¹ A = L U: gA = P L⁻ᵀ (tril(Lᵀ gL, -1) + triu(gU Uᵀ)) U⁻ᵀ, gL and gU the strict lower
        // and the upper part of the packed gradient.
        const Tensor& g = grads[0];
        const Tensor phi = tril(matmul(mT(L), tril(g, -1)), -1) + triu(matmul(triu(g), mT(U)));
        const Tensor left = solve_triangular(mT(L), phi, /*upper=*/true, /*left=*/true,
                                             /*unitriangular=*/true);
        const Tensor unpermuted = solve_triangular(mT(U), left, /*upper=*/false, /*left=*/false);
        return TensorList{take_rows(unpermuted, inverse)};
      });
  return {out[0], std::move(rows)};
}

}  // namespace

LuFactorResult lu_factor(const Tensor& A) {
  detail::check_square(A, "linalg::lu_factor");
  const int64_t n = A.size(-1);
  const Dims batch = detail::batch_shape(A);
  auto [packed, rows] = packed_lu(A);
  return {packed, tensor(pivots_of_rows(rows, numel_of(batch), n), detail::concat_shape(batch, {n}),
                         TensorOptions(kInt64, A.device()))};
}

LuResult lu(const Tensor& A) {
  detail::check_square(A, "linalg::lu");
  const int64_t n = A.size(-1);
  const Dims batch = detail::batch_shape(A);
  auto [packed, rows] = packed_lu(A);
  // P[rows[i], i] = 1.
  std::vector<double> permutation(rows.size() * static_cast<size_t>(n), 0.0);
  for (int64_t b = 0; b < numel_of(batch); ++b) {
    for (int64_t i = 0; i < n; ++i) permutation[(b * n + rows[b * n + i]) * n + i] = 1.0;
  }
  const TensorOptions options(A.dtype(), A.device());
  return {tensor(permutation, detail::concat_shape(batch, {n, n}), options),
          tril(packed, -1) + eye(n, n, options), triu(packed)};
}

Tensor lu_solve(const Tensor& LU, const Tensor& pivots, const Tensor& B, bool left, bool adjoint) {
  constexpr const char* kOp = "linalg::lu_solve";
  detail::check_square(LU, kOp);
  detail::check_operand_pair(LU, B, kOp);
  const int64_t n = LU.size(-1);
  const Dims batch = detail::batch_shape(LU);
  MG_CHECK(
      pivots.defined() && pivots.dtype() == kInt64 && pivots.shape() == detail::batch_shape(LU, 1),
      "linalg::lu_solve: pivots must be int64 of shape {} (LU has shape {}), got {} {}",
      shape_str(detail::batch_shape(LU, 1)), shape_str(LU.shape()),
      pivots.defined() ? dtype_name(pivots.dtype()) : "undefined",
      pivots.defined() ? shape_str(pivots.shape()) : "");
  MG_CHECK(B.dim() >= 2 && B.size(left ? -2 : -1) == n,
           "linalg::lu_solve: B must be [*, n, k] (left = true) or [*, k, n] (left = false) with "
           "n = {} (LU has shape {}), got shape {} with left = {}",
           n, shape_str(LU.shape()), shape_str(B.shape()), left);
  if (!left) {
    // X A = B  ⇔  Aᵀ Xᵀ = Bᵀ.
    return mT(lu_solve(LU, pivots, mT(B), true, !adjoint));
  }
  const Dims common = broadcast_shapes(batch, detail::batch_shape(B), kOp);
  MG_CHECK(common == batch,
           "linalg::lu_solve: B's batch dims {} must broadcast to LU's {} (the factors are not "
           "expanded)",
           shape_str(detail::batch_shape(B)), shape_str(batch));
  const Tensor b = B.expand(detail::concat_shape(batch, {n, B.size(-1)}));
  const int64_t count = numel_of(batch);
  const std::vector<int64_t> rows = rows_of_pivots(pivots.to_vector<int64_t>(), count, n, kOp);
  if (!adjoint) {
    // A = P L U: X = U⁻¹ L⁻¹ P⁻¹ B, and row i of P⁻¹ B is row rows[i] of B.
    const Tensor permuted = take_rows(b, row_index(rows, batch, n, LU.device()));
    const Tensor y = solve_triangular(LU, permuted, /*upper=*/false, true, /*unitriangular=*/true);
    return solve_triangular(LU, y, /*upper=*/true);
  }
  // Aᵀ = Uᵀ Lᵀ P⁻¹: X = P L⁻ᵀ U⁻ᵀ B.
  const Tensor y = solve_triangular(mT(LU), b, /*upper=*/false);
  const Tensor z = solve_triangular(mT(LU), y, /*upper=*/true, true, /*unitriangular=*/true);
  return take_rows(z, row_index(inverse_rows(rows, count, n), batch, n, LU.device()));
}

}  // namespace metagrad::linalg
