// Uniform, Exponential, Laplace, Gamma, Beta, Dirichlet and Poisson: log_prob, cdf, entropy and
// kl_divergence against PyTorch 1.13's values (float64), sample moments and shapes, reparametrised
// gradients, gradcheck and gradgradcheck of the densities in their parameters, and the errors.
#include <cmath>
#include <limits>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::distributions::Beta;
using metagrad::distributions::Dirichlet;
using metagrad::distributions::Exponential;
using metagrad::distributions::Gamma;
using metagrad::distributions::kl_divergence;
using metagrad::distributions::Laplace;
using metagrad::distributions::Poisson;
using metagrad::distributions::Uniform;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor f64(const std::vector<double>& values) {
  return tensor(values, {static_cast<int64_t>(values.size())}, kFloat64);
}

// Mean and variance of the draws along dim 0.
std::pair<Tensor, Tensor> moments(const Tensor& draws) {
  const Tensor mean = draws.mean({0});
  return {mean, square(draws - mean).mean({0})};
}

}  // namespace

TEST_CASE("Uniform matches torch.distributions.Uniform", "[distributions]") {
  const Uniform u(f64({0.0, -1.0, 2.0}), f64({1.0, 3.0, 2.5}));
  const Tensor value = f64({0.5, 3.5, 2.2});
  CHECK(u.log_prob(value).to_vector<double>() == std::vector<double>{0.0, -kInf, std::log(2.0)});
  CHECK(allclose(u.cdf(value), f64({0.5, 1.0, 0.40000000000000036}), 1e-15));
  CHECK(allclose(u.entropy(), f64({0.0, 1.3862943611198906, -0.6931471805599453}), 1e-15));
  const Uniform wider(f64({-1.0, -2.0, 1.0}), f64({2.0, 3.0, 2.4}));
  const Tensor kl = kl_divergence(u, wider);
  CHECK(allclose(kl.slice(0, 0, 2), f64({1.0986122886681098, 0.22314355131420976}), 1e-15));
  CHECK(kl.to_vector<double>()[2] == kInf);  // [2, 2.5) is not inside [1, 2.4)
  CHECK(allclose(u.mean(), f64({0.5, 1.0, 2.25}), 1e-15));
  CHECK(allclose(u.variance(), f64({1.0 / 12, 16.0 / 12, 0.25 / 12}), 1e-15));

  Generator gen(3);
  const Tensor low = f64({-1.0, 2.0}).requires_grad_(), high = f64({1.0, 6.0}).requires_grad_();
  const Uniform v(low, high);
  const Tensor draws = v.rsample({40000}, &gen);
  REQUIRE(draws.shape() == Dims{40000, 2});
  const auto [mean, variance] = moments(draws.detach());
  CHECK(allclose(mean, f64({0.0, 4.0}), 0, 0.02));
  CHECK(allclose(variance, f64({4.0 / 12, 16.0 / 12}), 0.02));
  CHECK(all(ge(draws, low)).item<bool>());
  CHECK(all(lt(draws, high)).item<bool>());
  // d (low + u (high - low)) / d low = 1 - u, summed over the draws: n (1 - mean u) = n / 2.
  const TensorList g = grad({draws.sum()}, {low, high});
  CHECK(allclose(g[0] + g[1], f64({40000.0, 40000.0}), 1e-12));
  CHECK(allclose(g[0], f64({20000.0, 20000.0}), 0.02));
}

TEST_CASE("Exponential and Laplace match PyTorch", "[distributions]") {
  const Exponential e(f64({0.5, 2.0, 7.0}));
  const Tensor ve = f64({0.3, 1.5, 0.01});
  CHECK(allclose(e.log_prob(ve),
                 f64({-0.8431471805599453, -2.3068528194400546, 1.8759101490553132}), 1e-15));
  CHECK(allclose(e.cdf(ve), f64({0.1392920235749422, 0.950212931632136, 0.06760618009405173}),
                 1e-15));
  CHECK(allclose(e.entropy(), f64({1.6931471805599454, 0.3068528194400547, -0.9459101490553132}),
                 1e-15));
  CHECK(allclose(kl_divergence(e, Exponential(f64({1.0, 0.3, 7.5}))),
                 f64({0.3068528194400546, 1.0471199848858812, 0.002435699941619962}), 1e-13));

  const Laplace l(f64({0.0, 1.0, -2.0}), f64({1.0, 0.5, 3.0}));
  const Tensor vl = f64({0.7, 0.2, -2.0});
  CHECK(allclose(l.log_prob(vl), f64({-1.3931471805599451, -1.6, -1.791759469228055}), 1e-15));
  CHECK(allclose(l.cdf(vl), f64({0.7517073481042953, 0.10094825899732768, 0.5}), 1e-15));
  CHECK(allclose(l.entropy(), f64({1.6931471805599454, 1.0, 2.791759469228055}), 1e-15));
  CHECK(allclose(kl_divergence(l, Laplace(f64({0.5, 1.0, 0.0}), f64({2.0, 0.25, 3.0}))),
                 f64({0.246412510416262, 0.3068528194400546, 0.18008378569925876}), 1e-14));

  Generator gen(5);
  const Tensor rate = f64({0.5, 4.0}).requires_grad_();
  const Tensor draws = Exponential(rate).rsample({40000}, &gen);
  const auto [mean, variance] = moments(draws.detach());
  CHECK(allclose(mean, f64({2.0, 0.25}), 0.03));
  CHECK(allclose(variance, f64({4.0, 0.0625}), 0.06));
  // d(-log(1 - u) / rate) / d rate = -draw / rate.
  CHECK(allclose(grad({draws.sum()}, {rate})[0], -draws.detach().sum({0}) / rate.detach(), 1e-12));
  const Tensor laplace_draws = Laplace(f64({1.0, -3.0}), f64({0.5, 2.0})).sample({40000}, &gen);
  const auto [lmean, lvariance] = moments(laplace_draws);
  CHECK(allclose(lmean, f64({1.0, -3.0}), 0, 0.05));
  CHECK(allclose(lvariance, f64({0.5, 8.0}), 0.05));

  check_grads(
      [&](const TensorList& p) {
        return TensorList{Laplace(p[0], p[1]).log_prob(vl), Laplace(p[0], p[1]).entropy(),
                          Exponential(p[1]).log_prob(ve), Exponential(p[1]).cdf(ve)};
      },
      {f64({0.1, 1.3, -1.0}).requires_grad_(), f64({1.2, 0.7, 2.5}).requires_grad_()});
}

TEST_CASE("Gamma and Beta match PyTorch", "[distributions]") {
  const Tensor a = f64({0.5, 1.0, 2.5, 9.0}).requires_grad_();
  const Tensor rate = f64({1.0, 2.0, 0.5, 3.0}).requires_grad_();
  const Gamma g(a, rate);
  const Tensor vg = f64({0.2, 1.0, 4.0, 3.3});
  const Tensor lp = g.log_prob(vg);
  CHECK(allclose(
      lp, f64({0.03235401329234999, -1.3068528194400546, -1.9381092801929467, -1.0657125569527839}),
      1e-14));
  CHECK(allclose(g.entropy(),
                 f64({0.09060992991398853, 0.3068528194400547, 2.423095090065, 1.3808587904322636}),
                 1e-14));
  const TensorList glp = grad({lp.sum()}, {a, rate});
  CHECK(allclose(
      glp[0],
      f64({0.3540721135873226, 1.2703628454614782, -0.010009460085297794, 0.15189327918493456}),
      1e-13));
  CHECK(allclose(glp[1], f64({0.3, -0.5, 1.0, -0.2999999999999998}), 1e-14));
  CHECK(allclose(
      kl_divergence(g, Gamma(f64({1.5, 1.0, 2.0, 4.0}), f64({0.7, 1.0, 0.5, 2.0}))),
      f64({1.655375261369576, 0.1931471805599453, 0.06689544984970236, 0.5122243886935101}),
      1e-13));

  const Tensor b1 = f64({0.5, 1.0, 2.5, 9.0}).requires_grad_();
  const Tensor b0 = f64({0.5, 3.0, 2.5, 1.5}).requires_grad_();
  const Beta b(b1, b0);
  CHECK(allclose(
      b.log_prob(f64({0.1, 0.4, 0.5, 0.95})),
      f64({0.05924291847653573, 0.07696104113612823, 0.5292465477222716, 1.5485920624163576}),
      1e-14));
  const Tensor entropy = b.entropy();
  CHECK(allclose(
      entropy,
      f64({-0.24156447527048996, -0.43194562200144304, -0.1998050060424359, -1.0246725733975879}),
      1e-14));
  // The entropy's gradient needs trigamma, where PyTorch's is accurate to ~1e-9 only.
  const TensorList gent = grad({entropy.sum()}, {b1, b0});
  CHECK(allclose(
      gent[0],
      f64({0.8224670333985014, 0.5676459115394306, -0.07156776710675083, -0.09080199105344189}),
      1e-8));
  CHECK(allclose(
      gent[1],
      f64({0.8224670333985014, -0.22222222232446098, -0.07156776710675083, 0.38189302601984115}),
      1e-8));
  CHECK(allclose(
      kl_divergence(b, Beta(f64({1.0, 2.0, 2.0, 5.0}), f64({1.0, 2.0, 3.0, 1.0}))),
      f64({0.24156447527048996, 0.8068528194400544, 0.12378143961410704, 0.06467288633179535}),
      1e-13));

  check_grads(
      [](const TensorList& p) {
        const Tensor value = f64({0.3, 0.6, 0.9});
        return TensorList{Gamma(p[0], p[1]).log_prob(value * 3.0), Gamma(p[0], p[1]).entropy(),
                          Beta(p[0], p[1]).log_prob(value), Beta(p[0], p[1]).entropy()};
      },
      {f64({0.7, 1.6, 3.2}).requires_grad_(), f64({1.1, 0.4, 2.3}).requires_grad_()});
}

TEST_CASE("Gamma and Beta samples: moments over small and large concentrations",
          "[distributions]") {
  Generator gen(7);
  // a < 1 takes the boost u^(1/a); a >= 1 the squeeze directly.
  const Tensor a = f64({0.3, 1.0, 4.5, 40.0}), rate = f64({1.0, 2.0, 0.5, 4.0});
  const Tensor draws = Gamma(a, rate).sample({50000}, &gen);
  REQUIRE(draws.shape() == Dims{50000, 4});
  CHECK(all(gt(draws, 0.0)).item<bool>());
  const auto [mean, variance] = moments(draws);
  CHECK(allclose(mean, a / rate, 0.03));
  CHECK(allclose(variance, a / square(rate), 0.05));
  // float32 draws stay float32 and positive.
  const Tensor draws32 =
      Gamma(f64({0.05, 2.0}).to(kFloat32), f64({1.0, 1.0}).to(kFloat32)).sample({1000}, &gen);
  CHECK(draws32.dtype() == kFloat32);
  CHECK(all(gt(draws32, 0.0)).item<bool>());

  const Tensor b1 = f64({0.5, 2.0, 8.0}), b0 = f64({0.5, 5.0, 1.5});
  const Tensor beta_draws = Beta(b1, b0).sample({50000}, &gen);
  CHECK(all(ge(beta_draws, 0.0)).item<bool>());
  CHECK(all(le(beta_draws, 1.0)).item<bool>());
  const auto [bmean, bvariance] = moments(beta_draws);
  const Tensor total = b1 + b0;
  CHECK(allclose(bmean, b1 / total, 0.02));
  CHECK(allclose(bvariance, b1 * b0 / (square(total) * (total + 1.0)), 0.05));
  // The same seed gives the same draws.
  Generator again(7);
  CHECK(Gamma(a, rate).sample({50000}, &again).to_vector<double>() == draws.to_vector<double>());
}

TEST_CASE("Dirichlet matches torch.distributions.Dirichlet", "[distributions]") {
  const Tensor a = tensor({0.5, 1.0, 2.0, 3.0, 0.7, 1.5}, {2, 3}, kFloat64).requires_grad_();
  const Dirichlet d(a);
  CHECK(d.batch_shape() == Dims{2});
  const Tensor value = tensor({0.2, 0.3, 0.5, 0.6, 0.1, 0.3}, {2, 3}, kFloat64);
  const Tensor lp = d.log_prob(value);
  CHECK(allclose(lp, f64({0.7401804350794791, 1.7175458509968105}), 1e-14));
  CHECK(allclose(d.entropy(), f64({-1.4815696872089312, -1.471473611449107}), 1e-14));
  CHECK(allclose(d.variance().reshape({6}),
                 f64({0.027210884353741496, 0.045351473922902494, 0.05442176870748299,
                      0.03936820003817522, 0.01878936820003817, 0.033105077304829165}),
                 1e-14));
  CHECK(allclose(grad({lp.sum()}, {a})[0].reshape({6}),
                 f64({1.4572287542325657, 0.47639950122083974, -0.012774875013169207,
                      0.11582417051737948, 0.46687259008572646, 0.3089713510773249}),
                 1e-13));
  const Dirichlet q(tensor({1.0, 1.0, 1.0, 2.0, 2.0, 0.5}, {2, 3}, kFloat64));
  CHECK(allclose(kl_divergence(d, q), f64({0.7884225066489858, 2.2297373831928766}), 1e-13));
  CHECK_THROWS_WITH(kl_divergence(d, Dirichlet(f64({1.0, 2.0}))),
                    MG_CONTAINS("kl_divergence: the Dirichlets have 3 and 2 categories"));

  Generator gen(9);
  const Tensor draws = d.sample({40000}, &gen);
  REQUIRE(draws.shape() == Dims{40000, 2, 3});
  CHECK(allclose(sum(draws, {-1}), ones({40000, 2}, kFloat64), 1e-14));
  const auto [mean, variance] = moments(draws);
  CHECK(allclose(mean, d.mean().detach(), 0.02));
  CHECK(allclose(variance, d.variance().detach(), 0.06));
  check_grads(
      [value](const TensorList& p) {
        const Dirichlet dp(p[0]);
        return TensorList{dp.log_prob(value), dp.entropy(),
                          kl_divergence(dp, Dirichlet(p[0] * 2.0))};
      },
      {tensor({0.6, 1.4, 2.2, 3.1, 0.9, 1.7}, {2, 3}, kFloat64).requires_grad_()});
}

TEST_CASE("Poisson matches torch.distributions.Poisson; its samples have its moments",
          "[distributions]") {
  const Tensor rate = f64({0.5, 4.0, 30.0, 500.0}).requires_grad_();
  const Poisson p(rate);
  const Tensor lp = p.log_prob(f64({0.0, 3.0, 28.0, 512.0}));
  CHECK(allclose(lp, f64({-0.5, -1.6328763858683835, -2.656216450641182, -4.181125234186311}),
                 1e-14));
  CHECK(allclose(grad({lp.sum()}, {rate})[0],
                 f64({-1.0, -0.25, -0.06666666666666665, 0.02400000000000002}), 1e-14));
  CHECK(allclose(kl_divergence(p, Poisson(f64({1.0, 4.0, 25.0, 510.0}))),
                 f64({0.15342640972002736, 0.0, 0.4696467038186469, 0.09868635191011776}), 1e-13));
  CHECK(Poisson(f64({0.0})).log_prob(f64({0.0, 1.0})).to_vector<double>() ==
        std::vector<double>{0.0, -kInf});

  // Rates on both sides of the switch from the product of uniforms to PTRS at 10.
  Generator gen(13);
  const Tensor rates = f64({0.0, 0.3, 4.0, 9.9, 10.0, 37.0, 800.0});
  const Tensor draws = Poisson(rates).sample({40000}, &gen);
  REQUIRE(draws.shape() == Dims{40000, 7});
  CHECK(allclose(draws, floor(draws), 0, 0));
  CHECK(all(ge(draws, 0.0)).item<bool>());
  const auto [mean, variance] = moments(draws);
  CHECK(allclose(mean, rates, 0.02, 0.01));
  CHECK(allclose(variance, rates, 0.04, 0.01));
  // The frequency of each small count is its probability.
  const Tensor column = draws.select(1, 2);
  for (double k : {0.0, 2.0, 4.0, 7.0}) {
    const double frequency = metagrad::mean(eq(column, k).to(kFloat64)).item<double>();
    const double probability = std::exp(k * std::log(4.0) - 4.0 - std::lgamma(k + 1.0));
    INFO("count " << k);
    CHECK(std::abs(frequency - probability) < 0.006);
  }
  check_grads(
      [](const TensorList& in) {
        return TensorList{Poisson(in[0]).log_prob(f64({0.0, 2.0, 7.0}))};
      },
      {f64({0.4, 2.5, 12.0}).requires_grad_()});
}

TEST_CASE("continuous distributions: errors name the distribution and the parameter",
          "[distributions]") {
  CHECK_THROWS_WITH(Uniform(f64({1.0}), f64({1.0})),
                    MG_CONTAINS("Uniform: high - low must be positive everywhere"));
  CHECK_THROWS_WITH(Exponential(f64({0.0, 1.0})),
                    MG_CONTAINS("Exponential: rate must be positive everywhere (rate shape [2])"));
  CHECK_THROWS_WITH(Laplace(f64({0.0}), f64({-1.0})),
                    MG_CONTAINS("Laplace: scale must be positive"));
  CHECK_THROWS_WITH(Gamma(f64({1.0, 2.0}), f64({1.0, 2.0, 3.0})), MG_CONTAINS("Gamma"));
  CHECK_THROWS_WITH(Beta(f64({1.0}), f64({-2.0})),
                    MG_CONTAINS("Beta: concentration0 must be positive"));
  CHECK_THROWS_WITH(Poisson(f64({1.0, -0.5})),
                    MG_CONTAINS("Poisson: rate must be non-negative everywhere (rate shape [2])"));
  CHECK_THROWS_WITH(Dirichlet(f64({1.0, 0.0})),
                    MG_CONTAINS("Dirichlet: concentration must be positive everywhere"));
  CHECK_THROWS_WITH(Dirichlet(tensor(std::vector<double>{2.0}, {}, kFloat64)),
                    MG_CONTAINS("Dirichlet: the concentration must be [*, K]"));
  CHECK_THROWS_WITH(Gamma(tensor({1, 2}, kInt64), tensor({1, 2}, kInt64)),
                    MG_CONTAINS("Gamma: expected a float32 or float64 tensor, got int64"));
}
