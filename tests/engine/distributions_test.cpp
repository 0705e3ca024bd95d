// Normal, Bernoulli and Categorical: log_prob, entropy and kl_divergence against PyTorch's values
// (torch 1.13, float64), sampling statistics and shapes, reparametrised gradients, gradcheck and
// gradgradcheck of log_prob, and the errors.
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::distributions::Bernoulli;
using metagrad::distributions::Categorical;
using metagrad::distributions::kl_divergence;
using metagrad::distributions::Normal;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::randn64;
using metagrad::testing::uniform64;

TEST_CASE("Normal matches torch.distributions.Normal", "[distributions]") {
  const Tensor loc = tensor({0.5, -1.0, 2.0}, kFloat64).requires_grad_();
  const Tensor scale = tensor({1.5, 0.3, 2.0}, kFloat64).requires_grad_();
  const Normal n(loc, scale);
  const Tensor lp = n.log_prob(tensor({0.1, -0.8, 5.0}, kFloat64));
  CHECK(allclose(
      lp, tensor({-1.3599591968683926, 0.06281204889904135, -2.737085713764618}, kFloat64), 1e-13));
  CHECK(allclose(n.entropy(),
                 tensor({1.824403641312837, 0.21496572887873655, 2.112085713764618}, kFloat64),
                 1e-13));
  const TensorList g = grad({lp.sum()}, {loc, scale});
  // The distribution keeps only its parameters: more backward passes through it work.
  CHECK(grad({n.entropy().sum()}, {scale})[0].to_vector<double>().size() == 3);
  CHECK(allclose(g[0], tensor({-0.17777777777777778, 2.2222222222222214, 0.75}, kFloat64), 1e-13));
  CHECK(allclose(g[1], tensor({-0.6192592592592592, -1.8518518518518527, 0.625}, kFloat64), 1e-13));
  const Normal q(tensor({0.0, 0.0, 1.0}, kFloat64), tensor({1.0, 2.0, 0.5}, kFloat64));
  CHECK(allclose(kl_divergence(n, q),
                 tensor({0.3445348918918356, 1.5333699848858813, 8.11370563888011}, kFloat64),
                 1e-13));
  CHECK(allclose(kl_divergence(q, q), zeros({3}, kFloat64), 0, 1e-15));
}

TEST_CASE("Normal samples: shapes, moments, and rsample's reparametrised gradient",
          "[distributions]") {
  Generator gen(11);
  const Tensor loc = tensor({1.0, -2.0}, kFloat64).requires_grad_();
  const Tensor scale = tensor({0.5, 3.0}, kFloat64).requires_grad_();
  const Normal n(loc, scale);
  CHECK(n.batch_shape() == Dims{2});
  const Tensor s = n.sample({20000}, &gen);
  REQUIRE(s.shape() == Dims{20000, 2});
  CHECK(!s.requires_grad());
  CHECK(allclose(s.mean({0}), tensor({1.0, -2.0}, kFloat64), 0, 0.05));
  CHECK(allclose(s.std({0}), tensor({0.5, 3.0}, kFloat64), 0.03));
  // d E[x] / d loc = 1 and d E[x^2] / d scale = 2 scale through x = loc + scale * eps.
  const Tensor r = n.rsample({20000}, &gen);
  const TensorList g = grad({r.mean({0}).sum()}, {loc, scale});
  CHECK(allclose(g[0], ones({2}, kFloat64)));
  const TensorList g2 =
      grad({square(n.rsample({20000}, &gen) - loc.detach()).mean({0}).sum()}, {scale});
  CHECK(allclose(g2[0], tensor({1.0, 6.0}, kFloat64), 0.05));
  // A scalar loc broadcasts against a vector scale.
  const Normal mixed(tensor({0.0}, kFloat64).reshape({}), ones({3}, kFloat64));
  CHECK(mixed.batch_shape() == Dims{3});
  CHECK(mixed.sample({}, &gen).shape() == Dims{3});
  check_grads(
      [](const TensorList& in) {
        return TensorList{Normal(in[0], exp(in[1])).log_prob(in[2]),
                          Normal(in[0], exp(in[1])).entropy()};
      },
      {randn64({3}, 1), randn64({3}, 2), randn64({3}, 3)});
}

TEST_CASE("Bernoulli matches torch.distributions.Bernoulli, from probs and from logits",
          "[distributions]") {
  const Bernoulli b = Bernoulli::from_probs(tensor({0.2, 0.9, 0.5}, kFloat64));
  const Tensor v = tensor({1.0, 0.0, 1.0}, kFloat64);
  CHECK(allclose(b.log_prob(v),
                 tensor({-1.6094379124341003, -2.302585092994046, -0.6931471805599453}, kFloat64),
                 1e-13));
  CHECK(allclose(b.entropy(),
                 tensor({0.5004024235381879, 0.32508297339144826, 0.6931471805599453}, kFloat64),
                 1e-13));
  const Bernoulli l = Bernoulli::from_logits(tensor({-2.0, 0.5, 30.0}, kFloat64));
  CHECK(
      allclose(l.log_prob(v),
               tensor({-2.1269280110429727, -0.9740769841801067, -9.348077867343381e-14}, kFloat64),
               1e-12, 1e-15));
  // At logit 30, PyTorch's log(1 + e^-30) loses the last digits that log1p keeps.
  CHECK(allclose(l.entropy(),
                 tensor({0.3653338550872077, 0.6628473185791794, 2.897904138876579e-12}, kFloat64),
                 1e-10, 1e-14));
  const Bernoulli q = Bernoulli::from_probs(tensor({0.5, 0.6, 0.1}, kFloat64));
  CHECK(allclose(kl_divergence(b, q),
                 tensor({0.19274475702175742, 0.22628916118535894, 0.5108256237659905}, kFloat64),
                 1e-12));
  // Probabilities 0 and 1 give finite logits and log-probabilities (clamped, as PyTorch's).
  const Bernoulli edge = Bernoulli::from_probs(tensor({0.0, 1.0}, kFloat64));
  CHECK(all(isfinite(edge.logits())).item<bool>());
  CHECK(all(isfinite(edge.log_prob(tensor({0.0, 1.0}, kFloat64)))).item<bool>());
  // Sampling frequencies.
  Generator gen(5);
  const Tensor s = b.sample({20000}, &gen);
  REQUIRE(s.shape() == Dims{20000, 3});
  CHECK(allclose(s.mean({0}), tensor({0.2, 0.9, 0.5}, kFloat64), 0, 0.02));
  check_grads(
      [](const TensorList& in) {
        const Bernoulli d = Bernoulli::from_logits(in[0]);
        return TensorList{d.log_prob(in[1]), d.entropy()};
      },
      {randn64({4}, 4), uniform64({4}, 0.0, 1.0, 5)});
}

TEST_CASE("Categorical matches torch.distributions.Categorical", "[distributions]") {
  const Categorical c = Categorical::from_probs(tensor({1, 2, 1, 0, 3, 1}, {2, 3}, kFloat64));
  CHECK(c.batch_shape() == Dims{2});
  CHECK(c.num_categories() == 3);
  CHECK(allclose(c.probs(), tensor({0.25, 0.5, 0.25, 0.0, 0.75, 0.25}, {2, 3}, kFloat64)));
  const Tensor v = tensor({1, 2}, kInt64);
  CHECK(
      allclose(c.log_prob(v), tensor({-0.6931471805599453, -1.3862943611198906}, kFloat64), 1e-14));
  CHECK(allclose(c.entropy(), tensor({1.0397207708399179, 0.5623351446188083}, kFloat64), 1e-14));
  const Categorical l = Categorical::from_logits(tensor({0.1, -1, 2, 3, 0, 0}, {2, 3}, kFloat64));
  CHECK(allclose(l.log_prob(tensor({2, 0}, kInt64)),
                 tensor({-0.1817844855891133, -0.0949229564209606}, kFloat64), 1e-14));
  CHECK(allclose(l.entropy(), tensor({0.5432632246423977, 0.3665939608827351}, kFloat64), 1e-14));
  CHECK(allclose(kl_divergence(c, l), tensor({1.1170637147491953, 2.5325878118021525}, kFloat64),
                 1e-13));
  // value [2, 1] broadcasts against the batch shape [2].
  CHECK(allclose(
      l.log_prob(tensor({0, 1}, {2, 1}, kInt64)),
      tensor({-2.081784485589113, -0.0949229564209606, -3.1817844855891133, -3.0949229564209606},
             {2, 2}, kFloat64),
      1e-14));
}

TEST_CASE("Categorical samples follow the probabilities, and log_prob differentiates",
          "[distributions]") {
  Generator gen(9);
  const Categorical c = Categorical::from_probs(tensor({0.1, 0.6, 0.3, 0.0}, kFloat64));
  const Tensor s = c.sample({30000}, &gen);
  REQUIRE(s.shape() == Dims{30000});
  REQUIRE(s.dtype() == kInt64);
  const auto values = s.to_vector<int64_t>();
  std::vector<double> freq(4, 0.0);
  for (const int64_t x : values) freq[static_cast<size_t>(x)] += 1.0 / 30000;
  CHECK(freq[0] == Approx(0.1).margin(0.015));
  CHECK(freq[1] == Approx(0.6).margin(0.015));
  CHECK(freq[2] == Approx(0.3).margin(0.015));
  CHECK(freq[3] == 0.0);  // a category of probability 0 is never drawn
  CHECK(Categorical::from_logits(zeros({5, 2, 3})).sample({4}, &gen).shape() == Dims{4, 5, 2});
  // The score-function gradient of log p[k] in the logits is one_hot(k) - softmax.
  const Tensor logits = tensor({0.3, -0.2, 1.0}, kFloat64).requires_grad_();
  const Tensor g =
      grad({Categorical::from_logits(logits).log_prob(tensor({2}, kInt64)).sum()}, {logits})[0];
  CHECK(allclose(g, tensor({0.0, 0.0, 1.0}, kFloat64) - softmax(logits.detach(), 0), 1e-14));
  check_grads(
      [](const TensorList& in) {
        const Categorical d = Categorical::from_logits(in[0]);
        return TensorList{d.log_prob(tensor({0, 2, 1}, kInt64)), d.entropy(),
                          kl_divergence(d, Categorical::from_logits(in[1]))};
      },
      {randn64({3, 4}, 6), randn64({3, 4}, 7)});
}

TEST_CASE("distributions name the bad parameter or value", "[distributions]") {
  CHECK_THROWS_WITH(Normal(zeros({2}, kFloat64), tensor({1.0, 0.0}, kFloat64)),
                    MG_CONTAINS("Normal: scale must be positive everywhere"));
  CHECK_THROWS_WITH(Normal(zeros({2}), ones({3})), MG_CONTAINS("Normal"));
  CHECK_THROWS_WITH(Bernoulli::from_probs(tensor({0.5, 1.5})),
                    MG_CONTAINS("Bernoulli: probs must be in [0, 1]"));
  CHECK_THROWS_WITH(Categorical::from_probs(tensor({0.0, 0.0})),
                    MG_CONTAINS("Categorical: probs must be non-negative with a positive sum"));
  CHECK_THROWS_WITH(Categorical::from_logits(zeros({})),
                    MG_CONTAINS("Categorical: logits must be [*, K]"));
  const Categorical c = Categorical::from_logits(zeros({2, 3}));
  CHECK_THROWS_WITH(c.log_prob(tensor({0, 3}, kInt64)),
                    MG_CONTAINS("Categorical.log_prob: category 3 is outside [0, 3)"));
  CHECK_THROWS_WITH(c.log_prob(tensor({0.0, 1.0})),
                    MG_CONTAINS("Categorical.log_prob: value must be int64 category indices"));
}
