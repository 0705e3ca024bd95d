#include "implicit/linear_solve.hpp"

#include <cmath>
#include <vector>

#include "engine/autograd/engine.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "implicit/solver_support.hpp"
#include "implicit/tensor_tree.hpp"

namespace metagrad::linear_solve {
namespace {

void check_ridge(const char* op, const std::optional<double>& ridge) {
  MG_CHECK(!ridge || std::isfinite(*ridge), "linear_solve::{}: ridge must be finite, got {}", op,
           ridge.value_or(0.0));
}

void check_matvec(const char* op, const linalg::MatVec& matvec) {
  MG_CHECK(static_cast<bool>(matvec), "linear_solve::{}: the matvec function is empty", op);
}

// x -> matvec(x) + ridge · x (matvec itself without a ridge).
linalg::MatVec with_ridge(linalg::MatVec matvec, const std::optional<double>& ridge) {
  if (!ridge) return matvec;
  return [matvec = std::move(matvec), ridge = *ridge](const TensorList& x) {
    return tree::add_scaled(matvec(x), ridge, x);
  };
}

// v -> Aᵀ v from a VJP of the linear map `matvec` at the example point `example`: the graph of
// matvec(x_ex) is recorded once (grad mode on, x_ex a detached leaf) and reused for every v.
// With grad mode on at the call, the VJP is itself recorded (create_graph), so Aᵀ v carries
// history to v and to whatever matvec depends on.
linalg::MatVec make_rmatvec(const linalg::Operator& A, const TensorList& example) {
  TensorList x_ex;
  x_ex.reserve(example.size());
  for (const Tensor& t : example) {
    Tensor leaf = t.detach();
    leaf.requires_grad_(true);
    x_ex.push_back(leaf);
  }
  TensorList y;
  {
    EnableGradGuard enable;
    y = A(x_ex);
  }
  // Entries of A x without history (constant zero blocks) add nothing to the VJP.
  std::vector<size_t> live;
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i].requires_grad()) live.push_back(i);
  }
  MG_CHECK(!live.empty(),
           "linear_solve::solve_normal_cg: matvec(x) has no autograd history with respect to x, "
           "so Aᵀ cannot be taken from its VJP; write the matvec in differentiable ops (do not "
           "run it under NoGradGuard)");
  TensorList y_live;
  for (size_t i : live) y_live.push_back(y[i]);
  return [x_ex = std::move(x_ex), y_live = std::move(y_live),
          live = std::move(live)](const TensorList& v) {
    TensorList v_live;
    v_live.reserve(live.size());
    for (size_t i : live) v_live.push_back(v[i]);
    TensorList g =
        grad(y_live, x_ex, v_live,
             {.retain_graph = true, .create_graph = is_grad_enabled(), .allow_unused = true});
    for (size_t i = 0; i < g.size(); ++i) {
      if (!g[i].defined()) g[i] = zeros_like(x_ex[i]);
    }
    return g;
  };
}

// linalg::cg's options from solve_cg's and solve_normal_cg's.
linalg::CgOptions cg_options(const SolveCgOptions& options) {
  return {.x0 = options.init,
          .rtol = options.rtol,
          .atol = options.atol,
          .maxiter = options.maxiter,
          .M = options.M};
}

}  // namespace

LinearSolver solve_cg(const SolveCgOptions& options) {
  check_ridge("solve_cg", options.ridge);
  linalg::detail::check_tolerances("linear_solve::solve_cg", options.rtol, options.atol);
  return [options](const linalg::MatVec& matvec, const TensorList& b) {
    check_matvec("solve_cg", matvec);
    const linalg::Operator A(with_ridge(matvec, options.ridge));
    return linalg::cg(A, b, cg_options(options));
  };
}

LinearSolver solve_normal_cg(const SolveCgOptions& options) {
  check_ridge("solve_normal_cg", options.ridge);
  linalg::detail::check_tolerances("linear_solve::solve_normal_cg", options.rtol, options.atol);
  return [options](const linalg::MatVec& matvec, const TensorList& b) {
    check_matvec("solve_normal_cg", matvec);
    linalg::detail::check_rhs("linear_solve::solve_normal_cg", b);
    if (options.init)
      linalg::detail::check_like("linear_solve::solve_normal_cg", "init", *options.init, b);
    const linalg::Operator A(matvec);
    const linalg::MatVec rmatvec = make_rmatvec(A, options.init ? *options.init : b);
    // (AᵀA + ridge I) x = Aᵀ b.
    const linalg::MatVec normal =
        with_ridge([A, rmatvec](const TensorList& x) { return rmatvec(A(x)); }, options.ridge);
    return linalg::cg(linalg::Operator(normal), rmatvec(b), cg_options(options));
  };
}

LinearSolver solve_inv(const SolveInvOptions& options) {
  check_ridge("solve_inv", options.ridge);
  MG_CHECK(options.maxiter >= 0, "linear_solve::solve_inv: maxiter must be non-negative, got {}",
           options.maxiter);
  MG_CHECK(!options.alpha || std::isfinite(*options.alpha),
           "linear_solve::solve_inv: alpha must be finite, got {}", options.alpha.value_or(0.0));
  return [options](const linalg::MatVec& matvec, const TensorList& b) {
    check_matvec("solve_inv", matvec);
    linalg::detail::check_rhs("linear_solve::solve_inv", b);
    const linalg::Operator A(with_ridge(matvec, options.ridge));
    if (options.ns) return linalg::ns(A, b, {.maxiter = options.maxiter, .alpha = options.alpha});
    // Materialise A column by column (A e_i for each basis vector of the flattened list), then
    // solve densely; the columns carry history when matvec does.
    const int64_t n = tree::numel(b);
    if (n == 0) return tree::zeros_like(b);
    const Tensor basis = eye(n, n, TensorOptions(b[0].dtype(), b[0].device()));
    TensorList columns;
    columns.reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      columns.push_back(tree::flatten(A(tree::unflatten(basis.select(0, i), b))));
    }
    return tree::unflatten(linalg::solve(stack(columns, 1), tree::flatten(b)), b);
  };
}

LinearSolver solve_gmres(const SolveGmresOptions& options) {
  check_ridge("solve_gmres", options.ridge);
  linalg::detail::check_tolerances("linear_solve::solve_gmres", options.rtol, options.atol);
  MG_CHECK(options.restart >= 1, "linear_solve::solve_gmres: restart must be at least 1, got {}",
           options.restart);
  return [options](const linalg::MatVec& matvec, const TensorList& b) {
    check_matvec("solve_gmres", matvec);
    return linalg::gmres(linalg::Operator(with_ridge(matvec, options.ridge)), b,
                         {.x0 = options.init,
                          .rtol = options.rtol,
                          .atol = options.atol,
                          .restart = options.restart,
                          .maxiter = options.maxiter,
                          .M = options.M});
  };
}

LinearSolver solve_bicgstab(const SolveBicgstabOptions& options) {
  check_ridge("solve_bicgstab", options.ridge);
  linalg::detail::check_tolerances("linear_solve::solve_bicgstab", options.rtol, options.atol);
  return [options](const linalg::MatVec& matvec, const TensorList& b) {
    check_matvec("solve_bicgstab", matvec);
    return linalg::bicgstab(linalg::Operator(with_ridge(matvec, options.ridge)), b,
                            {.x0 = options.init,
                             .rtol = options.rtol,
                             .atol = options.atol,
                             .maxiter = options.maxiter,
                             .M = options.M});
  };
}

}  // namespace metagrad::linear_solve
