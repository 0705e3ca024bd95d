// Meta-gradients through differentiable (out-of-place) updates: an unrolled Adam loop against
// central finite differences, and hooks acting on the meta-gradient.
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using metagrad::testing::allclose;

// Inner objective: sum(exp(0.3 theta) + w (theta - c)^2), non-quadratic so that the Hessian
// matters.
Tensor inner_loss(const Tensor& theta) {
  const Tensor c = tensor({0.5, -1.0, 2.0, 0.0}, kFloat64);
  const Tensor w = tensor({1.0, 0.5, 2.0, 1.5}, kFloat64);
  return add(sum(exp(mul(theta, 0.3))), sum(mul(w, square(sub(theta, c)))));
}

// Outer objective of the adapted parameters.
Tensor outer_loss(const Tensor& theta) { return add(sum(sin(theta)), sum(mul(theta, theta))); }

// K Adam steps from phi, starting from the given first moment; returns the outer loss. With
// `differentiable`, inner gradients are taken with create_graph and updates are out of place, so
// the result depends on phi and mu0 through the whole unrolled loop.
Tensor unrolled(const Tensor& phi, const Tensor& mu0, bool differentiable, int steps = 3) {
  const auto opt = adam({.lr = 0.1, .eps_root = 1e-8, .moment_requires_grad = true});
  Tensor theta = phi;
  OptState state = opt.init({theta});
  state.children[0].tensor_list("mu")[0] = mu0;
  for (int k = 0; k < steps; ++k) {
    const TensorList g = grad({inner_loss(theta)}, {theta}, {}, {.create_graph = differentiable});
    theta = apply_updates({theta}, opt.update(g, state, {theta}, false), false)[0];
  }
  return outer_loss(theta);
}

TEST_CASE("meta-gradient through 3 adam steps matches finite differences", "[optim][meta]") {
  const Tensor phi = tensor({0.3, -0.7, 1.1, 0.05}, kFloat64).requires_grad_();
  const Tensor mu0 = tensor({0.1, -0.2, 0.05, 0.3}, kFloat64).requires_grad_();
  const TensorList analytic = grad({unrolled(phi, mu0, true)}, {phi, mu0});

  const double h = 1e-6;
  auto value = [&](const Tensor& p, const Tensor& m) {
    return unrolled(p.detach().requires_grad_(), m.detach(), false).item<double>();
  };
  for (int which = 0; which < 2; ++which) {
    const Tensor& base = which == 0 ? phi : mu0;
    const auto b = base.to_vector<double>();
    std::vector<double> numeric(b.size());
    for (size_t i = 0; i < b.size(); ++i) {
      auto plus = b, minus = b;
      plus[i] += h;
      minus[i] -= h;
      const Tensor tp = tensor(plus, kFloat64), tm = tensor(minus, kFloat64);
      const double fp = which == 0 ? value(tp, mu0) : value(phi, tp);
      const double fm = which == 0 ? value(tm, mu0) : value(phi, tm);
      numeric[i] = (fp - fm) / (2 * h);
    }
    INFO((which == 0 ? "d/d phi" : "d/d mu0"));
    CHECK(allclose(analytic[which], tensor(numeric, kFloat64), 1e-6, 1e-7));
    // Not trivially zero: the meta-gradient really flows through the loop.
    CHECK(analytic[which].abs().max().item<double>() > 1e-3);
  }
}

// Outer gradient with respect to `w`, fed (through a multiplication) as the update of a zero-state
// Adam step without eps_root: at w = 0, d sqrt(nu)/d nu is infinite and the meta-gradient NaN.
Tensor meta_grad_through(const GradientTransformation& opt, const Tensor& w) {
  const TensorList params = {tensor({1.0, 2.0}, kFloat64)};
  OptState state = opt.init(params);
  const TensorList updates = opt.update({mul(w, 1.0)}, state, params, false);
  const Tensor adapted = apply_updates(params, updates, false)[0];
  return grad({sum(mul(adapted, adapted))}, {w})[0];
}

TEST_CASE("hooks act on the meta-gradient flowing back through the updates", "[optim][meta]") {
  const Tensor w = tensor({0.0, 0.5}, kFloat64).requires_grad_();
  const Tensor plain = meta_grad_through(adam({.lr = 0.1}), w);
  const auto p = plain.to_vector<double>();
  REQUIRE(std::isnan(p[0]));
  REQUIRE(std::isfinite(p[1]));

  const Tensor zeroed =
      meta_grad_through(chain(register_hook(zero_nan_hook), adam({.lr = 0.1})), w);
  CHECK(zeroed.to_vector<double>() == std::vector<double>{0.0, p[1]});

  const Tensor replaced =
      meta_grad_through(chain(register_hook(nan_to_num_hook(7.0)), adam({.lr = 0.1})), w);
  CHECK(replaced.to_vector<double>() == std::vector<double>{7.0, p[1]});

  // The hook functions themselves.
  const Tensor g = tensor({NAN, INFINITY, -INFINITY, 2.0}, kFloat64);
  const auto z = zero_nan_hook(g).to_vector<double>();
  CHECK(z[0] == 0.0);
  CHECK(z[1] == std::numeric_limits<double>::max());
  CHECK(z[2] == std::numeric_limits<double>::lowest());
  CHECK(z[3] == 2.0);
  CHECK(nan_to_num_hook(1.0, 5.0, -5.0)(g).to_vector<double>() ==
        std::vector<double>{1.0, 5.0, -5.0, 2.0});

  // Updates that do not require grad are passed through untouched.
  auto hooked = register_hook(zero_nan_hook);
  OptState s = hooked.init({g});
  const TensorList out = hooked.update({g}, s, {}, false);
  CHECK(out[0].is_same(g));
}

TEST_CASE("moments created with moment_requires_grad carry the meta-gradient", "[optim][meta]") {
  // sgd with momentum: the initial trace is a leaf in the graph.
  const auto opt = sgd({.lr = 0.1, .momentum = 0.9, .moment_requires_grad = true});
  const TensorList params = {tensor({1.0, -1.0}, kFloat64)};
  OptState state = opt.init(params);
  const Tensor t0 = state.children[0].tensor_list("trace")[0];
  REQUIRE(t0.requires_grad());
  TensorList p = params;
  for (int k = 0; k < 2; ++k) {
    p = apply_updates(p, opt.update({tensor({0.5, 0.25}, kFloat64)}, state, p, false), false);
  }
  // p2 = p0 - lr (t1 + t2) with t1 = t0 + g, t2 = 0.9 t1 + g: d sum(p2) / d t0 = -lr (1 + 0.9).
  const Tensor d = grad({sum(p[0])}, {t0})[0];
  CHECK(allclose(d, full({2}, -0.19, kFloat64), 1e-14, 1e-15));
}

}  // namespace
