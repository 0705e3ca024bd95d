// Weibull, Pareto, Kumaraswamy and HalfCauchy against PyTorch 1.13's torch.distributions in
// float64 on wave() inputs (checksums sum(t * wave(t.shape, phase)) of log_prob, cdf, entropy,
// mean and variance, phase 0.3, and of their gradients of sum(y * wave(y.shape, 0.9)) in the
// parameters and the value, phase 1.3); rsample: the base draw transformed for the same
// generator state, the sample mean, and the pathwise gradient averaged over draws against the
// derivative of the mean; gradcheck and gradgradcheck of rsample; errors.
#include <cmath>
#include <functional>
#include <limits>
#include <map>
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

// Named "<distribution> <quantity>".
using Reference = metagrad::testing::ChecksumReference;

// PyTorch's inputs: two positive parameters [2, 3] and [3] (alpha + 1.5 for Pareto's moments),
// values > 0, values in (0, 1) and values above every Pareto scale [4, 2, 3].
struct Inputs {
  Tensor first = leaf(1.2 + abs(wave({2, 3}, 0.3)));
  Tensor second = leaf(0.7 + abs(wave({3}, 0.8)));
  Tensor positive = leaf(0.2 + abs(wave({4, 2, 3}, 0.5)));
  Tensor unit = leaf(0.05 + 0.9 * (wave({4, 2, 3}, 0.5) / 3.0 + 0.5));
  Tensor above = leaf(max(first).detach() * 1.01 + abs(wave({4, 2, 3}, 0.5)));
};

// The quantity named by a reference row, and the inputs PyTorch differentiated it in.
std::pair<Tensor, TensorList> evaluate(const std::string& name, const Inputs& in) {
  const std::string family = name.substr(0, name.find(' '));
  const std::string what = name.substr(name.find(' ') + 1);
  const bool moments = what == "mean" || what == "variance";
  const TensorList parameters =
      family == "HalfCauchy" ? TensorList{in.first} : TensorList{in.first, in.second};
  const Tensor value = family == "Pareto"        ? in.above
                       : family == "Kumaraswamy" ? in.unit
                                                 : in.positive;
  TensorList inputs = parameters;
  if (what == "log_prob" || what == "cdf") inputs.push_back(value);
  auto pick = [&](const auto& d) -> Tensor {
    if (what == "log_prob") return d.log_prob(value);
    if (what == "entropy") return d.entropy();
    if (what == "mean") return d.mean();
    if (what == "variance") return d.variance();
    if constexpr (requires { d.cdf(value); }) return d.cdf(value);
    return Tensor();
  };
  if (family == "Weibull") return {pick(Weibull(in.first, in.second)), inputs};
  if (family == "Pareto")
    return {pick(Pareto(in.first, moments ? in.second + 1.5 : in.second)), inputs};
  if (family == "Kumaraswamy") return {pick(Kumaraswamy(in.first, in.second)), inputs};
  return {pick(HalfCauchy(in.first)), inputs};
}

}  // namespace

TEST_CASE("Weibull, Pareto, Kumaraswamy and HalfCauchy match PyTorch", "[distributions]") {
  const std::vector<Reference> references{
      {"Weibull log_prob",
       {-8.321365120681463, -4.064911433517096, 2.417843346924656, 9.965154690714382}},
      {"Weibull cdf",
       {2.074006725119137, -2.5562019122884205, -1.297472276546761, 8.52690248564554}},
      {"Weibull entropy", {10.140727298312495, 3.5500791221143015, -3.598485715390548}},
      {"Weibull mean", {14.99205425548227, 6.869218804042182, -0.23680722373399357}},
      {"Weibull variance", {8.922783951307292, 7.654212958978813, -11.522555763744394}},
      {"Pareto log_prob",
       {-12.657359964228645, 7.633521041763584, -0.4780341611684936, -20.175074462460216}},
      {"Pareto cdf",
       {4.915641318386161, -1.925216270734801, 1.7806393744865459, 5.414953748818585}},
      {"Pareto entropy", {11.528782108916335, 3.5500791221143015, -7.672767405169962}},
      {"Pareto mean", {23.59107521375233, 10.865411509031073, -3.8001196258507184}},
      {"Pareto variance", {15.518418080691117, 13.448825277657743, -25.91029594915191}},
      {"Kumaraswamy log_prob",
       {8.39055593573793, 20.64714583348829, -24.3395886000765, -19.290498876071176}},
      // The gradient in b goes through trigamma(b + 1), where PyTorch's is 2e-9 off: the last
      // checksum is mpmath's at 30 digits (PyTorch prints -0.27633093822347127).
      {"Kumaraswamy entropy", {-1.4233374057628327, -1.0538876077951085, -0.27633093869832886}},
      {"Kumaraswamy mean", {4.023968882327271, 0.9833095313533872, -0.9232843486893172}},
      {"Kumaraswamy variance", {0.2946748494350257, -0.09624740134760063, -0.0660888454843106}},
      {"HalfCauchy log_prob", {-12.310511702658435, -1.2916997489723125, -9.441794859818408}},
      {"HalfCauchy cdf", {2.522785200977021, -1.2496618732533582, 5.247871920992354}},
      {"HalfCauchy entropy", {18.763564504183833, 3.5500791221143015}},
  };
  for (const Reference& r : references) {
    INFO(r.name);
    const Inputs in;
    const auto [y, inputs] = evaluate(r.name, in);
    REQUIRE(y.defined());
    check_wave_checksums(y, inputs, y.shape(), r.checksums);
  }
  const Pareto heavy(tensor({1, 2, 1}, {3}, kFloat64), tensor({0.5, 1.5, 2.5}, {3}, kFloat64));
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const std::vector<double> heavy_mean = heavy.mean().to_vector<double>();
  const std::vector<double> heavy_variance = heavy.variance().to_vector<double>();
  CHECK((heavy_mean[0] == kInf && heavy_mean[1] == 6.0));
  CHECK(heavy_mean[2] == Approx(5.0 / 3.0).epsilon(1e-15));
  CHECK((heavy_variance[0] == kInf && heavy_variance[1] == kInf));
  CHECK(heavy_variance[2] == Approx(20.0 / 9.0).epsilon(1e-15));
  const HalfCauchy half(tensor({1, 2}, {2}, kFloat64));
  CHECK(std::isinf(half.mean().to_vector<double>()[1]));
  const std::vector<double> below =
      half.log_prob(tensor({-1.0}, {1}, kFloat64)).to_vector<double>();
  CHECK((below[0] == -kInf && below[1] == -kInf));
}

TEST_CASE("transformed distributions: rsample is the base draw transformed and unbiased",
          "[distributions]") {
  const Tensor scale = tensor({0.8, 2.0}, {2}, kFloat64);
  const Tensor shape = tensor({1.7, 0.9}, {2}, kFloat64);
  {
    Generator a(11), b(11);
    const Tensor draw = Weibull(scale, shape).rsample({5}, &a);
    const Tensor base = Exponential(ones({2}, kFloat64)).rsample({5}, &b);
    CHECK(allclose(draw, scale * pow(base, 1.0 / shape)));
  }
  {
    Generator a(12), b(12);
    const Tensor draw = Pareto(scale, shape).rsample({5}, &a);
    const Tensor base = Exponential(shape).rsample({5}, &b);
    CHECK(allclose(draw, scale * exp(base)));
  }
  {
    Generator a(13), b(13);
    const Tensor draw = HalfCauchy(scale).rsample({5}, &a);
    CHECK(allclose(draw, abs(Cauchy(zeros({2}, kFloat64), scale).rsample({5}, &b))));
  }
  // Sample means and pathwise gradients over 40000 draws against the exact mean and its
  // derivative in the parameters.
  const int64_t n = 40000;
  auto check_pathwise =
      [&](const std::function<Tensor(const Tensor&, const Tensor&, Generator*)>& draw_mean,
          const std::function<Tensor(const Tensor&, const Tensor&)>& exact, double tolerance) {
        const Tensor p = leaf(tensor({1.3, 2.6}, {2}, kFloat64));
        const Tensor q = leaf(tensor({2.2, 3.1}, {2}, kFloat64));
        Generator generator(21);
        const Tensor sampled = draw_mean(p, q, &generator);
        const Tensor want = exact(p, q);
        CHECK(allclose(sampled, want, tolerance, 0));
        const TensorList g = grad({sum(sampled)}, {p, q});
        const TensorList h = grad({sum(want)}, {p, q});
        CHECK(allclose(g[0], h[0], 3 * tolerance, 0.01));
        CHECK(allclose(g[1], h[1], 3 * tolerance, 0.01));
      };
  check_pathwise([&](const Tensor& p, const Tensor& q,
                     Generator* g) { return mean(Weibull(p, q).rsample({n}, g), {0}); },
                 [](const Tensor& p, const Tensor& q) { return Weibull(p, q).mean(); }, 0.01);
  check_pathwise([&](const Tensor& p, const Tensor& q,
                     Generator* g) { return mean(Pareto(p, q).rsample({n}, g), {0}); },
                 [](const Tensor& p, const Tensor& q) { return Pareto(p, q).mean(); }, 0.03);
  check_pathwise([&](const Tensor& p, const Tensor& q,
                     Generator* g) { return mean(Kumaraswamy(p, q).rsample({n}, g), {0}); },
                 [](const Tensor& p, const Tensor& q) { return Kumaraswamy(p, q).mean(); }, 0.01);
  check_grads(
      [](const TensorList& in) -> TensorList {
        Generator generator(31);
        return {Weibull(in[0], in[1]).rsample({3}, &generator),
                Pareto(in[0], in[1]).rsample({3}, &generator),
                Kumaraswamy(in[0], in[1]).rsample({3}, &generator),
                HalfCauchy(in[0]).rsample({3}, &generator)};
      },
      {leaf(tensor({1.3, 2.6}, {2}, kFloat64)), leaf(tensor({2.2, 3.1}, {2}, kFloat64))});
}

TEST_CASE("transformed distributions reject bad parameters", "[distributions][errors]") {
  const Tensor good = tensor({1.0, 2.0}, {2}, kFloat64);
  const Tensor bad = tensor({1.0, -2.0}, {2}, kFloat64);
  CHECK_THROWS_WITH(Weibull(good, bad), MG_CONTAINS("Weibull: concentration must be positive"));
  CHECK_THROWS_WITH(Pareto(bad, good), MG_CONTAINS("Pareto: scale must be positive"));
  CHECK_THROWS_WITH(Kumaraswamy(good, bad),
                    MG_CONTAINS("Kumaraswamy: concentration0 must be positive"));
  CHECK_THROWS_WITH(HalfCauchy(bad), MG_CONTAINS("HalfCauchy: scale must be positive"));
  CHECK_THROWS_WITH(Weibull(good, tensor({1.0, 2.0, 3.0}, {3}, kFloat64)), MG_CONTAINS("Weibull"));
}
