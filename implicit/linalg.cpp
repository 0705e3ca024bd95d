#include "implicit/linalg.hpp"

#include <cmath>
#include <limits>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/shape.hpp"
#include "implicit/solver_support.hpp"
#include "implicit/tensor_tree.hpp"

namespace metagrad::linalg {

namespace detail {

void check_rhs(const char* op, const TensorList& b) {
  MG_CHECK(!b.empty(), "{}: b is an empty list; give at least one tensor", op);
  for (size_t i = 0; i < b.size(); ++i) {
    MG_CHECK(b[i].defined(), "{}: b[{}] is an undefined tensor", op, i);
    MG_CHECK(b[i].is_floating_point(),
             "{}: b[{}] has dtype {}; the solvers need float32 or float64", op, i,
             dtype_name(b[i].dtype()));
    MG_CHECK(b[i].dtype() == b[0].dtype(),
             "{}: b[{}] has dtype {} but b[0] has dtype {}; all entries must have one "
             "dtype",
             op, i, dtype_name(b[i].dtype()), dtype_name(b[0].dtype()));
    MG_CHECK(b[i].device() == b[0].device(),
             "{}: b[{}] is on {} but b[0] is on {}; all entries must be on one device", op, i,
             b[i].device().str(), b[0].device().str());
  }
}

void check_like(const char* op, const char* what, const TensorList& x, const TensorList& b) {
  MG_CHECK(x.size() == b.size(), "{}: {} has {} tensors but b has {}; they must match", op, what,
           x.size(), b.size());
  for (size_t i = 0; i < x.size(); ++i) {
    MG_CHECK(x[i].defined(), "{}: {}[{}] is an undefined tensor", op, what, i);
    MG_CHECK(x[i].shape() == b[i].shape(),
             "{}: {}[{}] has shape {} but b[{}] has shape {}; they must match", op, what, i,
             shape_str(x[i].shape()), i, shape_str(b[i].shape()));
    MG_CHECK(x[i].dtype() == b[i].dtype(),
             "{}: {}[{}] has dtype {} but b[{}] has dtype {}; they must match", op, what, i,
             dtype_name(x[i].dtype()), i, dtype_name(b[i].dtype()));
    MG_CHECK(x[i].device() == b[i].device(),
             "{}: {}[{}] is on {} but b[{}] is on {}; they must match", op, what, i,
             x[i].device().str(), i, b[i].device().str());
  }
}

void check_tolerances(const char* op, double rtol, double atol) {
  MG_CHECK(std::isfinite(rtol) && rtol >= 0.0, "{}: rtol must be finite and non-negative, got {}",
           op, rtol);
  MG_CHECK(std::isfinite(atol) && atol >= 0.0, "{}: atol must be finite and non-negative, got {}",
           op, atol);
}

int64_t resolve_maxiter(const char* op, const std::optional<int64_t>& maxiter, const TensorList& b,
                        int64_t factor) {
  if (maxiter) {
    MG_CHECK(*maxiter >= 0, "{}: maxiter must be non-negative, got {}", op, *maxiter);
    return *maxiter;
  }
  const int64_t n = tree::numel(b);
  MG_CHECK(n <= std::numeric_limits<int64_t>::max() / factor,
           "{}: the default maxiter ({} × {} elements) overflows int64; give maxiter", op, factor,
           n);
  return factor * n;
}

TensorList initial_guess(const char* op, const std::optional<TensorList>& x0, const TensorList& b) {
  if (!x0) return tree::zeros_like(b);
  check_like(op, "x0", *x0, b);
  return *x0;
}

TensorList apply_preconditioner(const std::optional<Operator>& M, const TensorList& x) {
  return M ? (*M)(x) : x;
}

}  // namespace detail

Operator::Operator(Tensor matrix) : matrix_(std::move(matrix)) {}

TensorList Operator::operator()(const TensorList& x) const {
  if (matrix_) {
    const Tensor& a = *matrix_;
    MG_CHECK(a.defined(), "linalg::Operator: the matrix is an undefined tensor");
    MG_CHECK(a.dim() == 2 && a.size(0) == a.size(1),
             "linalg::Operator: the matrix must be square [n, n], got shape {}",
             shape_str(a.shape()));
    MG_CHECK(x.size() == 1,
             "linalg::Operator: a matrix operator acts on a list of exactly one tensor, got {}; "
             "give a matvec function for several tensors",
             x.size());
    MG_CHECK(x[0].defined(), "linalg::Operator: x[0] is an undefined tensor");
    MG_CHECK(x[0].numel() == a.size(0),
             "linalg::Operator: the matrix has shape {} but x[0] has shape {} ({} elements)",
             shape_str(a.shape()), shape_str(x[0].shape()), x[0].numel());
    MG_CHECK(x[0].dtype() == a.dtype(),
             "linalg::Operator: the matrix has dtype {} but x[0] has dtype {}; they must match",
             dtype_name(a.dtype()), dtype_name(x[0].dtype()));
    MG_CHECK(x[0].device() == a.device(),
             "linalg::Operator: the matrix is on {} but x[0] is on {}; they must match",
             a.device().str(), x[0].device().str());
    if (x[0].dim() == 1) return {mv(a, x[0])};
    return {mv(a, x[0].reshape({-1})).reshape(x[0].shape())};
  }
  MG_CHECK(static_cast<bool>(matvec_), "linalg::Operator: the matvec function is empty");
  TensorList y = matvec_(x);
  MG_CHECK(y.size() == x.size(),
           "linalg::Operator: the matvec returned {} tensors for an input of {}; A x must have "
           "x's structure",
           y.size(), x.size());
  for (size_t i = 0; i < y.size(); ++i) {
    MG_CHECK(y[i].defined(), "linalg::Operator: the matvec returned an undefined tensor at {}", i);
    MG_CHECK(y[i].shape() == x[i].shape() && y[i].dtype() == x[i].dtype(),
             "linalg::Operator: the matvec returned {} {} at entry {} for x of {} {}; A x must "
             "have x's shapes and dtypes",
             shape_str(y[i].shape()), dtype_name(y[i].dtype()), i, shape_str(x[i].shape()),
             dtype_name(x[i].dtype()));
  }
  return y;
}

TensorList cg(const Operator& A, const TensorList& b, const CgOptions& options) {
  detail::check_rhs("linalg::cg", b);
  detail::check_tolerances("linalg::cg", options.rtol, options.atol);
  const int64_t maxiter = detail::resolve_maxiter("linalg::cg", options.maxiter, b, 10);
  TensorList x = detail::initial_guess("linalg::cg", options.x0, b);

  // Stop when ‖r‖² ≤ max(rtol² ‖b‖², atol²) (SciPy's non-legacy rule, as TorchOpt).
  const double atol2 =
      std::max(options.rtol * options.rtol * tree::squared_norm(b), options.atol * options.atol);
  // r₀ = b − A x₀ (A 0 = 0 needs no matvec).
  TensorList r = options.x0 ? tree::sub(b, A(x)) : b;
  TensorList z = detail::apply_preconditioner(options.M, r);
  TensorList p = z;
  Tensor gamma = tree::vdot(r, z);
  auto residual2 = [&] { return options.M ? tree::squared_norm(r) : gamma.item<double>(); };
  for (int64_t k = 0; k < maxiter && residual2() > atol2; ++k) {
    const TensorList ap = A(p);
    const Tensor pap = tree::vdot(p, ap);
    const double pap_value = pap.item<double>();
    MG_CHECK(std::isfinite(pap_value) && pap_value != 0.0,
             "linalg::cg: breakdown at iteration {}: pᵀAp = {}; A must be symmetric positive "
             "definite (add a ridge term, or use gmres / bicgstab / solve_normal_cg)",
             k, pap_value);
    const Tensor alpha = gamma / pap;
    x = tree::add_scaled(x, alpha, p);
    r = tree::add_scaled(r, alpha.neg(), ap);
    z = detail::apply_preconditioner(options.M, r);
    const Tensor gamma_next = tree::vdot(r, z);
    p = tree::add_scaled(z, gamma_next / gamma, p);
    gamma = gamma_next;
  }
  return x;
}

namespace {

void check_ns_options(const char* op, const NsOptions& options) {
  MG_CHECK(options.maxiter >= 0, "{}: maxiter must be non-negative, got {}", op, options.maxiter);
  MG_CHECK(!options.alpha || std::isfinite(*options.alpha), "{}: alpha must be finite, got {}", op,
           options.alpha.value_or(0.0));
}

}  // namespace

TensorList ns(const Operator& A, const TensorList& b, const NsOptions& options) {
  detail::check_rhs("linalg::ns", b);
  check_ns_options("linalg::ns", options);
  // x = α Σ_{k=0}^{maxiter} (I − αA)ᵏ b, with vₖ₊₁ = vₖ − α A vₖ (α = 1 when absent).
  TensorList v = b;
  TensorList sum = b;
  for (int64_t k = 0; k < options.maxiter; ++k) {
    v = options.alpha ? tree::add_scaled(v, -*options.alpha, A(v)) : tree::sub(v, A(v));
    sum = tree::add(sum, v);
  }
  return options.alpha ? tree::scale(sum, *options.alpha) : sum;
}

Tensor ns_inv(const Tensor& A, const NsOptions& options) {
  MG_CHECK(A.defined(), "linalg::ns_inv: A is an undefined tensor");
  MG_CHECK(A.dim() >= 2 && A.size(-1) == A.size(-2),
           "linalg::ns_inv: A must be a square matrix [n, n] or a batch [..., n, n], got shape {}",
           shape_str(A.shape()));
  MG_CHECK(A.is_floating_point(), "linalg::ns_inv: A has dtype {}; need float32 or float64",
           dtype_name(A.dtype()));
  check_ns_options("linalg::ns_inv", options);
  const int64_t n = A.size(-1);
  const Tensor eye_n = eye(n, n, TensorOptions(A.dtype(), A.device())).expand(A.shape());
  // A⁻¹ ≈ α Σ_{k=0}^{maxiter−1} (I − αA)ᵏ (maxiter terms, as TorchOpt's ns_inv).
  const Tensor m = options.alpha ? eye_n - A * *options.alpha : eye_n - A;
  Tensor sum = zeros_like(A);
  Tensor power = eye_n;
  for (int64_t k = 0; k < options.maxiter; ++k) {
    sum = sum + power;
    if (k + 1 < options.maxiter) power = matmul(power, m);
  }
  return options.alpha ? sum * *options.alpha : sum;
}

}  // namespace metagrad::linalg
