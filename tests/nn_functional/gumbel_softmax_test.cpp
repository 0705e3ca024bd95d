// gumbel_softmax: the sample is softmax((logits - log E) / tau) for the generator's exponential
// draws E, the hard sample is the one-hot of its argmax with the soft sample's gradient, the
// argmax frequencies over many draws are softmax(logits) (the Gumbel-max trick), and the soft
// sample has first and second derivatives (gradcheck, gradgradcheck with a fixed seed).
#include <cmath>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::wave;

TEST_CASE("gumbel_softmax is softmax of the logits plus the generator's Gumbel noise",
          "[nn][gumbel_softmax]") {
  const Tensor logits = wave({3, 5}, 0.2);
  Generator noise(11), same_noise(11);
  const Tensor y = gumbel_softmax(logits, 0.5, false, -1, &noise);
  const Tensor e = -log1p(-rand_like(logits, &same_noise));
  CHECK(allclose(y, softmax((logits - log(e)) / 0.5, -1), 1e-6, 1e-7));
  CHECK(allclose(sum(y, {-1}), ones({3}), 1e-6, 1e-6));

  // Along dim 0, and in float64.
  const Tensor logits64 = wave({4, 3}, 0.7).to(kFloat64);
  Generator a(5), b(5);
  const Tensor y0 = gumbel_softmax(logits64, 2.0, false, 0, &a);
  CHECK(allclose(y0, softmax((logits64 - log(-log1p(-rand_like(logits64, &b)))) / 2.0, 0), 1e-14,
                 1e-15));
  CHECK(allclose(sum(y0, {0}), ones({3}, kFloat64), 1e-14, 1e-14));
}

TEST_CASE("gumbel_softmax(hard) is one-hot with the soft sample's gradient",
          "[nn][gumbel_softmax]") {
  const Tensor logits = wave({6, 4}, 0.4).to(kFloat64).requires_grad_();
  Generator hard_noise(3), soft_noise(3);
  const Tensor hard = gumbel_softmax(logits, 0.7, true, 1, &hard_noise);
  const Tensor soft = gumbel_softmax(logits, 0.7, false, 1, &soft_noise);
  CHECK(allclose(hard.detach(), one_hot(argmax(soft.detach(), 1), 4).to(kFloat64), 0, 0));
  const Tensor weights = wave({6, 4}, 1.1).to(kFloat64);
  const Tensor hard_grad = grad({sum(hard * weights)}, {logits})[0];
  const Tensor soft_grad = grad({sum(soft * weights)}, {logits})[0];
  CHECK(allclose(hard_grad, soft_grad, 1e-14, 1e-15));
  CHECK(sum(abs(soft_grad)).item<double>() > 0.1);
}

TEST_CASE("gumbel_softmax(hard)'s argmax is a draw from softmax(logits)", "[nn][gumbel_softmax]") {
  const Tensor logits = tensor({0.5, -1.0, 1.2, 0.0}, {1, 4}, kFloat64);
  const int64_t draws = 40000;
  Generator generator(2026);
  const Tensor samples = gumbel_softmax(expand(logits, {draws, 4}), 3.0, true, -1, &generator);
  const Tensor frequencies = mean(samples, {0});
  const Tensor probabilities = softmax(logits, -1).reshape({4});
  // Four standard errors sqrt(p (1 - p) / draws) <= 0.0025 each.
  CHECK(max(abs(frequencies - probabilities)).item<double>() < 0.01);
}

TEST_CASE("gumbel_softmax has first and second derivatives", "[nn][gumbel_softmax]") {
  check_grads(
      [](const TensorList& in) -> TensorList {
        Generator generator(9);
        return {gumbel_softmax(in[0], 0.8, false, 0, &generator)};
      },
      {wave({3, 2}, 0.3).to(kFloat64).requires_grad_()});
}

TEST_CASE("gumbel_softmax: errors name the argument", "[nn][gumbel_softmax]") {
  CHECK_THROWS_WITH(gumbel_softmax(wave({2, 3}, 0.1), 0.0),
                    MG_CONTAINS("gumbel_softmax: tau must be positive and finite, got 0"));
  CHECK_THROWS_WITH(
      gumbel_softmax(wave({2, 3}, 0.1), 1.0, false, 2),
      MG_CONTAINS("gumbel_softmax: dim 2 is out of range for logits of shape [2, 3]"));
  CHECK_THROWS_WITH(gumbel_softmax(arange(3, kInt64)), MG_CONTAINS("gumbel_softmax"));
}
