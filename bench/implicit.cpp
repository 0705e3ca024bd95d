// Implicit-differentiation benchmark (issue 11): ridge-regression hypergradients, one JSON line
// per workload. bench/implicit.py runs the same workloads on PyTorch + TorchOpt (the workload of
// ../shared/peers/implicit.py) with the same schema; bench/compare_pytorch.py prints the ratios.
//
// Inner:  w*(λ) = argmin_w ½ mean((X w − y)²) + ½ λ ‖w‖², i.e. (XᵀX + n λ I) w* = Xᵀy
//         (X: n × d, λ = 0.5 a 0-d float64 tensor requiring grad)
// Outer:  L(λ) = mean((Xv w*(λ) − yv)²)   (Xv: n × d)
// Timed:  w = solver(w0, {λ, X, y}); L; grad(L, λ). The wrapped solvers are built once, outside
//         the timing, as the Python side builds its decorated functions once.
//
// Workloads, each at n × d = 100 × 10 and 1000 × 100 (implicit_<variant>_<n>x<d>):
//   cg         custom_root(F, {1}, {.solve = solve_cg()}) around a closed-form inner solver
//              (linalg::solve); F = the gradient of the inner objective in w, taken by grad(...,
//              create_graph) as TorchOpt's functorch.grad(objective, 0)
//   normal_cg  the same with custom_root's default backward solve, solve_normal_cg()
//   cg_cg      cg with the inner problem also solved by CG: solve_cg({.ridge = n λ, .init = w0,
//              .maxiter = d}) on u -> XᵀX u (TorchOpt's test_implicit.py::test_rr_solve_cg)
//   unrolled   autograd through linalg::solve (explicit differentiation)
//   analytic   dL/dλ = −n gLᵀ (XᵀX + n λ I)⁻¹ w*, gL = 2/n Xvᵀ(Xv w* − yv): the cost floor
//   cg_manual  (metagrad only) cg with F written out, Xᵀ(X w − y)/n + λ w, instead of derived by
//              autograd: what the derivation of F costs
// Both sides keep their solvers' defaults (rtol 1e-5, atol 0, maxiter 10 × the size of w). Each
// record carries the hypergradient (hypergrad), the analytic one (hypergrad_ref) and their
// relative difference (rel_err).
//
// Data: deterministic fills shared with bench/implicit.py: element k of tensor `tag` is N(0, 1)
// by Box-Muller from the integer hash of bench/tutorial_net.hpp; X tag 10, Xv tag 11, w_true
// tag 12, label noises tags 13 and 14 (times 0.5); y = X w_true + 0.5 e.
//
// Environment: BENCH_THREADS (2) OpenMP threads; BENCH_ITERS (20) timed calls; BENCH_WARMUP (3);
// BENCH_IMPLICIT_SIZES ("100x10,1000x100"); BENCH_WORKLOADS (all) comma-separated subset of the
// workload names.
#include <fmt/core.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <numbers>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_common.hpp"
#include "bench/tutorial_net.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;

namespace {

using namespace bench;  // the shared timing harness

constexpr double kLambda = 0.5;
constexpr double kNoise = 0.5;

struct Problem {
  int64_t n, d;
  mg::Tensor x, y, xv, yv;
};

Problem make_problem(int64_t n, int64_t d) {
  Problem p{
      n, d, normal_filled({n, d}, 10, mg::kFloat64), {}, normal_filled({n, d}, 11, mg::kFloat64),
      {}};
  const mg::Tensor w_true = normal_filled({d}, 12, mg::kFloat64);
  p.y = p.x.mv(w_true) + kNoise * normal_filled({n}, 13, mg::kFloat64);
  p.yv = p.xv.mv(w_true) + kNoise * normal_filled({n}, 14, mg::kFloat64);
  return p;
}

// ½ mean((X w − y)²) + ½ λ ‖w‖².
mg::Tensor objective(const mg::Tensor& w, const mg::Tensor& lambda, const mg::Tensor& x,
                     const mg::Tensor& y) {
  return 0.5 * (x.mv(w) - y).square().mean() + 0.5 * lambda * w.square().sum();
}

// F(w, λ) = ∇_w objective, by autograd (as functorch.grad(objective, argnums=0)).
mg::TensorList derived_optimality(const mg::TensorList& w, const mg::RootArgs& args) {
  mg::GradOptions create_graph;
  create_graph.create_graph = true;
  return mg::grad({objective(w[0], args[0].tensor(), args[1].tensor(), args[2].tensor())}, w, {},
                  create_graph);
}

// F(w, λ) = Xᵀ(X w − y) / n + λ w, written out.
mg::TensorList manual_optimality(const mg::TensorList& w, const mg::RootArgs& args) {
  const mg::Tensor& x = args[1].tensor();
  const auto n = static_cast<double>(x.shape()[0]);
  return {x.t().mv(x.mv(w[0]) - args[2].tensor()) / n + args[0].tensor() * w[0]};
}

// w*(λ) = (XᵀX + n λ I)⁻¹ Xᵀy (recorded when λ requires grad and grad mode is on).
mg::Tensor closed_form(const mg::Tensor& lambda, const mg::Tensor& x, const mg::Tensor& y) {
  const int64_t n = x.shape()[0], d = x.shape()[1];
  const mg::Tensor a =
      x.t().matmul(x) + mg::eye(d, -1, x.dtype()) * (lambda * static_cast<double>(n));
  return mg::linalg::solve(a, x.t().mv(y));
}

// The closed-form inner solver of the custom_root variants (custom_root runs it unrecorded).
mg::TensorList inner_solver(const mg::TensorList&, const mg::RootArgs& args) {
  return {closed_form(args[0].tensor(), args[1].tensor(), args[2].tensor())};
}

// The CG inner solver of cg_cg: (XᵀX + n λ I) w = Xᵀy by solve_cg from `init`, at most d steps.
mg::TensorList cg_inner_solver(const mg::TensorList& init, const mg::RootArgs& args) {
  const mg::Tensor& x = args[1].tensor();
  const int64_t n = x.shape()[0], d = x.shape()[1];
  const mg::linalg::MatVec gram = [&x](const mg::TensorList& u) -> mg::TensorList {
    return {x.t().mv(x.mv(u[0]))};
  };
  const double ridge = static_cast<double>(n) * args[0].tensor().item<double>();
  return mg::linear_solve::solve_cg({.ridge = ridge, .init = init, .maxiter = d})(
      gram, {x.t().mv(args[2].tensor())});
}

// dL/dλ = −n gLᵀ (XᵀX + n λ I)⁻¹ w*, gL = 2/m Xvᵀ(Xv w* − yv), without recording.
mg::Tensor analytic_hypergradient(const mg::Tensor& lambda, const Problem& p) {
  const mg::NoGradGuard no_grad;
  const mg::Tensor a =
      p.x.t().matmul(p.x) + mg::eye(p.d, -1, mg::kFloat64) * (lambda * static_cast<double>(p.n));
  const mg::Tensor w = mg::linalg::solve(a, p.x.t().mv(p.y));
  const double m = static_cast<double>(p.yv.shape()[0]);
  const mg::Tensor grad_loss = p.xv.t().mv(p.xv.mv(w) - p.yv) * (2.0 / m);
  return grad_loss.dot(mg::linalg::solve(a, w)) * -static_cast<double>(p.n);
}

mg::Tensor val_loss(const mg::Tensor& w, const Problem& p) {
  return (p.xv.mv(w) - p.yv).square().mean();
}

// The timed call of one variant: returns dL/dλ (0-d).
using Run = std::function<mg::Tensor()>;

Run make_run(const std::string& variant, const Problem& p, const mg::Tensor& lambda) {
  if (variant == "unrolled") {
    return [&p, lambda] {
      return mg::grad({val_loss(closed_form(lambda, p.x, p.y), p)}, {lambda})[0];
    };
  }
  if (variant == "analytic") return [&p, lambda] { return analytic_hypergradient(lambda, p); };
  mg::CustomRootOptions options;
  if (variant != "normal_cg") options.solve = mg::linear_solve::solve_cg();
  const mg::OptimalityFn optimality =
      variant == "cg_manual" ? mg::OptimalityFn(manual_optimality) : derived_optimality;
  const mg::RootSolver solver = mg::custom_root(optimality, {1}, options)(
      variant == "cg_cg" ? mg::RootSolver(cg_inner_solver) : mg::RootSolver(inner_solver));
  const mg::TensorList w0 = {mg::zeros({p.d}, mg::kFloat64)};
  return [&p, lambda, solver, w0] {
    const mg::TensorList w = solver(w0, {lambda, p.x, p.y});
    return mg::grad({val_loss(w[0], p)}, {lambda})[0];
  };
}

// "100x10,1000x100" (or BENCH_IMPLICIT_SIZES) as (n, d) pairs.
std::vector<std::pair<int64_t, int64_t>> sizes() {
  const char* env = std::getenv("BENCH_IMPLICIT_SIZES");
  std::string rest = env != nullptr && *env != '\0' ? env : "100x10,1000x100";
  std::vector<std::pair<int64_t, int64_t>> out;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string item = rest.substr(0, comma);
    const size_t x = item.find('x');
    MG_CHECK(x != std::string::npos, "BENCH_IMPLICIT_SIZES: expected NxD items, got '{}'", item);
    out.emplace_back(std::stoll(item.substr(0, x)), std::stoll(item.substr(x + 1)));
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
  }
  return out;
}

void bench_implicit(int threads, const std::string& gemm) {
  const int warmup = env_count("BENCH_WARMUP", 3), iters = env_int("BENCH_ITERS", 20);
  for (const auto& [n, d] : sizes()) {
    const Problem p = make_problem(n, d);
    const double reference =
        analytic_hypergradient(mg::scalar_tensor(kLambda, mg::kFloat64), p).item<double>();
    for (const std::string variant :
         {"cg", "normal_cg", "cg_cg", "unrolled", "analytic", "cg_manual"}) {
      const std::string workload = fmt::format("implicit_{}_{}x{}", variant, n, d);
      if (!wanted(workload)) continue;
      const mg::Tensor lambda = mg::scalar_tensor(kLambda, {mg::kFloat64, mg::kCPU, true});
      const Run run = make_run(variant, p, lambda);
      const double value = run().item<double>();
      const Timing t = measure(warmup, iters, [&] { g_sink = run().impl(); });
      emit_json(
          workload, threads, gemm, t,
          fmt::format(", \"n\": {}, \"d\": {}, \"hypergrad\": {:.17g}, \"hypergrad_ref\": "
                      "{:.17g}, \"rel_err\": {:.3e}",
                      n, d, value, reference, std::abs(value - reference) / std::abs(reference)));
    }
  }
}

}  // namespace

int main() {
  const int threads = configure_threads();
  return run_guarded("implicit", [&] { bench_implicit(threads, gemm_library()); });
}
