#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "engine/ops/dense_linalg.hpp"
#include "engine/tensor.hpp"

// Iterative linear algebra on TensorLists (torchopt.linalg, plus jaxopt's GMRES and BiCGSTAB).
// A linear operator maps a TensorList to one of the same structure. Every solver is written in
// differentiable ops: with grad mode on, its iterations are recorded (this is how a backward that
// is itself recorded, create_graph, differentiates through a solve). Stopping tests read norms as
// numbers without history.

namespace metagrad::linalg {
/// \addtogroup implicit
/// @{

/// A linear map x -> A x on TensorLists; A x has x's structure.
using MatVec = std::function<TensorList(const TensorList&)>;

/// A linear operator given as a matvec function or as a matrix. A matrix [n, n] acts on a list of
/// exactly one tensor with n elements (any shape: it is flattened, multiplied, and reshaped back),
/// as TorchOpt's `A @ x` for a tensor A.
class Operator {
 public:
  /// The operator x -> fn(x).
  template <typename F>
  requires(std::is_invocable_r_v<TensorList, F, const TensorList&> &&
           !std::is_same_v<std::remove_cvref_t<F>, Operator>) Operator(F&& fn)
      : matvec_(std::forward<F>(fn)) {}  // NOLINT: implicit like std::function
  /// The operator x -> matrix @ x (matrix 2-D and square; checked on first use).
  Operator(Tensor matrix);  // NOLINT: implicit, as TorchOpt accepts a tensor for A
  /// Applies the operator; throws when a matrix operator gets a list that is not one tensor of
  /// matching size, or the result does not have x's structure.
  TensorList operator()(const TensorList& x) const;
  /// The matrix, when the operator was given as one.
  const std::optional<Tensor>& matrix() const { return matrix_; }

 private:
  MatVec matvec_;
  std::optional<Tensor> matrix_;
};

/// Options of cg (torchopt.linalg.cg).
struct CgOptions {
  /// Initial guess (zeros when absent); must have b's structure.
  std::optional<TensorList> x0;
  /// Stop when ‖r‖² ≤ max(rtol² ‖b‖², atol²).
  double rtol = 1e-5;
  /// Absolute tolerance.
  double atol = 0.0;
  /// Iteration limit; default 10 × the number of elements of b (TorchOpt uses 10 × the sum of
  /// the shape dims, which is 0 for a scalar: TorchOpt issue #222).
  std::optional<int64_t> maxiter;
  /// Preconditioner, an approximation of A⁻¹ (identity when absent).
  std::optional<Operator> M;
};

/// Solves A x = b for a symmetric positive (semi-)definite A by (preconditioned) conjugate
/// gradients. Returns the last iterate when maxiter is reached.
TensorList cg(const Operator& A, const TensorList& b, const CgOptions& options = {});

/// Options of ns (torchopt.linalg.ns).
struct NsOptions {
  /// Number of Neumann terms after the first (TorchOpt's default 10).
  int64_t maxiter = 10;
  /// Step α: solves via Σₖ (I − αA)ᵏ α b. Absent means α = 1 (A's spectrum must lie in (0, 2)).
  std::optional<double> alpha;
};

/// Solves A x = b by the truncated Neumann series x ≈ α Σ_{k=0}^{maxiter} (I − αA)ᵏ b
/// (torchopt.linalg.ns).
TensorList ns(const Operator& A, const TensorList& b, const NsOptions& options = {});

/// The inverse of a square matrix [n, n] (or a batch [..., n, n]) by the truncated Neumann series
/// α Σ_{k=0}^{maxiter−1} (I − αA)ᵏ: maxiter terms, one fewer than ns uses, exactly as
/// torchopt.linalg.ns_inv (maxiter = 0 gives zeros).
Tensor ns_inv(const Tensor& A, const NsOptions& options = {});

/// Options of gmres (jax.scipy.sparse.linalg.gmres / jaxopt).
struct GmresOptions {
  /// Initial guess (zeros when absent).
  std::optional<TensorList> x0;
  /// Stop when ‖r‖ ≤ max(rtol ‖b‖, atol).
  double rtol = 1e-5;
  /// Absolute tolerance.
  double atol = 0.0;
  /// Krylov dimension between restarts (capped at the number of elements of b).
  int64_t restart = 20;
  /// Maximum number of restarts; default 10 × the number of elements of b / restart, at least 1.
  std::optional<int64_t> maxiter;
  /// Right preconditioner (identity when absent).
  std::optional<Operator> M;
};

/// Solves A x = b for a general (non-symmetric) A by restarted GMRES with modified Gram–Schmidt.
TensorList gmres(const Operator& A, const TensorList& b, const GmresOptions& options = {});

/// Options of bicgstab (jax.scipy.sparse.linalg.bicgstab / jaxopt).
struct BicgstabOptions {
  /// Initial guess (zeros when absent).
  std::optional<TensorList> x0;
  /// Stop when ‖r‖ ≤ max(rtol ‖b‖, atol).
  double rtol = 1e-5;
  /// Absolute tolerance.
  double atol = 0.0;
  /// Iteration limit; default 10 × the number of elements of b.
  std::optional<int64_t> maxiter;
  /// Preconditioner (identity when absent).
  std::optional<Operator> M;
};

/// Solves A x = b for a general A by BiCGSTAB.
TensorList bicgstab(const Operator& A, const TensorList& b, const BicgstabOptions& options = {});

/// @}

}  // namespace metagrad::linalg
