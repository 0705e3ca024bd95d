// MixtureSameFamily against PyTorch 1.13 in float64 (wave checksums of log_prob, cdf, mean and
// variance and of their gradients in the mixture's logits and the components' parameters) over
// Normal components and over Independent(Normal) components; Normal's icdf; draws: PyTorch's order
// (the choice, then every component's draw), frequencies of the choices; gradcheck and
// gradgradcheck; errors.
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using namespace metagrad::distributions;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::check_wave_checksums;
using metagrad::testing::leaf;
using metagrad::testing::wave;

TEST_CASE("MixtureSameFamily of Normals matches PyTorch", "[distributions][mixture]") {
  const Tensor logits = leaf(wave({2, 3}, 0.2));
  const Tensor loc = leaf(wave({2, 3}, 0.6));
  const Tensor scale = leaf(0.4 + abs(wave({2, 3}, 1.0)));
  const MixtureSameFamily mixture(Categorical::from_logits(logits), Normal(loc, scale));
  CHECK(mixture.batch_shape() == Dims{2});
  CHECK(mixture.event_shape() == Dims{});
  const Tensor x = wave({4, 2}, 0.45);
  check_wave_checksums(
      mixture.log_prob(x), {logits, loc, scale}, {4, 2},
      {-11.080235593131054, -0.29891538187508565, -0.08073658220880207, -3.5909054335323565});
  check_wave_checksums(
      mixture.cdf(x), {logits, loc, scale}, {4, 2},
      {3.9388305053029393, -0.10111477291556262, -1.5198918121303209, 0.0500178181139612});
  check_wave_checksums(mixture.mean(), {logits, loc}, {2},
                       {1.7388148433879564, 0.11132351575442237, 2.4099698560114042});
  check_wave_checksums(
      mixture.variance(), {logits, loc, scale}, {2},
      {3.2384755491151767, 0.4850420909935122, 0.22264703150884466, 8.42505154592498});
  // Normal's quantile function (which the mixture does not have) against PyTorch.
  const Tensor p = leaf(0.05 + 0.9 * (wave({4, 2, 3}, 0.5) / 3.0 + 0.5));
  check_wave_checksums(
      Normal(loc, scale).icdf(p), {loc, scale, p}, {4, 2, 3},
      {52.25881412544693, 8.312558224790365, 25.790924360614376, 221.3129213667837});
  check_grads(
      [&](const TensorList& in) -> TensorList {
        return {
            MixtureSameFamily(Categorical::from_logits(in[0]), Normal(in[1], in[2])).log_prob(x)};
      },
      {leaf(wave({2, 3}, 0.2)), leaf(wave({2, 3}, 0.6)), leaf(0.4 + abs(wave({2, 3}, 1.0)))});
}

TEST_CASE("MixtureSameFamily of Independent Normals matches PyTorch", "[distributions][mixture]") {
  const Tensor logits = leaf(wave({3}, 0.1));
  const Tensor loc = leaf(wave({3, 2}, 0.3));
  const Tensor scale = leaf(0.5 + abs(wave({3, 2}, 0.8)));
  const MixtureSameFamily mixture(Categorical::from_logits(logits),
                                  Independent(Normal(loc, scale), 1));
  CHECK(mixture.batch_shape() == Dims{});
  CHECK(mixture.event_shape() == Dims{2});
  check_wave_checksums(
      mixture.log_prob(wave({5, 2}, 0.25)), {logits, loc, scale}, {5},
      {-17.730729743907848, -0.08840252852222308, -0.9857956099248446, -4.0239950337512616});
  check_wave_checksums(mixture.mean(), {logits, loc}, {2},
                       {1.7203021095595925, -0.00865459385343259, 1.977354809386188});
  check_wave_checksums(
      mixture.variance(), {logits, loc, scale}, {2},
      {3.833961556985416, 0.15302147624679874, -0.3410961261780956, 7.256342199505166});
  // Draws: the choice first, then every component's draw, the chosen one kept.
  Generator a(5), b(5);
  const Tensor draws = mixture.sample({6}, &a);
  CHECK(draws.shape() == Dims{6, 2});
  const Tensor choice = Categorical::from_logits(logits).sample({6}, &b);
  const Tensor every = Normal(loc, scale).sample({6}, &b);
  const std::vector<int64_t> picked = choice.to_vector<int64_t>();
  for (int64_t i = 0; i < 6; ++i) {
    CHECK(allclose(select(draws, 0, i), select(select(every, 0, i), 0, picked[i])));
  }
  // Choice frequencies over 40000 draws: component 0 sits far from the others.
  const MixtureSameFamily separated(
      Categorical::from_logits(logits.detach()),
      Normal(tensor({-100.0, 0.0, 100.0}, {3}, kFloat64), ones({3}, kFloat64)));
  Generator generator(8);
  const Tensor many = separated.sample({40000}, &generator);
  const double low = mean(lt(many, -50.0).to(kFloat64)).item<double>();
  const double high = mean(gt(many, 50.0).to(kFloat64)).item<double>();
  const std::vector<double> p = softmax(logits.detach(), -1).to_vector<double>();
  CHECK(std::abs(low - p[0]) < 0.01);
  CHECK(std::abs(high - p[2]) < 0.01);
  CHECK_THROWS_WITH(
      MixtureSameFamily(Categorical::from_logits(wave({4}, 0.1)), Normal(loc, scale)),
      MG_CONTAINS("MixtureSameFamily: the component's last batch dim must hold the mixture's 4"));
  CHECK_THROWS_WITH(
      MixtureSameFamily(Categorical::from_logits(wave({5, 2}, 0.1)), Normal(loc, scale)),
      MG_CONTAINS("must match the component's batch shape [3, 2] without its last dim"));
}
