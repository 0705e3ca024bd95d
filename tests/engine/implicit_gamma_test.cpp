// Reparameterized gamma draws (Gamma, Beta, Dirichlet and StudentT rsample; Note [implicit gamma
// gradient]): dx/da against -(dF/da) / f of the regularized incomplete gamma F at 40 digits
// (mpmath; PyTorch 1.13's approximation _standard_gamma_grad agrees to 1e-4), rsample's
// values equal to sample()'s, the pathwise gradients' averages against the exact derivatives of
// the means, the second derivative along the draw's path, gradcheck and gradgradcheck.
#include <cmath>
#include <vector>

#include "engine/distributions/distribution_support.hpp"
#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::distributions::Beta;
using metagrad::distributions::Dirichlet;
using metagrad::distributions::Gamma;
using metagrad::distributions::StudentT;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;

namespace {

Tensor f64(const std::vector<double>& values) {
  return tensor(values, {static_cast<int64_t>(values.size())}, kFloat64);
}

}  // namespace

TEST_CASE("the implicit gamma gradient is -(dF/da) / f", "[distributions][rsample]") {
  // (a, x) from the lower tail to the upper, small and large a; the references are mpmath's
  // -(dP/da) / f at 40 digits (regularized incomplete gamma P, its numerical a-derivative).
  const Tensor a = f64({0.3, 0.3, 1.0, 2.5, 7.0, 20.0, 150.0, 1000.0, 0.05, 0.5, 4.0});
  const Tensor x = f64({0.01, 1.5, 0.5, 4.0, 3.0, 35.0, 120.0, 1060.0, 1e-12, 8.0, 0.05});
  const Tensor want = f64({0.14920695356145887142, 3.2130227806903225717, 0.80697911682531802002,
                           1.3396081953658442874, 0.65033964338370818462, 1.3166053872853059966,
                           0.89356489221068261619, 1.0295889446447841557, 5.4266352249310847918e-10,
                           3.9286293481489575165, 0.056865964416264338714});
  CHECK(allclose(detail::standard_gamma_grad(x, a), want, 1e-11, 0));
  CHECK(allclose(detail::standard_gamma_grad(x.to(kFloat32), a.to(kFloat32)), want.to(kFloat32),
                 1e-6, 0));
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {detail::standard_gamma_grad(in[0], in[1])};
      },
      {f64({0.2, 1.7, 6.0}).requires_grad_(), f64({0.5, 1.2, 4.0}).requires_grad_()});
}

TEST_CASE("rsample draws sample()'s values", "[distributions][rsample]") {
  const Tensor a = f64({0.4, 2.0, 30.0}), b = f64({1.5, 0.7, 3.0});
  Generator g1(4), g2(4), g3(4), g4(4), g5(4), g6(4);
  CHECK(allclose(Gamma(a, b).rsample({5}, &g1), Gamma(a, b).sample({5}, &g2), 0, 0));
  CHECK(allclose(Beta(a, b).rsample({5}, &g3), Beta(a, b).sample({5}, &g4), 0, 0));
  CHECK(allclose(Dirichlet(a).rsample({5}, &g5), Dirichlet(a).sample({5}, &g6), 0, 0));
  Generator g7(4), g8(4);
  const StudentT t(a, b, f64({2.0, 0.5, 1.0}));
  CHECK(allclose(t.rsample({5}, &g7), t.sample({5}, &g8), 0, 0));
}

TEST_CASE("rsample's pathwise gradients average to the derivatives of the means",
          "[distributions][rsample]") {
  const int64_t draws = 40000;
  Generator generator(2026);
  const Tensor a = f64({0.4, 2.0, 30.0}).requires_grad_(), rate = f64({1.0, 2.0, 0.5});
  const Tensor rate_leaf = rate.detach().requires_grad_();
  const Tensor x = Gamma(a, rate_leaf).rsample({draws}, &generator);
  // E[x] = a / rate: d/da = 1 / rate, d/drate = -a / rate^2.
  const TensorList mean_grads =
      grad({sum(mean(x, {0}))}, {a, rate_leaf}, {}, {.retain_graph = true});
  CHECK(allclose(mean_grads[0], reciprocal(rate), 0.02, 0));
  CHECK(allclose(mean_grads[1], -a.detach() / square(rate), 0.02, 0));
  // E[log x] = digamma(a) - log(rate): d/da = polygamma(1, a).
  const Tensor log_grad = grad({sum(mean(log(x), {0}))}, {a})[0];
  CHECK(allclose(log_grad, polygamma(1, a.detach()), 0.02, 0));

  // Beta: E[x] = a / (a + b), d/da = b / (a + b)^2, d/db = -a / (a + b)^2.
  const Tensor b = f64({1.5, 0.7, 3.0}).requires_grad_();
  const Tensor y = Beta(a, b).rsample({draws}, &generator);
  const TensorList beta_grads = grad({sum(mean(y, {0}))}, {a, b});
  const Tensor total = a.detach() + b.detach();
  CHECK(allclose(beta_grads[0], b.detach() / square(total), 0.03, 0));
  CHECK(allclose(beta_grads[1], -a.detach() / square(total), 0.03, 0));

  // Dirichlet: E[x_i] = a_i / a0, so the gradient of sum_i w_i E[x_i] in a_j is
  // (w_j - sum_i w_i a_i / a0) / a0.
  const Tensor alpha = f64({0.5, 1.5, 3.0}).requires_grad_(), weights = f64({1.0, -2.0, 0.5});
  const Tensor z = Dirichlet(alpha).rsample({draws}, &generator);
  const Tensor dirichlet_grad = grad({sum(mean(z, {0}) * weights)}, {alpha})[0];
  const double a0 = 5.0, weighted = (0.5 * 1.0 - 2.0 * 1.5 + 0.5 * 3.0) / a0;
  CHECK(allclose(dirichlet_grad, (weights - weighted) / a0, 0.03, 0.003));

  // StudentT: E[x] = loc (df > 1) and E[|x - loc|] = scale * 2 sqrt(df) Gamma((df + 1) / 2) /
  // (sqrt(pi) (df - 1) Gamma(df / 2)), whose df-derivative is checked against a central
  // difference of that formula.
  const Tensor df = f64({3.0, 6.0}).requires_grad_(), loc = f64({0.5, -1.0}).requires_grad_();
  const Tensor t = StudentT(df, loc, f64({1.0, 2.0})).rsample({draws}, &generator);
  const TensorList t_grads = grad({sum(mean(abs(t - loc.detach()), {0}))}, {df, loc});
  const auto mean_abs = [](const Tensor& nu, const Tensor& scale) {
    return scale * 2.0 * sqrt(nu) * exp(lgamma((nu + 1.0) * 0.5) - lgamma(nu * 0.5)) /
           (std::sqrt(M_PI) * (nu - 1.0));
  };
  const Tensor scales = f64({1.0, 2.0}), nu = f64({3.0, 6.0});
  const Tensor slope = (mean_abs(nu + 1e-5, scales) - mean_abs(nu - 1e-5, scales)) / 2e-5;
  CHECK(allclose(t_grads[0], slope, 0.05, 0));
  CHECK(allclose(t_grads[1], zeros_like(t_grads[1]), 0, 0.02));
}

TEST_CASE("rsample's second derivative follows the draw along its path",
          "[distributions][rsample]") {
  // x(a) keeps its CDF value, so d2x/da2 = d/da h(x(a), a) with h = dx/da: a central difference
  // of h along the path (x +- eps h, a +- eps).
  const Tensor a = f64({0.6, 3.0, 12.0}).requires_grad_();
  Generator generator(8);
  const Tensor x = Gamma(a, f64({1.0, 1.0, 1.0})).rsample({}, &generator);
  const Tensor first = grad({sum(x)}, {a}, {}, {.create_graph = true})[0];
  const Tensor second = grad({sum(first)}, {a})[0];
  const Tensor x0 = x.detach(), a0 = a.detach();
  const Tensor h = detail::standard_gamma_grad(x0, a0);
  CHECK(allclose(first.detach(), h, 1e-14, 0));
  const double eps = 1e-5;
  const Tensor path = (detail::standard_gamma_grad(x0 + eps * h, a0 + eps) -
                       detail::standard_gamma_grad(x0 - eps * h, a0 - eps)) /
                      (2 * eps);
  CHECK(allclose(second, path, 1e-6, 1e-9));
}

TEST_CASE("rsample in float32 gives float32 draws and gradients", "[distributions][rsample]") {
  const Tensor a = tensor({0.5, 4.0}, {2}, kFloat32).requires_grad_();
  Generator generator(1);
  const Tensor x = Gamma(a, tensor({1.0, 1.0}, {2}, kFloat32)).rsample({3}, &generator);
  CHECK(x.dtype() == kFloat32);
  const Tensor g = grad({sum(x)}, {a})[0];
  CHECK(g.dtype() == kFloat32);
  const Tensor want = sum(
      detail::standard_gamma_grad(x.detach().to(kFloat64), expand(a.detach().to(kFloat64), {3, 2})),
      {0});
  CHECK(allclose(g, want, 1e-5, 0));
}
