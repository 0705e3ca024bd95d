// soft_margin_loss, margin_ranking_loss, hinge_embedding_loss, cosine_embedding_loss,
// triplet_margin_loss, poisson_nll_loss, gaussian_nll_loss, multilabel_soft_margin_loss and
// multi_margin_loss: values and gradients against PyTorch 1.13 (float64), gradcheck and
// gradgradcheck, and the errors.
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::uniform64;

namespace {

Tensor f64(const std::vector<double>& values, const Dims& shape = {}) {
  return tensor(values, shape.empty() ? Dims{static_cast<int64_t>(values.size())} : shape,
                kFloat64);
}

}  // namespace

TEST_CASE("soft margin, ranking and hinge embedding losses match PyTorch", "[loss]") {
  const Tensor x = f64({0.5, -1.2, 2.0, 0.3, 0.8, -0.4}, {2, 3}).requires_grad_();
  const Tensor y = f64({1.0, -1.0, 1.0, -1.0, 1.0, 1.0}, {2, 3});
  const Tensor soft = soft_margin_loss(x, y);
  CHECK(soft.item<double>() == Approx(0.5004597708962281).epsilon(1e-15));
  CHECK(allclose(grad({soft}, {x})[0].reshape({6}),
                 f64({-0.0629234447996909, 0.03857920275016373, -0.019867153670352924,
                      0.09574041946860982, -0.051670919812064585, -0.09978127668540866}),
                 1e-14));

  const Tensor a = f64({0.5, -1.2, 2.0, 0.1}).requires_grad_();
  const Tensor b = f64({0.3, 0.8, -0.4, 0.1}).requires_grad_();
  const Tensor ranking =
      margin_ranking_loss(a, b, f64({1.0, -1.0, -1.0, 1.0}), 0.5, Reduction::None);
  CHECK(allclose(ranking, f64({0.3, 0.0, 2.9, 0.5}), 1e-15));
  const TensorList g = grad({ranking.sum()}, {a, b});
  CHECK(allclose(g[0], f64({-1.0, 0.0, 1.0, -1.0}), 0));
  CHECK(allclose(g[1], f64({1.0, 0.0, -1.0, 1.0}), 0));

  const Tensor h = f64({0.5, -1.2, 2.0, 0.1, 0.7}).requires_grad_();
  const Tensor hinge =
      hinge_embedding_loss(h, f64({1.0, -1.0, -1.0, 1.0, -1.0}), 1.5, Reduction::None);
  CHECK(allclose(hinge, f64({0.5, 2.7, 0.0, 0.1, 0.8}), 1e-15));
  CHECK(allclose(grad({hinge.sum()}, {h})[0], f64({1.0, -1.0, 0.0, 1.0, -1.0}), 0));
}

TEST_CASE("cosine embedding and triplet margin losses match PyTorch", "[loss]") {
  const Tensor x1 = f64({0.5, -1.2, 2.0, 0.3, 0.8, -0.4, 1.0, 1.0, 0.0}, {3, 3}).requires_grad_();
  const Tensor x2 = f64({1.5, 0.2, -2.0, 0.3, 0.7, -0.5, -1.0, 0.5, 0.3}, {3, 3}).requires_grad_();
  const Tensor cosine = cosine_embedding_loss(x1, x2, f64({1.0, -1.0, -1.0}), 0.2, Reduction::None);
  CHECK(allclose(cosine, f64({1.583369838029752, 0.7889740045599274, 0.0}), 1e-14));
  const TensorList g = grad({cosine.sum()}, {x1, x2});
  CHECK(allclose(
      g[0].reshape({9}),
      f64({-0.30199474949495037, 0.08959960952912491, 0.12925845309126374, 0.015687624659619925,
           -0.07451621713041678, -0.13726671576889649, 0.0, 0.0, 0.0}),
      1e-13, 1e-16));
  CHECK(
      allclose(g[1].reshape({9}),
               f64({-0.22269574403764736, 0.18203649721456566, -0.14881815830682527,
                    -0.008410834907237097, 0.09672460143918349, 0.1303679410681317, 0.0, 0.0, 0.0}),
               1e-13, 1e-16));

  const Tensor anchor = f64({0.5, -1.2, 2.0, 0.3, 0.8, -0.4}, {2, 3}).requires_grad_();
  const Tensor positive = f64({0.4, -1.0, 1.5, 1.3, 0.0, 0.4}, {2, 3});
  const Tensor negative = f64({0.6, -1.1, 2.2, -0.3, 0.9, -0.2}, {2, 3});
  const Tensor triplet =
      triplet_margin_loss(anchor, positive, negative, {.reduction = Reduction::None});
  CHECK(allclose(triplet, f64({1.3027759465183248, 1.8696533325220783}), 1e-14));
  CHECK(allclose(grad({triplet.sum()}, {anchor})[0].reshape({6}),
                 f64({0.5908226977678273, 0.043100870560682125, 1.7293694795134975,
                      -1.5993092541579614, 0.6859859233445882, -0.21746677944057502}),
                 1e-13));
  CHECK(allclose(
      triplet_margin_loss(anchor, positive, negative,
                          {.margin = 0.5, .p = 1.0, .swap = true, .reduction = Reduction::None}),
      f64({0.9000039999999999, 2.2}), 1e-14));
  check_grads(
      [](const TensorList& in) {
        return TensorList{
            cosine_embedding_loss(in[0], in[1], f64({1.0, -1.0, 1.0}), -0.5, Reduction::None),
            triplet_margin_loss(in[0], in[1], in[2], {.margin = 3.0, .reduction = Reduction::Sum})};
      },
      {uniform64({3, 4}, -2, 2, 41), uniform64({3, 4}, -2, 2, 42), uniform64({3, 4}, -2, 2, 43)});
}

TEST_CASE("Poisson and Gaussian negative log-likelihoods match PyTorch", "[loss]") {
  const Tensor x = f64({0.5, -1.2, 2.0, 0.1}).requires_grad_();
  const Tensor counts = f64({1.0, 0.0, 3.0, 2.0});
  CHECK(allclose(
      poisson_nll_loss(x, counts, {.reduction = Reduction::None}),
      f64({1.1487212707001282, 0.30119421191220214, 1.3890560989306504, 0.9051709180756478}),
      1e-15));
  const Tensor full = poisson_nll_loss(x, counts, {.full = true, .reduction = Reduction::None});
  CHECK(allclose(
      full, f64({1.1487212707001282, 0.30119421191220214, 3.153137642473707, 1.5569774026801837}),
      1e-15));
  CHECK(allclose(
      grad({full.sum()}, {x})[0],
      f64({0.6487212707001282, 0.30119421191220214, 4.38905609893065, -0.8948290819243523}),
      1e-15));
  CHECK(allclose(poisson_nll_loss(abs(x.detach()) + 0.1, counts,
                                  {.log_input = false, .reduction = Reduction::None}),
                 f64({1.110825607099324, 1.3, -0.12581204847384608, 3.4188757248682036}), 1e-14));

  // One variance per sample ([2, 1]); the second is clamped to eps, and still gets a gradient.
  const Tensor mean_prediction = f64({0.5, -1.2, 2.0, 0.1}, {2, 2}).requires_grad_();
  const Tensor variance = f64({0.3, 1e-8}, {2, 1}).requires_grad_();
  const Tensor target = f64({0.4, -1.0, 1.0, 0.5}, {2, 2});
  const Tensor gaussian =
      gaussian_nll_loss(mean_prediction, target, variance, {.reduction = Reduction::None});
  CHECK(allclose(
      gaussian.reshape({4}),
      f64({-0.5853197354963015, -0.5353197354963014, 499993.092244721, 79993.09224472103}), 1e-13));
  const TensorList g = grad({gaussian.sum()}, {mean_prediction, variance});
  CHECK(allclose(g[0].reshape({4}),
                 f64({0.33333333333333326, -0.6666666666666665, 1000000.0, -400000.0}), 1e-12));
  CHECK(allclose(g[1].reshape({2}), f64({3.055555555555556, -579999000000.0}), 1e-12));
  CHECK(gaussian_nll_loss(mean_prediction, target, variance, {.full = true}).item<double>() ==
        Approx(144997.18490102596).epsilon(1e-13));
  // The variance may also drop the last dim.
  CHECK(allclose(gaussian_nll_loss(mean_prediction, target, variance.reshape({2}),
                                   {.reduction = Reduction::None}),
                 gaussian, 0));
  check_grads(
      [](const TensorList& in) {
        return TensorList{poisson_nll_loss(in[0], in[1] * 3.0, {.full = true}),
                          gaussian_nll_loss(in[0], in[1], abs(in[1]) + 0.5, {.full = true})};
      },
      {uniform64({2, 3}, -1, 1, 44), uniform64({2, 3}, 0.2, 1.5, 45)});
  CHECK_THROWS_WITH(gaussian_nll_loss(mean_prediction, target, f64({1.0, 2.0, 3.0})),
                    MG_CONTAINS("gaussian_nll_loss: var of shape [3] must have input's shape "
                                "[2, 2], or it with the last dim 1 or dropped"));
  CHECK_THROWS_WITH(gaussian_nll_loss(mean_prediction, target, f64({1.0, -2.0}, {2, 1})),
                    MG_CONTAINS("gaussian_nll_loss: var has a negative entry"));
}

TEST_CASE("multilabel soft margin and multi margin losses match PyTorch", "[loss]") {
  const Tensor x = f64({0.5, -1.2, 2.0, 0.3, 0.8, -0.4}, {2, 3}).requires_grad_();
  const Tensor labels = f64({1.0, 0.0, 1.0, 0.0, 1.0, 1.0}, {2, 3});
  const Tensor soft = multilabel_soft_margin_loss(
      x, labels, {.weight = f64({1.0, 2.0, 0.5}), .reduction = Reduction::None});
  CHECK(allclose(soft, f64({0.3547019747925519, 0.6843547341880196}), 1e-15));
  CHECK(allclose(grad({soft.sum()}, {x})[0].reshape({6}),
                 f64({-0.1258468895993818, 0.15431681100065492, -0.019867153670352924,
                      0.19148083893721962, -0.20668367924825837, -0.09978127668540866}),
                 1e-14));

  const Tensor scores =
      f64({0.5, -1.2, 2.0, 0.1, 0.3, 0.8, -0.4, 0.75, 1.0, 0.9, 0.95, -2.0}, {3, 4})
          .requires_grad_();
  const Tensor classes = tensor({2, 1, 0}, kInt64);
  const Tensor margin = multi_margin_loss(scores, classes, {.reduction = Reduction::None});
  CHECK(allclose(margin, f64({0.0, 0.3625, 0.4625}), 1e-15));
  CHECK(allclose(grad({margin.sum()}, {scores})[0].reshape({12}),
                 f64({0.0, 0.0, 0.0, 0.0, 0.25, -0.5, 0.0, 0.25, -0.5, 0.25, 0.25, 0.0}), 0));
  CHECK(allclose(multi_margin_loss(scores, classes,
                                   {.p = 2,
                                    .margin = 0.7,
                                    .weight = f64({1.0, 2.0, 0.5, 3.0}),
                                    .reduction = Reduction::None}),
                 f64({0.0, 0.23124999999999993, 0.195625}), 1e-14));
  check_grads(
      [classes](const TensorList& in) {
        return TensorList{multi_margin_loss(in[0], classes, {.p = 2, .margin = 5.0}),
                          multilabel_soft_margin_loss(in[0], gt(in[0], 0.0).to(kFloat64))};
      },
      {uniform64({3, 4}, -2, 2, 46)});
  CHECK_THROWS_WITH(multi_margin_loss(scores, tensor({2, 4, 0}, kInt64)),
                    MG_CONTAINS("multi_margin_loss: every target must lie in [0, 4)"));
}
