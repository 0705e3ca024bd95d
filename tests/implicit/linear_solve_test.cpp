// linear_solve:: solvers against a direct solve on SPD and non-symmetric systems, with ridge and
// init, and derivatives through recorded solves (first and second order) against closed forms.
#include "implicit/linear_solve.hpp"

#include <cmath>
#include <vector>

#include "implicit/tensor_tree.hpp"
#include "tests/implicit/solver_fixtures.hpp"

namespace {

using namespace metagrad;
using Catch::Contains;
using metagrad::testing::allclose;
using metagrad::testing::nonsym_matrix;
using metagrad::testing::reference_solve;
using metagrad::testing::spd_matrix;
using metagrad::testing::vec64;

linalg::MatVec matrix_matvec(const Tensor& a) {
  return [a](const TensorList& v) { return TensorList{mv(a, v[0])}; };
}

// θ-dependent system A(θ) = A0 + θ I: x(θ) = A(θ)⁻¹ b, L(θ) = cᵀ x(θ), with
// dL/dθ = −cᵀ A⁻² b and d²L/dθ² = 2 cᵀ A⁻³ b.
struct ThetaSystem {
  Tensor a0, b, c;
  double theta;
  double dl() const {
    const Tensor a = a0 + eye(a0.size(0), a0.size(0), kFloat64) * theta;
    const Tensor y = reference_solve(a, b);
    const Tensor z = reference_solve(a, y);
    return -dot(c, z).item<double>();
  }
  double d2l() const {
    const Tensor a = a0 + eye(a0.size(0), a0.size(0), kFloat64) * theta;
    const Tensor w = reference_solve(a, reference_solve(a, reference_solve(a, b)));
    return 2.0 * dot(c, w).item<double>();
  }
};

// First and second derivative of L(θ) = cᵀ solver(A(θ), b) with the solve recorded.
std::pair<double, double> derivatives(const linear_solve::LinearSolver& solver,
                                      const ThetaSystem& sys) {
  Tensor theta = scalar_tensor(sys.theta, kFloat64).requires_grad_();
  const Tensor a0 = sys.a0;
  const linalg::MatVec matvec = [a0, theta](const TensorList& v) {
    return TensorList{mv(a0, v[0]) + theta * v[0]};
  };
  const TensorList x = solver(matvec, {sys.b});
  const Tensor loss = dot(sys.c, x[0]);
  const TensorList g = grad({loss}, {theta}, {}, {.create_graph = true});
  const TensorList h = grad({g[0]}, {theta});
  return {g[0].item<double>(), h[0].item<double>()};
}

}  // namespace

TEST_CASE("solve_cg solves SPD systems, with ridge and init", "[linear_solve]") {
  const Tensor a = spd_matrix(7, 21);
  const Tensor b = vec64({7}, 22);
  const TensorList x = linear_solve::solve_cg({.rtol = 1e-12})(matrix_matvec(a), {b});
  CHECK(allclose(x[0], reference_solve(a, b), 1e-8, 1e-10));
  const TensorList xr =
      linear_solve::solve_cg({.ridge = 0.5, .rtol = 1e-12})(matrix_matvec(a), {b});
  CHECK(allclose(xr[0], reference_solve(a + eye(7, 7, kFloat64) * 0.5, b), 1e-8, 1e-10));
  int calls = 0;
  const linalg::MatVec counted = [a, &calls](const TensorList& v) {
    ++calls;
    return TensorList{mv(a, v[0])};
  };
  const TensorList xi = linear_solve::solve_cg(
      {.init = TensorList{reference_solve(a, b)}, .rtol = 1e-6})(counted, {b});
  CHECK(calls == 1);
  CHECK(allclose(xi[0], reference_solve(a, b), 1e-10, 1e-12));
  const TensorList x1 = linear_solve::solve_cg({.maxiter = 1})(matrix_matvec(a), {b});
  const double step = dot(b, b).item<double>() / dot(b, mv(a, b)).item<double>();
  CHECK(allclose(x1[0], b * step, 1e-12, 1e-14));
}

TEST_CASE("solve_normal_cg solves non-symmetric systems", "[linear_solve]") {
  const Tensor a = nonsym_matrix(6, 31);
  const Tensor b = vec64({6}, 32);
  const TensorList x = linear_solve::solve_normal_cg({.rtol = 1e-13})(matrix_matvec(a), {b});
  CHECK(allclose(x[0], reference_solve(a, b), 1e-7, 1e-9));
  // Ridge on the normal equations: (AᵀA + ridge I) x = Aᵀ b.
  const Tensor ata = matmul(a.t(), a) + eye(6, 6, kFloat64) * 0.3;
  const TensorList xr =
      linear_solve::solve_normal_cg({.ridge = 0.3, .rtol = 1e-13})(matrix_matvec(a), {b});
  CHECK(allclose(xr[0], reference_solve(ata, mv(a.t(), b)), 1e-7, 1e-9));
  // init is the example point and the initial guess.
  const TensorList xi = linear_solve::solve_normal_cg(
      {.init = TensorList{vec64({6}, 33)}, .rtol = 1e-13})(matrix_matvec(a), {b});
  CHECK(allclose(xi[0], reference_solve(a, b), 1e-7, 1e-9));
  // Scalar problem: 3 x = 6.
  const linalg::MatVec three = [](const TensorList& v) { return tree::scale(v, 3.0); };
  const TensorList xs = linear_solve::solve_normal_cg()(three, {scalar_tensor(6.0, kFloat64)});
  CHECK(xs[0].dim() == 0);
  CHECK(xs[0].item<double>() == Approx(2.0).epsilon(1e-10));
  // A two-tensor operator coupling both entries.
  const Tensor big = nonsym_matrix(5, 34);
  const linalg::MatVec coupled = [big](const TensorList& v) {
    return tree::unflatten(mv(big, tree::flatten(v)), v);
  };
  const TensorList b2 = {vec64({3}, 35), vec64({2}, 36)};
  const TensorList x2 = linear_solve::solve_normal_cg({.rtol = 1e-13})(coupled, b2);
  CHECK(allclose(tree::flatten(x2), reference_solve(big, tree::flatten(b2)), 1e-7, 1e-9));
}

TEST_CASE("solves with grad mode off give plain numbers", "[linear_solve]") {
  Tensor theta = scalar_tensor(0.7, kFloat64).requires_grad_();
  const Tensor a = spd_matrix(4, 41);
  const linalg::MatVec matvec = [a, theta](const TensorList& v) {
    return TensorList{mv(a, v[0]) + theta * v[0]};
  };
  NoGradGuard no_grad;
  CHECK_FALSE(linear_solve::solve_cg()(matvec, {vec64({4}, 42)})[0].requires_grad());
  CHECK_FALSE(linear_solve::solve_normal_cg()(matvec, {vec64({4}, 42)})[0].requires_grad());
}

TEST_CASE("first and second derivatives through recorded cg solves", "[linear_solve]") {
  const ThetaSystem spd{spd_matrix(5, 51), vec64({5}, 52), vec64({5}, 53), 0.4};
  const auto [d1, d2] = derivatives(linear_solve::solve_cg({.rtol = 1e-12}), spd);
  CHECK(d1 == Approx(spd.dl()).epsilon(1e-7));
  CHECK(d2 == Approx(spd.d2l()).epsilon(1e-6));
  const ThetaSystem ns{nonsym_matrix(5, 54), vec64({5}, 55), vec64({5}, 56), 0.3};
  const auto [n1, n2] = derivatives(linear_solve::solve_normal_cg({.rtol = 1e-12}), ns);
  CHECK(n1 == Approx(ns.dl()).epsilon(1e-7));
  CHECK(n2 == Approx(ns.d2l()).epsilon(1e-6));
}

TEST_CASE("gradient of a cg solve with respect to b", "[linear_solve]") {
  const Tensor a = spd_matrix(4, 61);
  Tensor b = vec64({4}, 62).requires_grad_();
  const Tensor c = vec64({4}, 63);
  const TensorList x = linear_solve::solve_cg({.rtol = 1e-12})(matrix_matvec(a), {b});
  const TensorList g = grad({dot(c, x[0])}, {b});
  CHECK(allclose(g[0], reference_solve(a, c), 1e-8, 1e-10));  // A symmetric: A⁻ᵀ c = A⁻¹ c
}

TEST_CASE("solve_cg and solve_normal_cg reject bad input by message", "[linear_solve]") {
  const Tensor a = spd_matrix(3, 1);
  CHECK_THROWS_WITH(linear_solve::solve_cg({.ridge = std::nan("")}),
                    Contains("linear_solve::solve_cg: ridge must be finite"));
  CHECK_THROWS_WITH(
      linear_solve::solve_normal_cg({.atol = -1.0}),
      Contains("linear_solve::solve_normal_cg: atol must be finite and non-negative"));
  CHECK_THROWS_WITH(linear_solve::solve_cg()(linalg::MatVec{}, {ones({3}, kFloat64)}),
                    Contains("linear_solve::solve_cg: the matvec function is empty"));
  CHECK_THROWS_WITH(
      linear_solve::solve_normal_cg({.init = TensorList{ones({2}, kFloat64)}})(
          matrix_matvec(a), {ones({3}, kFloat64)}),
      Contains("linear_solve::solve_normal_cg: init[0] has shape [2] but b[0] has shape [3]"));
  const linalg::MatVec detached = [a](const TensorList& v) {
    NoGradGuard no_grad;
    return TensorList{mv(a, v[0])};
  };
  CHECK_THROWS_WITH(linear_solve::solve_normal_cg()(detached, {ones({3}, kFloat64)}),
                    Contains("matvec(x) has no autograd history with respect to x"));
}

TEST_CASE("solve_inv dense and Neumann against a direct solve", "[linear_solve]") {
  const Tensor a = nonsym_matrix(6, 121);
  const Tensor b = vec64({6}, 122);
  CHECK(allclose(linear_solve::solve_inv()(matrix_matvec(a), {b})[0], reference_solve(a, b), 1e-12,
                 1e-13));
  const Tensor eye6 = eye(6, 6, kFloat64);
  CHECK(allclose(linear_solve::solve_inv({.ridge = 0.4})(matrix_matvec(a), {b})[0],
                 reference_solve(a + eye6 * 0.4, b), 1e-12, 1e-13));
  // A coupled two-tensor operator: the whole flattened matrix is materialised (TorchOpt keeps
  // only the diagonal blocks).
  const Tensor big = nonsym_matrix(5, 123);
  const linalg::MatVec coupled = [big](const TensorList& v) {
    return tree::unflatten(mv(big, tree::flatten(v)), v);
  };
  const TensorList b2 = {vec64({3}, 124), vec64({2}, 125)};
  CHECK(allclose(tree::flatten(linear_solve::solve_inv()(coupled, b2)),
                 reference_solve(big, tree::flatten(b2)), 1e-12, 1e-13));
  // Scalar: 4 x = 2.
  const linalg::MatVec four = [](const TensorList& v) { return tree::scale(v, 4.0); };
  const TensorList xs = linear_solve::solve_inv()(four, {scalar_tensor(2.0, kFloat64)});
  CHECK(xs[0].dim() == 0);
  CHECK(xs[0].item<double>() == Approx(0.5).epsilon(1e-14));
  // Neumann: SPD with spectrum in (0, 2), converged; and with alpha.
  const Tensor s = spd_matrix(6, 126) * 0.3;
  CHECK(allclose(linear_solve::solve_inv({.ns = true, .maxiter = 200})(matrix_matvec(s), {b})[0],
                 reference_solve(s, b), 1e-9, 1e-11));
  CHECK(allclose(linear_solve::solve_inv({.ns = true, .maxiter = 300, .alpha = 0.06})(
                     matrix_matvec(s * 5.0), {b})[0],
                 reference_solve(s * 5.0, b), 1e-8, 1e-10));
  CHECK(allclose(
      linear_solve::solve_inv({.ridge = 0.2, .ns = true, .maxiter = 200})(matrix_matvec(s), {b})[0],
      reference_solve(s + eye6 * 0.2, b), 1e-9, 1e-11));
  // maxiter is passed through: 0 Neumann terms after the first return b.
  CHECK(linear_solve::solve_inv({.ns = true, .maxiter = 0})(matrix_matvec(s), {b})[0]
            .to_vector<double>() == b.to_vector<double>());
}

TEST_CASE("solve_gmres and solve_bicgstab on non-symmetric systems", "[linear_solve]") {
  const Tensor a = nonsym_matrix(9, 131);
  const Tensor b = vec64({9}, 132);
  const Tensor ref = reference_solve(a, b);
  CHECK(allclose(linear_solve::solve_gmres({.rtol = 1e-12})(matrix_matvec(a), {b})[0], ref, 1e-8,
                 1e-10));
  CHECK(allclose(linear_solve::solve_bicgstab({.rtol = 1e-12})(matrix_matvec(a), {b})[0], ref, 1e-8,
                 1e-10));
  const Tensor ridged = reference_solve(a + eye(9, 9, kFloat64) * 0.7, b);
  CHECK(allclose(linear_solve::solve_gmres({.ridge = 0.7, .rtol = 1e-12, .restart = 4})(
                     matrix_matvec(a), {b})[0],
                 ridged, 1e-8, 1e-10));
  CHECK(allclose(linear_solve::solve_bicgstab({.ridge = 0.7, .init = TensorList{b}, .rtol = 1e-12})(
                     matrix_matvec(a), {b})[0],
                 ridged, 1e-8, 1e-10));
  int calls = 0;
  const linalg::MatVec counted = [a, &calls](const TensorList& v) {
    ++calls;
    return TensorList{mv(a, v[0])};
  };
  (void)linear_solve::solve_bicgstab({.rtol = 0.0, .maxiter = 2})(counted, {b});
  CHECK(calls == 4);
}

TEST_CASE("first and second derivatives through recorded Krylov and dense solves",
          "[linear_solve]") {
  const ThetaSystem sys{nonsym_matrix(5, 141), vec64({5}, 142), vec64({5}, 143), 0.25};
  for (const auto& [name, solver] : std::vector<std::pair<const char*, linear_solve::LinearSolver>>{
           {"gmres", linear_solve::solve_gmres({.rtol = 1e-12})},
           {"gmres restart 2", linear_solve::solve_gmres({.rtol = 1e-12, .restart = 2})},
           {"bicgstab", linear_solve::solve_bicgstab({.rtol = 1e-12})},
           {"inv", linear_solve::solve_inv()}}) {
    INFO(name);
    const auto [d1, d2] = derivatives(solver, sys);
    CHECK(d1 == Approx(sys.dl()).epsilon(1e-7));
    CHECK(d2 == Approx(sys.d2l()).epsilon(1e-6));
  }
  // Neumann on a contractive SPD system, converged.
  const ThetaSystem spd{spd_matrix(5, 144) * 0.3, vec64({5}, 145), vec64({5}, 146), 0.05};
  const auto [n1, n2] = derivatives(linear_solve::solve_inv({.ns = true, .maxiter = 300}), spd);
  CHECK(n1 == Approx(spd.dl()).epsilon(1e-7));
  CHECK(n2 == Approx(spd.d2l()).epsilon(1e-6));
}

TEST_CASE("solve_normal_cg on a matvec that is itself a VJP, as custom_root builds it",
          "[linear_solve]") {
  const Tensor a = nonsym_matrix(5, 151);
  const Tensor b = vec64({5}, 152);
  Tensor x_star = vec64({5}, 153).requires_grad_();
  const Tensor f = mv(a, x_star);  // F(x) = A x, so u -> (∂F/∂x)ᵀ u = Aᵀ u
  const linalg::MatVec jvp_t = [f, x_star](const TensorList& u) {
    return grad({f}, {x_star}, u, {.retain_graph = true, .create_graph = is_grad_enabled()});
  };
  NoGradGuard no_grad;  // a backward without create_graph runs the solve like this
  const TensorList x = linear_solve::solve_normal_cg({.rtol = 1e-13})(jvp_t, {b});
  CHECK_FALSE(x[0].requires_grad());
  CHECK(allclose(x[0], reference_solve(a.t().contiguous(), b), 1e-7, 1e-9));
}

TEST_CASE("solvers return zeros for an empty right-hand side", "[linear_solve]") {
  const linalg::MatVec identity = [](const TensorList& v) { return v; };
  const TensorList b = {zeros({0}, kFloat64)};
  CHECK(linear_solve::solve_inv()(identity, b)[0].numel() == 0);
  CHECK(linear_solve::solve_cg()(identity, b)[0].numel() == 0);
  CHECK(linear_solve::solve_gmres()(identity, b)[0].numel() == 0);
  CHECK(linear_solve::solve_bicgstab()(identity, b)[0].numel() == 0);
}
