// OneHotCategorical, RelaxedOneHotCategorical, RelaxedBernoulli and Chi2 (relaxed.hpp): log_prob
// and its gradients, entropy, mean and variance against PyTorch 1.13 (float64); rsample against
// its formula for the generator's uniforms; the frequencies of many draws against the
// probabilities; gradcheck and gradgradcheck of rsample with a fixed generator; the errors.
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::distributions::Chi2;
using metagrad::distributions::OneHotCategorical;
using metagrad::distributions::RelaxedBernoulli;
using metagrad::distributions::RelaxedOneHotCategorical;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::wave;

namespace {

Tensor f64(const std::vector<double>& values, const Dims& shape) {
  return tensor(values, shape, kFloat64);
}

Tensor scalar64(double value) { return full({}, value, kFloat64); }

}  // namespace

TEST_CASE("RelaxedOneHotCategorical.log_prob matches PyTorch", "[distributions][relaxed]") {
  const Tensor logits = wave({2, 3}, 0.2).to(kFloat64).requires_grad_();
  const Tensor point = softmax(wave({2, 3}, 1.1).to(kFloat64), -1);
  const Tensor lp = RelaxedOneHotCategorical::from_logits(scalar64(0.7), logits).log_prob(point);
  CHECK(allclose(lp, f64({-0.18747670037827602, 0.1160363098852657}, {2}), 1e-12, 1e-14));
  CHECK(allclose(grad({sum(lp)}, {logits})[0],
                 f64({0.37563233153626086, 0.06618285312381356, -0.4418151846600744,
                      0.2636468236323777, -0.01946698435089189, -0.2441798392814858},
                     {2, 3}),
                 1e-12, 1e-14));
  const Tensor probs = f64({0.2, 0.5, 0.3, 0.6, 0.1, 0.3}, {2, 3}).requires_grad_();
  const Tensor lp2 = RelaxedOneHotCategorical::from_probs(scalar64(0.5), probs).log_prob(point);
  CHECK(allclose(lp2, f64({-0.865429789455074, -1.0886076944674623}, {2}), 1e-12, 1e-14));
  CHECK(allclose(grad({sum(lp2)}, {probs})[0],
                 f64({1.8309124631992995, -0.9319154917781954, 0.3325841774974593,
                      -0.8390769381897326, 6.931733765063782, -0.6324240453084624},
                     {2, 3}),
                 1e-12, 1e-14));
}

TEST_CASE("RelaxedBernoulli.log_prob matches PyTorch", "[distributions][relaxed]") {
  const Tensor logits = wave({4}, 0.3).to(kFloat64).requires_grad_();
  const Tensor y = f64({0.1, 0.5, 0.93, 0.0001}, {4});
  const Tensor lp =
      RelaxedBernoulli::from_logits(f64({0.4, 1.0, 2.0, 0.6}, {4}), logits).log_prob(y);
  CHECK(allclose(
      lp,
      f64({-0.30311840630044884, -0.20949706922446532, -0.49568462566954663, 1.6910097867134573},
          {4}),
      1e-12, 1e-14));
  CHECK(allclose(
      grad({sum(lp)}, {logits})[0],
      f64({-0.5790850696700571, -0.43475048445611963, 0.9595249790212196, -0.9981902245253285},
          {4}),
      1e-12, 1e-14));
  const Tensor probs = f64({0.2, 0.7, 0.5, 0.05}, {4}).requires_grad_();
  const Tensor lp2 = RelaxedBernoulli::from_probs(scalar64(0.8), probs).log_prob(y);
  CHECK(allclose(
      lp2,
      f64({0.7642039366703972, -0.3974969384589875, 0.2015173132921424, 4.539707814915874}, {4}),
      1e-12, 1e-14));
  CHECK(allclose(
      grad({sum(lp2)}, {probs})[0],
      f64({-1.1477228830563069, -1.904761904761905, 3.1031073748929794, -20.553805814714607}, {4}),
      1e-12, 1e-13));
}

TEST_CASE("OneHotCategorical and Chi2 match PyTorch", "[distributions][relaxed]") {
  const OneHotCategorical d = OneHotCategorical::from_logits(wave({2, 3}, 0.2).to(kFloat64));
  CHECK(allclose(d.log_prob(f64({0, 1, 0, 0, 0, 1}, {2, 3})),
                 f64({-1.1295534930445186, -1.1936324618132859}, {2}), 1e-12, 1e-14));
  CHECK(allclose(d.entropy(), f64({1.0345376871887164, 1.0963728183779833}, {2}), 1e-12, 1e-14));
  CHECK(allclose(d.mean(),
                 f64({0.19378663011637035, 0.32317752522421217, 0.48303584465941757,
                      0.34116174544281525, 0.35572005797683787, 0.30311819658034705},
                     {2, 3}),
                 1e-12, 1e-14));
  CHECK(allclose(d.variance(),
                 f64({0.1562333721045114, 0.21873381241416587, 0.24971221743358057,
                      0.22477040888922695, 0.229183298329793, 0.21123755548222511},
                     {2, 3}),
                 1e-12, 1e-14));

  const Tensor df = f64({0.5, 3.0, 10.0}, {3}).requires_grad_();
  const Chi2 chi2(df);
  const Tensor lp = chi2.log_prob(f64({0.2, 2.5, 12.0}, {3}));
  CHECK(allclose(lp, f64({-0.3542308855124886, -1.7107931672675951, -2.7041631339956713}, {3}),
                 1e-12, 1e-14));
  CHECK(allclose(grad({sum(lp)}, {df})[0],
                 f64({0.9624342201911098, 0.0933267886678168, 0.1428209003981274}, {3}), 1e-11,
                 1e-14));
  CHECK(allclose(chi2.entropy(),
                 f64({-0.9394204447741763, 2.0541199559354117, 2.8467303371806896}, {3}), 1e-12,
                 1e-14));
  CHECK(allclose(chi2.mean(), df.detach(), 0, 0));
  CHECK(allclose(chi2.variance(), df.detach() * 2.0, 0, 0));
}

TEST_CASE("relaxed rsample: PyTorch's formulas for the generator's uniforms",
          "[distributions][relaxed]") {
  const Tensor logits = wave({2, 3}, 0.2).to(kFloat64);
  const Tensor t = scalar64(0.6);
  Generator g1(9), g2(9), g3(9);
  const Tensor y = RelaxedOneHotCategorical::from_logits(t, logits).rsample({4}, &g1);
  const Tensor u =
      clamp(rand({4, 2, 3}, kFloat64, &g2), 2.220446049250313e-16, 1.0 - 2.220446049250313e-16);
  CHECK(allclose(y, softmax((log_softmax(logits, -1) - log(-log(u))) / 0.6, -1), 1e-13, 1e-15));
  CHECK(allclose(sum(y, {-1}), ones({4, 2}, kFloat64), 1e-14, 1e-14));
  CHECK(allclose(RelaxedOneHotCategorical::from_logits(t, logits).sample({4}, &g3), y, 0, 0));

  const Tensor p = f64({0.2, 0.7, 0.5}, {3});
  Generator h1(3), h2(3);
  const Tensor b = RelaxedBernoulli::from_probs(t, p).rsample({5}, &h1);
  const Tensor v =
      clamp(rand({5, 3}, kFloat64, &h2), 2.220446049250313e-16, 1.0 - 2.220446049250313e-16);
  CHECK(allclose(b, sigmoid((log(v) - log1p(-v) + log(p) - log1p(-p)) / 0.6), 1e-13, 1e-15));
}

TEST_CASE("relaxed and one-hot draws: frequencies follow the probabilities",
          "[distributions][relaxed]") {
  const int64_t draws = 40000;
  const Tensor probs = f64({0.2, 0.5, 0.3}, {3});
  Generator generator(17);
  // The argmax of a relaxed one-hot draw is a categorical draw at any temperature.
  const Tensor relaxed =
      RelaxedOneHotCategorical::from_probs(scalar64(2.0), probs).sample({draws}, &generator);
  const Tensor winners = one_hot(argmax(relaxed, -1), 3).to(kFloat64);
  CHECK(max(abs(mean(winners, {0}) - probs)).item<double>() < 0.01);
  const Tensor hot = OneHotCategorical::from_probs(probs).sample({draws}, &generator);
  CHECK(allclose(sum(hot, {-1}), ones({draws}, kFloat64), 0, 0));
  CHECK(max(abs(mean(hot, {0}) - probs)).item<double>() < 0.01);
  // A relaxed Bernoulli draw lies above 1/2 with probability p.
  const Tensor p = f64({0.1, 0.6, 0.85}, {3});
  const Tensor y = RelaxedBernoulli::from_probs(scalar64(0.5), p).sample({draws}, &generator);
  CHECK(max(abs(mean(gt(y, 0.5).to(kFloat64), {0}) - p)).item<double>() < 0.01);
}

TEST_CASE("relaxed rsample has first and second derivatives", "[distributions][relaxed]") {
  check_grads(
      [](const TensorList& in) -> TensorList {
        Generator generator(5);
        return {RelaxedOneHotCategorical::from_logits(in[1], in[0]).rsample({2}, &generator)};
      },
      {wave({2, 3}, 0.4).to(kFloat64).requires_grad_(), scalar64(0.8).requires_grad_()});
  check_grads(
      [](const TensorList& in) -> TensorList {
        Generator generator(6);
        return {RelaxedBernoulli::from_logits(in[1], in[0]).rsample({2}, &generator)};
      },
      {wave({3}, 0.1).to(kFloat64).requires_grad_(), scalar64(1.3).requires_grad_()});
}

TEST_CASE("relaxed distributions: errors name the distribution", "[distributions][relaxed]") {
  const Tensor logits = wave({2, 3}, 0.2).to(kFloat64);
  CHECK_THROWS_WITH(RelaxedOneHotCategorical::from_logits(scalar64(0.0), logits),
                    MG_CONTAINS("RelaxedOneHotCategorical"));
  CHECK_THROWS_WITH(RelaxedBernoulli::from_logits(scalar64(-1.0), logits),
                    MG_CONTAINS("RelaxedBernoulli"));
  CHECK_THROWS_WITH(Chi2(f64({1.0, -2.0}, {2})), MG_CONTAINS("Chi2"));
  CHECK_THROWS_WITH(OneHotCategorical::from_logits(logits).log_prob(f64({1, 0}, {1, 2})),
                    MG_CONTAINS("OneHotCategorical.log_prob: value shape [1, 2]"));
}
