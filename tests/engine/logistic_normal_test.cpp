// LogisticNormal and the stick-breaking transform against PyTorch 1.13 in float64 on wave()
// inputs (checksums sum(t * wave(t.shape, phase)), phase 0.3, and of the gradients of
// sum(y * wave(y.shape, 0.9)), phase 1.3); round trips, draws on the simplex, gradcheck and
// gradgradcheck, errors.
#include "tests/support/helpers.hpp"

using namespace metagrad;
using namespace metagrad::distributions;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::check_wave_checksums;
using metagrad::testing::leaf;
using metagrad::testing::wave;

TEST_CASE("LogisticNormal and stick_breaking match PyTorch", "[distributions]") {
  const Tensor x = leaf(wave({4, 2, 3}, 0.7));
  check_wave_checksums(stick_breaking(x), {x}, {4, 2, 4}, {1.3280877132602362, 0.9652285934794989});
  const Tensor y = leaf(stick_breaking(wave({4, 2, 3}, 1.7)));
  check_wave_checksums(stick_breaking_inverse(y), {y}, {4, 2, 3},
                       {5.341566277480192, 192.9741920406367});
  const Tensor loc = leaf(wave({2, 3}, 0.3));
  const Tensor scale = leaf(0.4 + abs(wave({3}, 0.5)));
  const LogisticNormal d(loc, scale);
  CHECK(d.batch_shape() == Dims{2});
  CHECK(d.event_shape() == Dims{4});
  check_wave_checksums(
      d.log_prob(y), {loc, scale, y}, {4, 2},
      {6.195076161427705, -11.010904405654621, 9.59468429493622, 117.59153069723678});
  // The inverse undoes the transform; draws lie on the simplex.
  CHECK(allclose(stick_breaking_inverse(stick_breaking(x)), x, 1e-12, 1e-12));
  Generator generator(4);
  const Tensor draws = d.sample({1000}, &generator);
  REQUIRE(draws.shape() == Dims{1000, 2, 4});
  CHECK(all(gt(draws, 0.0)).item<bool>());
  CHECK(allclose(sum(draws, {-1}), ones({1000, 2}, kFloat64), 1e-12, 1e-12));
  // A 0-d loc and scale give events of two coordinates (PyTorch's expand([1])).
  const LogisticNormal scalar(full({}, 0.2, kFloat64), full({}, 1.5, kFloat64));
  CHECK(scalar.batch_shape().empty());
  CHECK(scalar.sample({3}, &generator).shape() == Dims{3, 2});
}

TEST_CASE("LogisticNormal: rsample and log_prob, gradcheck and gradgradcheck",
          "[distributions][gradcheck]") {
  check_grads(
      [](const TensorList& in) -> TensorList {
        const LogisticNormal d(in[0], in[1]);
        Generator generator(3);
        const Tensor draw = d.rsample({2}, &generator);
        return {draw, d.log_prob(stick_breaking(in[0] * 0.3 + 0.1))};
      },
      {leaf(tensor({0.3, -0.7, 1.1}, {3}, kFloat64)),
       leaf(tensor({0.5, 1.2, 0.8}, {3}, kFloat64))});
}

TEST_CASE("LogisticNormal rejects bad input", "[distributions][errors]") {
  const LogisticNormal d(zeros({3}, kFloat64), ones({3}, kFloat64));
  CHECK_THROWS_WITH(d.log_prob(ones({3}, kFloat64) / 3.0),
                    MG_CONTAINS("LogisticNormal.log_prob: value must be points of the simplex of 4 "
                                "coordinates in its last dim, got shape [3]"));
  CHECK_THROWS_WITH(LogisticNormal(zeros({3}, kFloat64), ones({2}, kFloat64)),
                    MG_CONTAINS("LogisticNormal"));
  CHECK_THROWS_WITH(stick_breaking(zeros({}, kFloat64)), MG_CONTAINS("stick_breaking"));
}
