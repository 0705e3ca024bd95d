// zero_order and ZeroOrderGradientModule: each estimator against the exact gradient of a quadratic
// within a bound derived from the estimator's variance, reproducibility across thread counts,
// argnums and list arguments, the distributions, and the module.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <vector>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;

namespace {

// Note [zero-order test bounds]
// f(θ) = ½‖Aθ − b‖², so with g = Aᵀ(Aθ − b), H = AᵀA, f0 = f(θ), s = gᵀz, q = zᵀHz:
//   f(θ ± σz) = f0 ± σ s + (σ²/2) q   exactly.
// One sample of each estimator, coordinate i (a = f0/σ, c = σ/2):
//   naive       X_i = z_i (a + s + c q)
//   forward     X_i = z_i (s + c q)
//   antithetic  X_i = z_i s
// Each has mean g_i when E[z] = 0, E[zzᵀ] = I and third moments vanish. For z ~ N(0, I), Stein's
// identity applied twice gives E[z_i² F(z)] = E[F] + E[∂²F/∂z_i²], hence
//   E[z_i²] = 1,  E[z_i² s] = E[z_i² s q] = 0 (odd moments),
//   E[z_i² s²] = ‖g‖² + 2g_i²,  E[z_i² q] = tr H + 2H_ii,
//   E[z_i² q²] = (tr H)² + 2 tr(H²) + 8 (H²)_ii + 4 H_ii tr H    (∂_i² q² = 8(Hz)_i² + 4 H_ii q),
// so Var X_i = E[X_i²] − g_i² is
//   naive       a² + ‖g‖² + g_i² + 2ac (tr H + 2H_ii) + c² E[z_i² q²]
//   forward     ‖g‖² + g_i² + c² E[z_i² q²]
//   antithetic  ‖g‖² + g_i².
// For any distribution with independent, symmetric, unit-variance coordinates and fourth moment
// μ4, the antithetic one is E[z_i² s²] − g_i² = ‖g‖² + (μ4 − 2) g_i² (μ4 = 3 normal, 9/5 for
// U(−√3, √3), 1 for ±1). The mean of n independent samples has variance Var X_i / n; the tests
// require |estimate_i − g_i| ≤ 5 √(Var X_i / n) (a 5-sigma band: a correct estimator with the fixed
// seed lies far inside it) and check first that each band is narrow (< 25 % of max_j |g_j|), so
// that a wrong scale (TorchOpt's forward multiplies by σ instead of dividing), sign or baseline
// fails.

constexpr double kSigmas = 5.0;

struct Quadratic {
  Tensor A, b, theta;
  std::vector<double> g, h_diag, h2_diag;
  double f0 = 0, tr_h = 0, tr_h2 = 0, g_norm2 = 0;

  Quadratic() {
    A = tensor({1.0, 0.5, -0.3, 0.2, 1.2, 0.4, -0.5, 0.3, 0.9, 0.6, -0.2, 0.7}, {4, 3}, kFloat64);
    b = tensor({0.3, -0.2, 0.5, 0.1}, kFloat64);
    theta = tensor({0.8, -0.6, 0.9}, kFloat64);
    const Tensor r = matmul(A, theta) - b;
    f0 = 0.5 * (r * r).sum().item<double>();
    g = matmul(A.t(), r).to_vector<double>();
    const Tensor H = matmul(A.t(), A);
    const std::vector<double> h = H.to_vector<double>(), h2 = matmul(H, H).to_vector<double>();
    for (size_t i = 0; i < 3; ++i) {
      h_diag.push_back(h[i * 3 + i]);
      h2_diag.push_back(h2[i * 3 + i]);
      tr_h += h_diag.back();
      tr_h2 += h2_diag.back();
      g_norm2 += g[i] * g[i];
    }
  }
  Tensor operator()(const Tensor& t) const {
    const Tensor r = matmul(A, t) - b;
    return (r * r).sum() * 0.5;
  }
  // Var X_i of one sample of `method` with normal z (Note [zero-order test bounds]).
  double variance(ZeroOrderMethod method, double sigma, size_t i) const {
    const double a = f0 / sigma, c = sigma / 2;
    const double zq2 = tr_h * tr_h + 2 * tr_h2 + 8 * h2_diag[i] + 4 * h_diag[i] * tr_h;
    const double base = g_norm2 + g[i] * g[i];
    switch (method) {
      case ZeroOrderMethod::naive:
        return a * a + base + 2 * a * c * (tr_h + 2 * h_diag[i]) + c * c * zq2;
      case ZeroOrderMethod::forward:
        return base + c * c * zq2;
      case ZeroOrderMethod::antithetic:
        return base;
    }
    return 0;
  }
};

// Checks |estimate_i − g_i| ≤ 5 √(var_i / n) after checking that the band is narrow.
void check_within_band(const std::vector<double>& estimate, const std::vector<double>& g,
                       const std::vector<double>& variance, int n) {
  REQUIRE(estimate.size() == g.size());
  double g_max = 0;
  for (const double gi : g) g_max = std::max(g_max, std::abs(gi));
  for (size_t i = 0; i < g.size(); ++i) {
    const double band = kSigmas * std::sqrt(variance[i] / n);
    INFO("coordinate " << i << ": estimate " << estimate[i] << ", gradient " << g[i] << ", band "
                       << band);
    REQUIRE(band < 0.25 * g_max);
    CHECK(std::abs(estimate[i] - g[i]) <= band);
  }
}

// The estimate of zero_order(q, options) at q.theta (one backward of the result).
std::vector<double> estimate_of(const Quadratic& q, const ZeroOrderOptions& options) {
  const Tensor theta = q.theta.clone().set_requires_grad();
  auto f = zero_order([&q](const TensorList& p) { return q(p[0]); }, options);
  const Tensor loss = f({theta});
  CHECK(loss.item<double>() == Approx(q.f0).epsilon(1e-12));
  return grad({loss}, {theta})[0].to_vector<double>();
}

// ±1 with probability ½ each, from the sample's generator.
Tensor rademacher(const Dims& shape, Generator& generator) {
  return sign(rand(shape, kFloat64, &generator) - 0.5);
}

}  // namespace

TEST_CASE("zero_order: each estimator lies within its variance band on a quadratic",
          "[zero_order]") {
  const Quadratic q;
  struct Case {
    ZeroOrderMethod method;
    int n;
    const char* name;
  };
  for (const Case c : {Case{ZeroOrderMethod::naive, 20000, "naive"},
                       Case{ZeroOrderMethod::forward, 6000, "forward"},
                       Case{ZeroOrderMethod::antithetic, 2000, "antithetic"}}) {
    INFO(c.name);
    const double sigma = 0.2;
    const auto estimate = estimate_of(
        q, {.method = c.method, .num_samples = c.n, .sigma = sigma, .seed = 11, .num_threads = 2});
    std::vector<double> var;
    for (size_t i = 0; i < 3; ++i) var.push_back(q.variance(c.method, sigma, i));
    check_within_band(estimate, q.g, var, c.n);
  }
}

TEST_CASE("zero_order: uniform and user distributions, with their fourth moments", "[zero_order]") {
  const Quadratic q;
  const int n = 3000;
  SECTION("uniform U(-sqrt 3, sqrt 3): mu4 = 9/5") {
    const auto estimate = estimate_of(q, {.method = ZeroOrderMethod::antithetic,
                                          .num_samples = n,
                                          .sigma = 0.1,
                                          .distribution = SampleDistribution::uniform,
                                          .seed = 3});
    std::vector<double> var;
    for (size_t i = 0; i < 3; ++i) var.push_back(q.g_norm2 + (9.0 / 5.0 - 2.0) * q.g[i] * q.g[i]);
    check_within_band(estimate, q.g, var, n);
  }
  SECTION("a user function (Rademacher): mu4 = 1") {
    std::atomic<int> calls{0};
    const auto estimate = estimate_of(q, {.method = ZeroOrderMethod::antithetic,
                                          .num_samples = n,
                                          .sigma = 0.1,
                                          .distribution =
                                              [&calls](const Dims& shape, Generator& g) {
                                                ++calls;
                                                return rademacher(shape, g);
                                              },
                                          .seed = 3,
                                          .num_threads = 3});
    CHECK(calls.load() == n);
    std::vector<double> var;
    for (size_t i = 0; i < 3; ++i) var.push_back(q.g_norm2 - q.g[i] * q.g[i]);
    check_within_band(estimate, q.g, var, n);
  }
}

TEST_CASE("zero_order: the same seed gives the same estimate with 1 and 4 threads",
          "[zero_order]") {
  const Quadratic q;
  for (const auto method :
       {ZeroOrderMethod::naive, ZeroOrderMethod::forward, ZeroOrderMethod::antithetic}) {
    ZeroOrderOptions o{.method = method, .num_samples = 37, .sigma = 0.3, .seed = 5};
    o.num_threads = 1;
    const auto one = estimate_of(q, o);
    o.num_threads = 4;
    const auto four = estimate_of(q, o);
    CHECK(one == four);  // bit for bit
    o.seed = 6;
    CHECK(estimate_of(q, o) != one);
  }
  SECTION("successive calls draw fresh perturbations, reproducibly") {
    const ZeroOrderOptions o{.num_samples = 5, .seed = 9, .num_threads = 2};
    auto f = zero_order([&q](const TensorList& p) { return q(p[0]); }, o);
    auto again = zero_order([&q](const TensorList& p) { return q(p[0]); }, o);
    const Tensor theta = q.theta.clone().set_requires_grad();
    const auto first = grad({f({theta})}, {theta})[0].to_vector<double>();
    const auto second = grad({f({theta})}, {theta})[0].to_vector<double>();
    CHECK(first != second);
    CHECK(grad({again({theta})}, {theta})[0].to_vector<double>() == first);
  }
  SECTION("without a seed, manual_seed makes the default generator reproducible") {
    const ZeroOrderOptions o{.num_samples = 4};
    manual_seed(123);
    const auto a = estimate_of(q, o);
    manual_seed(123);
    CHECK(estimate_of(q, o) == a);
  }
}

TEST_CASE("zero_order: the estimate times the incoming gradient, recorded; float32",
          "[zero_order]") {
  const Quadratic q;
  const ZeroOrderOptions o{.method = ZeroOrderMethod::forward, .num_samples = 8, .seed = 2};
  const auto plain = estimate_of(q, o);
  const Tensor theta = q.theta.clone().set_requires_grad();
  auto f = zero_order([&q](const TensorList& p) { return q(p[0]); }, o);
  const auto scaled = grad({f({theta}) * -3.0}, {theta})[0].to_vector<double>();
  for (size_t i = 0; i < 3; ++i) CHECK(scaled[i] == Approx(-3.0 * plain[i]).epsilon(1e-12));

  // With create_graph the product with the incoming gradient is recorded: for L = w · f(θ),
  // ∂/∂w Σ_i ∂L/∂θ_i = Σ_i estimate_i.
  const Tensor w = scalar_tensor(2.5, kFloat64).set_requires_grad();
  auto f_again = zero_order([&q](const TensorList& p) { return q(p[0]); }, o);
  const Tensor g_theta = grad({f_again({theta}) * w}, {theta}, {}, {.create_graph = true})[0];
  const double d_w = grad({g_theta.sum()}, {w})[0].item<double>();
  CHECK(d_w == Approx(plain[0] + plain[1] + plain[2]).epsilon(1e-12));

  const Tensor theta32 = q.theta.to(kFloat32).detach().set_requires_grad();
  const Tensor A32 = q.A.to(kFloat32), b32 = q.b.to(kFloat32);
  auto f32 = zero_order(
      [&](const TensorList& p) {
        const Tensor r = matmul(A32, p[0]) - b32;
        return (r * r).sum() * 0.5;
      },
      {.method = ZeroOrderMethod::antithetic, .num_samples = 2000, .sigma = 0.1, .seed = 4});
  const Tensor loss = f32({theta32});
  loss.backward();
  REQUIRE(theta32.grad().dtype() == kFloat32);
  std::vector<double> var;
  for (size_t i = 0; i < 3; ++i) var.push_back(q.g_norm2 + q.g[i] * q.g[i]);
  check_within_band(theta32.grad().to_vector<double>(), q.g, var, 2000);
}

TEST_CASE("zero_order: argnums select arguments; list arguments are perturbed jointly",
          "[zero_order]") {
  // f(x, [u, v], y) = ½‖x‖² + <c, x> + ½‖u‖² + ½ v² + u0 y0 + 2‖y‖²: gradients x + c, (u + y0 e0,
  // v), (u0 e0 + 4y) — each argument is perturbed only when selected.
  const Tensor c = tensor({0.5, -1.0}, kFloat64);
  auto fn = [c](const RootArgs& a) {
    const Tensor& x = a[0].tensor();
    const Tensor& u = a[1].tensors()[0];
    const Tensor& v = a[1].tensors()[1];
    const Tensor& y = a[2].tensor();
    return (x * x).sum() * 0.5 + (c * x).sum() + (u * u).sum() * 0.5 + (v * v).sum() * 0.5 +
           u.select(0, 0) * y.select(0, 0) + (y * y).sum() * 2.0;
  };
  const Tensor x = tensor({1.0, 2.0}, kFloat64).set_requires_grad();
  const Tensor u = tensor({0.7, -0.4}, kFloat64).set_requires_grad();
  const Tensor v = tensor({1.5}, kFloat64).set_requires_grad();
  const Tensor y = tensor({-0.6, 0.9, 0.3}, kFloat64).set_requires_grad();
  constexpr int n = 3000;
  // Antithetic: exact directional differences, Var_i = ‖g‖² + g_i² over the selected vector.
  auto band_check = [](const std::vector<double>& est, const std::vector<double>& g) {
    double norm2 = 0;
    for (double gi : g) norm2 += gi * gi;
    std::vector<double> var;
    for (double gi : g) var.push_back(norm2 + gi * gi);
    check_within_band(est, g, var, n);
  };
  const ZeroOrderOptions base{.method = ZeroOrderMethod::antithetic,
                              .num_samples = n,
                              .sigma = 0.05,
                              .seed = 21,
                              .num_threads = 2};

  SECTION("argnums {2, 0}: x and y get gradients, the list argument none") {
    ZeroOrderOptions o = base;
    o.argnums = {2, 0};
    auto f = zero_order(fn, o);
    const Tensor loss = f({x, TensorList{u, v}, y});
    CHECK(loss.item<double>() == Approx(fn({x, TensorList{u, v}, y}).item<double>()));
    const TensorList g = grad({loss}, {y, x, u}, {}, {.allow_unused = true});
    CHECK_FALSE(g[2].defined());
    std::vector<double> est = g[0].to_vector<double>();  // flat order follows argnums: y, then x
    for (double e : g[1].to_vector<double>()) est.push_back(e);
    band_check(est, {0.7 * 1.0 + 4 * -0.6, 4 * 0.9, 4 * 0.3, 1.0 + 0.5, 2.0 - 1.0});
  }
  SECTION("argnums {1}: both tensors of the list argument get gradients") {
    ZeroOrderOptions o = base;
    o.argnums = {1};
    auto f = zero_order(fn, o);
    const Tensor loss = f({x, TensorList{u, v}, y});
    const TensorList g = grad({loss}, {u, v});
    std::vector<double> est = g[0].to_vector<double>();
    est.push_back(g[1].item<double>());
    band_check(est, {0.7 - 0.6, -0.4, 1.5});
  }
}

namespace {

// ½‖Aθ − b‖² as a module: θ in a parameter slot.
class QuadraticModule : public nn::Cloneable<QuadraticModule, nn::ZeroOrderGradientModule> {
 public:
  QuadraticModule(const Quadratic& q, ZeroOrderOptions options)
      : Cloneable(std::move(options)),
        q_(&q),
        theta_(register_parameter("theta", q.theta.clone())) {}

 protected:
  Tensor objective(const TensorList& inputs) override {
    const Tensor r = matmul(q_->A, parameter_at(theta_)) - inputs[0];
    return (r * r).sum() * 0.5;
  }

 private:
  const Quadratic* q_;
  size_t theta_;
};

// A module that counts its draws and draws ±1 (TorchOpt's user `sample`).
class CountingModule : public nn::Cloneable<CountingModule, nn::ZeroOrderGradientModule> {
 public:
  CountingModule(std::shared_ptr<std::atomic<int>> calls, ZeroOrderOptions options)
      : Cloneable(std::move(options)),
        calls_(std::move(calls)),
        w_(register_parameter("w", tensor({1.0, -2.0}))),
        lin_(register_module("lin", nn::Linear(2, 1))) {}

 protected:
  Tensor objective(const TensorList& inputs) override {
    return (module_at(lin_)(inputs[0] * parameter_at(w_))).pow(2.0).mean();
  }
  Tensor sample(const Dims& shape, Generator& generator) const override {
    ++*calls_;
    return rademacher(shape, generator);
  }

 private:
  std::shared_ptr<std::atomic<int>> calls_;
  size_t w_, lin_;
};

}  // namespace

TEST_CASE("ZeroOrderGradientModule: objective's parameters get the estimate", "[zero_order]") {
  const Quadratic q;
  const int n = 2000;
  QuadraticModule net(q, {.method = ZeroOrderMethod::antithetic,
                          .num_samples = n,
                          .sigma = 0.1,
                          .seed = 8,
                          .num_threads = 3});
  const Tensor loss = net({q.b});
  CHECK(loss.item<double>() == Approx(q.f0).epsilon(1e-12));
  loss.backward();
  const Tensor g = net.parameters()[0].grad();
  REQUIRE(g.defined());
  std::vector<double> var;
  for (size_t i = 0; i < 3; ++i) var.push_back(q.variance(ZeroOrderMethod::antithetic, 0.1, i));
  check_within_band(g.to_vector<double>(), q.g, var, n);
  // The module's own parameters are untouched by the perturbed evaluations.
  CHECK(net.parameters()[0].to_vector<double>() == q.theta.to_vector<double>());

  SECTION("reproducible across thread counts; forward(Tensor) is forward({input})") {
    QuadraticModule one(q, {.num_samples = 16, .seed = 8, .num_threads = 1});
    QuadraticModule four(q, {.num_samples = 16, .seed = 8, .num_threads = 4});
    one.forward(q.b).backward();
    four({q.b}).backward();
    CHECK(one.parameters()[0].grad().to_vector<double>() ==
          four.parameters()[0].grad().to_vector<double>());
  }
  SECTION("a user sample() is drawn once per parameter tensor and sample") {
    auto calls = std::make_shared<std::atomic<int>>(0);
    CountingModule m(calls, {.method = ZeroOrderMethod::forward, .num_samples = 10, .seed = 1});
    const TensorList params = m.parameters();
    const Tensor loss = m({tensor({0.5, 1.5, -1.0, 2.0}, {2, 2})});
    const TensorList g = grad({loss}, params);
    CHECK(calls->load() == 10 * static_cast<int>(params.size()));
    for (const Tensor& t : g) CHECK(t.abs().sum().item<double>() > 0.0);
  }
}
