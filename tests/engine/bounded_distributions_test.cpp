// ContinuousBernoulli, VonMises and FisherSnedecor against PyTorch 1.13's torch.distributions in
// float64 on wave() inputs (checksums sum(t * wave(t.shape, phase)) of log_prob, cdf, icdf,
// entropy, mean, variance and kl_divergence, phase 0.3, and of their gradients of
// sum(y * wave(y.shape, 0.9)) in the parameters and the value, phase 1.3; the probabilities
// include two inside ContinuousBernoulli's unstable region, the concentrations span VonMises's
// polynomial switch at 3.75); draws against exact moments (VonMises's against std::cyl_bessel_i);
// gradcheck and gradgradcheck; errors.
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using namespace metagrad::distributions;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::check_wave_checksums;
using metagrad::testing::leaf;
using metagrad::testing::wave;

namespace {

// Named "<distribution> [<parameterisation>] <quantity>".
using Reference = metagrad::testing::ChecksumReference;

struct Inputs {
  Tensor probs = leaf(tensor({0.1, 0.4995, 0.7, 0.5003, 0.93, 0.3}, {2, 3}, kFloat64));
  Tensor logits = leaf(wave({2, 3}, 0.8));
  Tensor unit = leaf(0.05 + 0.9 * (wave({4, 2, 3}, 0.5) / 3.0 + 0.5));
  Tensor other_probs = leaf(0.05 + 0.9 * (wave({3}, 1.7) / 3.0 + 0.5));
  Tensor loc = leaf(wave({2, 3}, 0.3));
  Tensor kappa = leaf(0.3 + 2.5 * abs(wave({3}, 0.8)));
  Tensor angle = leaf(wave({4, 2, 3}, 0.5) * 2.0);
  Tensor df1 = leaf(0.5 + 3.0 * abs(wave({2, 3}, 0.3)));
  Tensor df2 = leaf(4.5 + 2.0 * abs(wave({3}, 0.8)));
  Tensor positive = leaf(0.1 + abs(wave({4, 2, 3}, 0.5)));
};

std::pair<Tensor, TensorList> evaluate(const std::string& name, const Inputs& in) {
  const std::string what = name.substr(name.rfind(' ') + 1);
  if (name.starts_with("ContinuousBernoulli")) {
    if (what == "kl")
      return {kl_divergence(ContinuousBernoulli::from_probs(in.probs),
                            ContinuousBernoulli::from_probs(in.other_probs)),
              {in.probs, in.other_probs}};
    const bool by_probs = name.find(" probs ") != std::string::npos;
    const Tensor& parameter = by_probs ? in.probs : in.logits;
    const ContinuousBernoulli d = by_probs ? ContinuousBernoulli::from_probs(parameter)
                                           : ContinuousBernoulli::from_logits(parameter);
    if (what == "log_prob") return {d.log_prob(in.unit), {parameter, in.unit}};
    if (what == "cdf") return {d.cdf(in.unit), {parameter, in.unit}};
    if (what == "icdf") return {d.icdf(in.unit), {parameter, in.unit}};
    if (what == "entropy") return {d.entropy(), {parameter}};
    return {what == "mean" ? d.mean() : d.variance(), {parameter}};
  }
  if (name.starts_with("VonMises")) {
    const VonMises d(in.loc, in.kappa);
    if (what == "log_prob") return {d.log_prob(in.angle), {in.loc, in.kappa, in.angle}};
    return {d.variance(), {in.kappa}};
  }
  const FisherSnedecor d(in.df1, in.df2);
  if (what == "log_prob") return {d.log_prob(in.positive), {in.df1, in.df2, in.positive}};
  if (what == "mean") return {d.mean(), {in.df2}};
  return {d.variance(), {in.df1, in.df2}};
}

}  // namespace

TEST_CASE("ContinuousBernoulli, VonMises and FisherSnedecor match PyTorch", "[distributions]") {
  const std::vector<Reference> references{
      {"ContinuousBernoulli probs log_prob",
       {0.5838550049552603, 55.891981202180745, -0.14074111298990388}},
      {"ContinuousBernoulli probs cdf",
       {12.33128399487739, -2.0709290638234004, 24.880708205741062}},
      {"ContinuousBernoulli probs icdf",
       {11.50522285833058, 3.1340810409457243, 26.649799954323463}},
      {"ContinuousBernoulli probs entropy", {-0.5054722545763422, 0.7655632898864886}},
      {"ContinuousBernoulli probs mean", {3.649017408358543, 3.703605622269796}},
      {"ContinuousBernoulli probs variance", {0.5256358214441114, 0.06557694364245657}},
      {"ContinuousBernoulli logits log_prob",
       {9.756506006648948, 7.0805877957591115, 31.026670972854482}},
      {"ContinuousBernoulli logits cdf",
       {11.707378914595619, -0.6011952139020241, 30.30886006340624}},
      {"ContinuousBernoulli logits icdf",
       {12.325512625438108, -0.2336210908899664, 22.60335152281092}},
      {"ContinuousBernoulli logits entropy", {-0.4264072230720246, -0.7865044135680882}},
      {"ContinuousBernoulli logits mean", {4.11336370607565, 0.5909735615431319}},
      {"ContinuousBernoulli logits variance", {0.5310694461792964, -0.07457504308006005}},
      {"ContinuousBernoulli probs kl", {1.3518789939028557, -9.31928945758084, 25.492771353218693}},
      {"VonMises log_prob",
       {8.249692658315372, 49.87282214165843, 3.049934327943308, -53.48814424141053}},
      {"VonMises variance", {1.0621138765174423, -0.5400978986697058}},
      {"FisherSnedecor log_prob",
       {-9.086904887108375, 1.2025719020991399, 0.1890138754105367, -21.276609071306954}},
      {"FisherSnedecor mean", {9.537611334824645, -0.7874186675938027}},
      {"FisherSnedecor variance", {19.387259836366653, -5.996403699923933, -10.580909826227316}},
  };
  for (const Reference& r : references) {
    INFO(r.name);
    const Inputs in;
    const auto [y, inputs] = evaluate(r.name, in);
    check_wave_checksums(y, inputs, y.shape(), r.checksums);
  }
  // Outside their ranges: F's moments are NaN, ContinuousBernoulli's cdf is 0 and 1.
  const FisherSnedecor light(tensor({3.0}, {1}, kFloat64), tensor({1.5}, {1}, kFloat64));
  CHECK(std::isnan(light.mean().item<double>()));
  CHECK(std::isnan(light.variance().item<double>()));
  const ContinuousBernoulli cb = ContinuousBernoulli::from_probs(full({}, 0.2, kFloat64));
  CHECK(allclose(cb.cdf(tensor({-0.5, 1.5}, {2}, kFloat64)), tensor({0.0, 1.0}, {2}, kFloat64)));
}

TEST_CASE("ContinuousBernoulli and FisherSnedecor rsample: unbiased pathwise draws",
          "[distributions]") {
  const int64_t n = 40000;
  {
    const Tensor probs = leaf(tensor({0.15, 0.35, 0.8}, {3}, kFloat64));
    const ContinuousBernoulli d = ContinuousBernoulli::from_probs(probs);
    // (Inside the unstable region around 1/2, PyTorch's rsample is u itself, so its pathwise
    // gradient is 0 while the Taylor mean moves: those probabilities are checked above.)
    Generator a(3), b(3);
    const Tensor u = rand({5, 3}, kFloat64, &b);
    CHECK(allclose(d.rsample({5}, &a), d.icdf(u)));
    CHECK(allclose(d.cdf(d.icdf(u)), u, 1e-12, 1e-12));
    const Tensor sampled = mean(d.rsample({n}, &a), {0});
    CHECK(allclose(sampled, d.mean(), 0.01, 0));
    CHECK(
        allclose(grad({sum(sampled)}, {probs})[0], grad({sum(d.mean())}, {probs})[0], 0.03, 0.01));
  }
  {
    const Tensor df1 = leaf(tensor({3.0, 8.0}, {2}, kFloat64));
    const Tensor df2 = leaf(tensor({12.0, 20.0}, {2}, kFloat64));
    const FisherSnedecor d(df1, df2);
    Generator generator(4);
    const Tensor draws = d.rsample({n}, &generator);
    CHECK(all(gt(draws, 0.0)).item<bool>());
    const Tensor sampled = mean(draws, {0});
    CHECK(allclose(sampled, d.mean(), 0.01, 0));
    CHECK(allclose(var(draws.detach(), {0}), d.variance(), 0.08, 0));
    CHECK(allclose(grad({sum(sampled)}, {df2})[0], grad({sum(d.mean())}, {df2})[0], 0.05, 0.002));
  }
  check_grads(
      [](const TensorList& in) -> TensorList {
        Generator generator(8);
        return {ContinuousBernoulli::from_logits(in[0]).rsample({2}, &generator),
                FisherSnedecor(in[1], in[1] * 2.0).log_prob(in[1]),
                VonMises(in[0], in[1]).log_prob(in[1]), VonMises(in[0], in[1]).variance()};
      },
      {leaf(tensor({-1.3, 0.4}, {2}, kFloat64)), leaf(tensor({2.2, 5.1}, {2}, kFloat64))});
}

TEST_CASE("VonMises draws follow the circular moments", "[distributions]") {
  const std::vector<double> kappas{0.05, 1.0, 4.0, 30.0};
  const Tensor loc = tensor({3.0, -1.0, 0.5, -3.1}, {4}, kFloat64);
  const VonMises d(loc, tensor(kappas, {4}, kFloat64));
  Generator generator(6);
  const Tensor draws = d.sample({40000}, &generator);
  CHECK(all(logical_and(ge(draws, -std::numbers::pi), lt(draws, std::numbers::pi))).item<bool>());
  const std::vector<double> cosines = mean(cos(draws - loc), {0}).to_vector<double>();
  const std::vector<double> sines = mean(sin(draws - loc), {0}).to_vector<double>();
  const std::vector<double> variance = d.variance().to_vector<double>();
  for (size_t i = 0; i < kappas.size(); ++i) {
    INFO("kappa " << kappas[i]);
    const double ratio = std::cyl_bessel_i(1.0, kappas[i]) / std::cyl_bessel_i(0.0, kappas[i]);
    CHECK(cosines[i] == Approx(ratio).margin(0.01));
    CHECK(sines[i] == Approx(0.0).margin(0.01));
    // PyTorch's polynomial I0 and I1 are good to about 1e-7.
    CHECK(variance[i] == Approx(1.0 - ratio).margin(1e-6));
  }
  // The density integrates to 1 over the circle (midpoint rule).
  const int64_t steps = 20000;
  const Tensor theta =
      (arange(static_cast<double>(steps), kFloat64) + 0.5) * (2.0 * std::numbers::pi / steps) -
      std::numbers::pi;
  const Tensor density = exp(d.log_prob(reshape(theta, {steps, 1})));
  const std::vector<double> mass =
      (sum(density, {0}) * (2.0 * std::numbers::pi / steps)).to_vector<double>();
  for (double m : mass) CHECK(m == Approx(1.0).margin(1e-6));
}

TEST_CASE("bounded distributions reject bad parameters", "[distributions][errors]") {
  CHECK_THROWS_WITH(ContinuousBernoulli::from_probs(tensor({1.5}, {1}, kFloat64)),
                    MG_CONTAINS("ContinuousBernoulli: probs must be in [0, 1]"));
  CHECK_THROWS_WITH(ContinuousBernoulli::from_logits(tensor({0.5}, {1}, kFloat64), {0.4, 0.45}),
                    MG_CONTAINS("ContinuousBernoulli: lims"));
  CHECK_THROWS_WITH(VonMises(tensor({0.0, 1.0}, {2}, kFloat64), tensor({1.0, -1.0}, {2}, kFloat64)),
                    MG_CONTAINS("VonMises: concentration must be positive"));
  CHECK_THROWS_WITH(VonMises(tensor({0.0, 1.0}, {2}, kFloat64), tensor({1.0}, {1}, kFloat32)),
                    MG_CONTAINS("VonMises"));
  CHECK_THROWS_WITH(FisherSnedecor(tensor({0.0}, {1}, kFloat64), tensor({1.0}, {1}, kFloat64)),
                    MG_CONTAINS("FisherSnedecor: df1 must be positive"));
}
