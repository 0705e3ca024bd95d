#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/tensor.hpp"

// torch.linalg's dense matrix functions: solves, inverses, determinants, the Cholesky, symmetric
// eigen-, QR and singular value decompositions, pseudo-inverses and least squares, norms and
// products. Every function takes batches of matrices [*, m, n]
// (float32 or float64, any device) and is differentiable to every order: the factorizations are
// backend kernels (Eigen on the CPU; a host round trip on CUDA) and their backwards are written in
// differentiable ops (solves, triangular solves, matmul). A matrix that a function cannot handle
// (singular, not positive definite) is an error naming the function and the batch element.
namespace metagrad::linalg {
/// \addtogroup engine_ops
/// @{

/// Solves A X = B (torch.linalg.solve): A [*, n, n], B [*, n, k], or B [*, n] (or [n]) for one
/// right-hand side per matrix (torch's rule: B is a batch of vectors when B.dim() == A.dim() - 1,
/// or B is 1-D). Batch dims broadcast. By partial-pivoting LU; differentiable in A and B (the
/// backward solves with Aᵀ). Throws for a singular A (to working precision), naming the op.
Tensor solve(const Tensor& A, const Tensor& B);

/// The inverse of each square matrix (torch.linalg.inv); throws for a singular one.
/// Backward: gA = -A⁻ᵀ g A⁻ᵀ.
Tensor inv(const Tensor& A);

/// The determinant of each square matrix (torch.linalg.det): [*, n, n] -> [*], by LU.
/// Backward: gA = g det(A) A⁻ᵀ (A must be invertible there: the backward at a singular matrix
/// is an error naming the op).
Tensor det(const Tensor& A);

/// The sign and the log of the absolute value of the determinant (torch.linalg.slogdet).
struct SlogdetResult {
  /// -1, 0 or 1 (no gradient).
  Tensor sign;
  /// log |det A| (-inf for a singular matrix).
  Tensor logabsdet;
};
/// sign and log |det| of each square matrix [*, n, n], by LU; stable where det over- or
/// underflows. Backward of logabsdet: gA = g A⁻ᵀ.
SlogdetResult slogdet(const Tensor& A);

/// The Cholesky factor L of each symmetric positive-definite matrix (torch.linalg.cholesky):
/// A = L Lᵀ with L lower triangular, or A = Uᵀ U with `upper`. Reads A's lower triangle. Throws
/// naming the batch element and the order of its first leading minor that is not positive
/// definite. Backward: gA = L⁻ᵀ Φ(Lᵀ gL) L⁻¹, symmetrized (Φ: lower triangle, halved diagonal).
Tensor cholesky(const Tensor& A, bool upper = false);

/// The results of linalg::cholesky_ex.
struct CholeskyExResult {
  /// The factor, NaN for the matrices that failed.
  Tensor L;
  /// int64 [*]: 0, or the order of the matrix's first leading minor that is not positive
  /// definite (LAPACK's potrf info).
  Tensor info;
};
/// cholesky without throwing (torch.linalg.cholesky_ex): a way to test matrices for positive
/// definiteness. Differentiable in L as cholesky.
CholeskyExResult cholesky_ex(const Tensor& A, bool upper = false);

/// Solves A X = B for triangular A (torch.linalg.solve_triangular): A [*, n, n] reads its
/// `upper` or lower triangle (the diagonal as ones with `unitriangular`); B [*, n, k] with `left`,
/// or X A = B with B [*, k, n] otherwise. Batch dims broadcast. Backward: gB = A⁻ᵀ g and
/// gA = -gB Xᵀ restricted to A's triangle (for left; the transposes otherwise).
Tensor solve_triangular(const Tensor& A, const Tensor& B, bool upper, bool left = true,
                        bool unitriangular = false);

/// Eigenvalues (ascending) and orthonormal eigenvectors (columns) of a symmetric matrix.
struct EighResult {
  /// [*, n]
  Tensor eigenvalues;
  /// [*, n, n]
  Tensor eigenvectors;
};
/// The eigendecomposition A = V diag(w) Vᵀ of each symmetric matrix (torch.linalg.eigh), read
/// from A's lower triangle ("L"; `uplo` = "U" reads the upper one). Backward:
/// gA = V (diag(gw) + ((Vᵀ gV - gVᵀ V) / 2) / E) Vᵀ with E[i, j] = w[j] - w[i]: not defined at
/// repeated eigenvalues when gV is nonzero (as in torch, the result is then inf or NaN).
EighResult eigh(const Tensor& A, const std::string& uplo = "L");
/// The eigenvalues of eigh (torch.linalg.eigvalsh); its backward, V diag(gw) Vᵀ, is defined at
/// repeated eigenvalues too.
Tensor eigvalsh(const Tensor& A, const std::string& uplo = "L");

/// The vector norm of x over `dims` (all dims when empty; torch.linalg.vector_norm): ord = p for
/// (Σ |x|^p)^(1/p), ord = inf for max |x|, -inf for min |x|, 0 for the count of nonzeros.
Tensor vector_norm(const Tensor& x, double ord = 2.0, const Dims& dims = {}, bool keepdim = false);

/// The matrix norm over the last two dims (torch.linalg.matrix_norm): "fro" (Frobenius) or "nuc"
/// (nuclear: the sum of the singular values).
Tensor matrix_norm(const Tensor& A, const std::string& ord = "fro", bool keepdim = false);
/// The matrix norm with a numeric ord: 1 and -1 (max and min column sum of |A|), inf and -inf
/// (max and min row sum), 2 and -2 (largest and smallest singular value).
Tensor matrix_norm(const Tensor& A, double ord, bool keepdim = false);

/// The product of two or more matrices in the order that needs the fewest multiplications
/// (torch.linalg.multi_dot): the first may be 1-D (a row vector), the last 1-D (a column vector),
/// the others 2-D.
Tensor multi_dot(const TensorList& matrices);

/// A to the integer power n (torch.linalg.matrix_power): repeated squaring; n = 0 gives the
/// identity, n < 0 the power of inv(A).
Tensor matrix_power(const Tensor& A, int64_t n);

/// The matrix exponential of each square matrix (torch.linalg.matrix_exp), by scaling and
/// squaring with a diagonal Padé approximant (Higham 2005: degree 3 to 13 in float64, 3 to 7 in
/// float32, chosen from the batch's largest 1-norm). Differentiable to every order through the
/// approximant's matmuls and solves.
Tensor matrix_exp(const Tensor& A);

/// The cross product of 3-vectors along `dim` (torch.linalg.cross); a and b broadcast.
Tensor cross(const Tensor& a, const Tensor& b, int64_t dim = -1);

/// The factors of linalg::qr.
struct QrResult {
  /// [*, m, k] orthonormal columns (k = min(m, n); [*, m, m] in mode "complete"; empty in "r").
  Tensor Q;
  /// [*, k, n] upper triangular ([*, m, n] in mode "complete").
  Tensor R;
};
/// The QR factorization A = Q R of each matrix [*, m, n] by Householder reflections
/// (torch.linalg.qr; LAPACK's signs). `mode`: "reduced", "complete" or "r" (R only; unlike torch,
/// R is then still differentiable). Backward, for m >= n: gA = (gQ + Q copyltu(M)) R⁻ᵀ with
/// M = R gRᵀ - gQᵀ Q; a wide A = [X | Y] splits into X = Q R₁ and Y = Q R₂. Needs R invertible
/// (full rank) there; mode "complete" with m > n has no derivative (an error, as in torch).
QrResult qr(const Tensor& A, const std::string& mode = "reduced");

/// The factors of linalg::svd.
struct SvdResult {
  /// [*, m, m] with full_matrices, else [*, m, k] (k = min(m, n)).
  Tensor U;
  /// [*, k], descending, non-negative.
  Tensor S;
  /// [*, n, n] with full_matrices, else [*, k, n].
  Tensor Vh;
};
/// The singular value decomposition A = U diag(S) Vh of each matrix [*, m, n]
/// (torch.linalg.svd, default full_matrices = true as in torch; Eigen's divide and conquer).
/// Singular vectors are unique only up to sign (per pair). Backward (PyTorch's formula, from the
/// first k columns): defined for distinct nonzero singular values when gU or gVh is nonzero;
/// pairs of equal singular values contribute nothing (torch gives inf or NaN there).
SvdResult svd(const Tensor& A, bool full_matrices = true);
/// The singular values of each matrix [*, m, n] (torch.linalg.svdvals), descending; backward
/// U diag(gS) Vh.
Tensor svdvals(const Tensor& A);

/// Tolerances of pinv and matrix_rank (torch's keyword arguments): singular values at most
/// max(atol, rtol σ_max) count as zero; with neither given, rtol = eps max(m, n), and with only
/// atol, rtol = 0.
struct PseudoInverseOptions {
  /// Absolute tolerance.
  std::optional<double> atol;
  /// Tolerance relative to the largest singular value.
  std::optional<double> rtol;
  /// A is symmetric: eigh (its lower triangle) instead of the SVD.
  bool hermitian = false;
};
/// The Moore–Penrose pseudo-inverse of each matrix [*, m, n] -> [*, n, m] (torch.linalg.pinv):
/// V diag(1/σ) Uᵀ over the singular values above the cut-off (eigenvalues of eigh with
/// `hermitian`). Backward (torch's, where the rank is constant): gA = -Pᵀ G Pᵀ +
/// (I - A P) Gᵀ P Pᵀ + Pᵀ P Gᵀ (I - P A) for P = A⁺, defined at repeated singular values too.
Tensor pinv(const Tensor& A, const PseudoInverseOptions& options = {});
/// The numerical rank of each matrix (torch.linalg.matrix_rank): the number of singular values
/// above the cut-off, int64 [*].
Tensor matrix_rank(const Tensor& A, const PseudoInverseOptions& options = {});

/// The results of linalg::lstsq (torch's fields).
struct LstsqResult {
  /// [*, n, k]: the least-squares solution of least norm.
  Tensor solution;
  /// [*, k]: the squared residual norms, when m > n and every matrix has full rank; else empty.
  Tensor residuals;
  /// int64 [*]: the numerical rank of each matrix.
  Tensor rank;
  /// [*, min(m, n)]: A's singular values.
  Tensor singular_values;
};
/// Least squares min ‖A X - B‖ for A [*, m, n] and B [*, m, k] (torch.linalg.lstsq with the
/// SVD driver "gelsd": full-rank systems give torch's default "gelsy" solution too): X = A⁺ B.
/// Singular values at most rcond σ_max are treated as zero (default eps max(m, n)).
/// Differentiable in A and B through pinv (rank and singular values carry no gradient).
LstsqResult lstsq(const Tensor& A, const Tensor& B, std::optional<double> rcond = std::nullopt);

/// The condition number of each matrix (torch.linalg.cond): σ_max / σ_min for ord 2 (any shape;
/// inf for a singular matrix) and σ_min / σ_max for -2; for the other ords (1, -1, inf, -inf)
/// norm(A) norm(A⁻¹) of a square invertible A.
Tensor cond(const Tensor& A, double ord = 2.0);
/// The condition number in the Frobenius ("fro") or nuclear ("nuc") norm of a square invertible
/// A: norm(A) norm(A⁻¹).
Tensor cond(const Tensor& A, const std::string& ord);

/// The factors of linalg::lu_factor.
struct LuFactorResult {
  /// [*, n, n]: L strictly below the diagonal (unit diagonal implied), U on and above it.
  Tensor LU;
  /// int64 [*, n]: LAPACK's 1-based pivots (row i was swapped with row pivots[i] - 1).
  Tensor pivots;
};
/// The partial-pivoting LU factorization A = P L U of each square matrix
/// (torch.linalg.lu_factor). A singular matrix is factorized all the same (U then has a zero on
/// its diagonal). Backward: gA = P L⁻ᵀ (tril(Lᵀ gL, -1) + triu(gU Uᵀ)) U⁻ᵀ.
LuFactorResult lu_factor(const Tensor& A);

/// The factors of linalg::lu.
struct LuResult {
  /// [*, n, n] permutation matrix (A's dtype).
  Tensor P;
  /// [*, n, n] unit lower triangular.
  Tensor L;
  /// [*, n, n] upper triangular.
  Tensor U;
};
/// A = P L U for each square matrix (torch.linalg.lu), differentiable in L and U as lu_factor.
LuResult lu(const Tensor& A);

/// Solves A X = B (or Aᵀ X = B with `adjoint`; X A = B with left = false) from lu_factor's LU and
/// pivots (torch.linalg.lu_solve): a row permutation and two triangular solves, so differentiable
/// in LU and B. B [*, n, k] (left) or [*, k, n], its batch dims broadcasting to LU's.
Tensor lu_solve(const Tensor& LU, const Tensor& pivots, const Tensor& B, bool left = true,
                bool adjoint = false);

/// @}
}  // namespace metagrad::linalg

namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// Solves A X = B given A's Cholesky factor (torch.cholesky_solve): B [*, n, k], L [*, n, n]
/// lower (or upper with `upper`, A = Uᵀ U). Two triangular solves, so differentiable in both.
Tensor cholesky_solve(const Tensor& B, const Tensor& L, bool upper = false);
/// The inverse of A from its Cholesky factor (torch.cholesky_inverse).
Tensor cholesky_inverse(const Tensor& L, bool upper = false);
/// log det A (torch.logdet): NaN for a negative determinant, -inf for a singular matrix.
Tensor logdet(const Tensor& A);

/// @}
}  // namespace metagrad
