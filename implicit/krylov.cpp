#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "implicit/linalg.hpp"
#include "implicit/solver_support.hpp"
#include "implicit/tensor_tree.hpp"

// Krylov solvers for general (non-symmetric) operators: restarted GMRES and BiCGSTAB (after
// jax.scipy.sparse.linalg / jaxopt). Like cg they are written in differentiable ops; the scalars
// of the recurrences are 0-d tensors, and the stopping tests read them as numbers.

namespace metagrad::linalg {
namespace {

// sqrt(<v, v>) as a 0-d tensor.
Tensor tree_norm(const TensorList& v) { return tree::vdot(v, v).sqrt(); }

// The machine epsilon of the list's dtype.
double dtype_eps(const TensorList& b) {
  return b[0].dtype() == kFloat64 ? std::numeric_limits<double>::epsilon()
                                  : std::numeric_limits<float>::epsilon();
}

// One GMRES cycle (Arnoldi with modified Gram–Schmidt, Givens rotations) of at most m steps from
// the residual r with norm beta > 0: returns the correction M V y that minimises ‖r − A M V y‖.
TensorList gmres_cycle(const Operator& A, const std::optional<Operator>& M, const TensorList& r,
                       const Tensor& beta, int64_t m, double tol, double eps) {
  std::vector<TensorList> v{tree::scale(r, 1.0 / beta)};
  std::vector<TensorList> z;           // M v_j (v_j itself without a preconditioner)
  std::vector<std::vector<Tensor>> h;  // h[j]: column j of the rotated Hessenberg matrix
  std::vector<Tensor> cs, sn;          // the Givens rotations
  std::vector<Tensor> g{beta};         // the rotated right-hand side β e₁
  const Tensor zero = zeros({}, TensorOptions(r[0].dtype(), r[0].device()));
  int64_t k = 0;
  for (int64_t j = 0; j < m; ++j) {
    z.push_back(detail::apply_preconditioner(M, v[j]));
    TensorList w = A(z[j]);
    const double w_norm = std::sqrt(tree::squared_norm(w));
    std::vector<Tensor> col;
    for (int64_t i = 0; i <= j; ++i) {
      col.push_back(tree::vdot(w, v[i]));
      w = tree::add_scaled(w, col[i].neg(), v[i]);
    }
    // A tiny h_{j+1,j} is a lucky breakdown: the Krylov space is invariant; treat it as 0 so no
    // derivative of a norm at 0 enters the graph.
    const double next_norm = std::sqrt(tree::squared_norm(w));
    const bool breakdown = !(next_norm > eps * w_norm);
    Tensor next = breakdown ? zero : tree_norm(w);
    for (int64_t i = 0; i < j; ++i) {
      const Tensor upper = cs[i] * col[i] + sn[i] * col[i + 1];
      col[i + 1] = cs[i] * col[i + 1] - sn[i] * col[i];
      col[i] = upper;
    }
    const Tensor denom = (col[j] * col[j] + next * next).sqrt();
    cs.push_back(col[j] / denom);
    sn.push_back(next / denom);
    col[j] = denom;
    g.push_back(sn[j].neg() * g[j]);
    g[j] = cs[j] * g[j];
    h.push_back(std::move(col));
    k = j + 1;
    if (breakdown || std::abs(g[j + 1].item<double>()) <= tol) break;
    v.push_back(tree::scale(w, 1.0 / next));
  }
  // Back substitution R y = g over the k columns, then the correction Σ y_j z_j.
  std::vector<Tensor> y(static_cast<size_t>(k));
  for (int64_t i = k - 1; i >= 0; --i) {
    Tensor acc = g[i];
    for (int64_t l = i + 1; l < k; ++l) acc = acc - h[l][i] * y[l];
    y[i] = acc / h[i][i];
  }
  TensorList dx = tree::scale(z[0], y[0]);
  for (int64_t l = 1; l < k; ++l) dx = tree::add_scaled(dx, y[l], z[l]);
  return dx;
}

}  // namespace

TensorList gmres(const Operator& A, const TensorList& b, const GmresOptions& options) {
  detail::check_rhs("linalg::gmres", b);
  detail::check_tolerances("linalg::gmres", options.rtol, options.atol);
  MG_CHECK(options.restart >= 1, "linalg::gmres: restart must be at least 1, got {}",
           options.restart);
  const int64_t n = tree::numel(b);
  const int64_t m = std::max<int64_t>(1, std::min(options.restart, n));
  const int64_t maxiter =
      options.maxiter
          ? detail::resolve_maxiter("linalg::gmres", options.maxiter, b, 1)
          : std::max<int64_t>(1, detail::resolve_maxiter("linalg::gmres", {}, b, 10) / m);
  TensorList x = detail::initial_guess("linalg::gmres", options.x0, b);
  // Stop when ‖r‖ ≤ max(rtol ‖b‖, atol).
  const double tol = std::max(options.rtol * std::sqrt(tree::squared_norm(b)), options.atol);
  const double eps = dtype_eps(b);
  TensorList r = options.x0 ? tree::sub(b, A(x)) : b;
  for (int64_t cycle = 0; cycle < maxiter; ++cycle) {
    const double r_norm = std::sqrt(tree::squared_norm(r));
    if (r_norm <= tol || r_norm == 0.0) break;
    x = tree::add(x, gmres_cycle(A, options.M, r, tree_norm(r), m, tol, eps));
    r = tree::sub(b, A(x));
  }
  return x;
}

TensorList bicgstab(const Operator& A, const TensorList& b, const BicgstabOptions& options) {
  detail::check_rhs("linalg::bicgstab", b);
  detail::check_tolerances("linalg::bicgstab", options.rtol, options.atol);
  const int64_t maxiter = detail::resolve_maxiter("linalg::bicgstab", options.maxiter, b, 10);
  TensorList x = detail::initial_guess("linalg::bicgstab", options.x0, b);
  // Stop when ‖r‖ ≤ max(rtol ‖b‖, atol).
  const double tol = std::max(options.rtol * std::sqrt(tree::squared_norm(b)), options.atol);
  const double tol2 = tol * tol;
  TensorList r = options.x0 ? tree::sub(b, A(x)) : b;
  const TensorList r_hat = r;  // the shadow residual
  TensorList p, v;
  Tensor rho_prev, alpha, omega;
  for (int64_t k = 0; k < maxiter && tree::squared_norm(r) > tol2; ++k) {
    const Tensor rho = tree::vdot(r_hat, r);
    if (rho.item<double>() == 0.0) break;  // breakdown: r ⟂ r̂
    if (k == 0) {
      p = r;
    } else {
      // p = r + β (p − ω v), β = (ρ / ρ_prev)(α / ω)
      const Tensor beta = (rho / rho_prev) * (alpha / omega);
      p = tree::add_scaled(r, beta, tree::add_scaled(p, omega.neg(), v));
    }
    const TensorList p_hat = detail::apply_preconditioner(options.M, p);
    v = A(p_hat);
    const Tensor rv = tree::vdot(r_hat, v);
    if (rv.item<double>() == 0.0) break;
    alpha = rho / rv;
    const TensorList s = tree::add_scaled(r, alpha.neg(), v);
    if (tree::squared_norm(s) <= tol2) {
      x = tree::add_scaled(x, alpha, p_hat);
      break;
    }
    const TensorList s_hat = detail::apply_preconditioner(options.M, s);
    const TensorList t = A(s_hat);
    const Tensor tt = tree::vdot(t, t);
    if (tt.item<double>() == 0.0) break;
    omega = tree::vdot(t, s) / tt;
    x = tree::add_scaled(tree::add_scaled(x, alpha, p_hat), omega, s_hat);
    r = tree::add_scaled(s, omega.neg(), t);
    rho_prev = rho;
    if (omega.item<double>() == 0.0) break;
  }
  return x;
}

}  // namespace metagrad::linalg
