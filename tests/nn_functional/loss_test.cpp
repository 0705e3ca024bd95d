// nll_loss, cross_entropy, mse_loss, l1_loss and binary_cross_entropy_with_logits: hand-computed
// values, PyTorch's weighting rules, stability, gradcheck + gradgradcheck and error messages.
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::randn64;
using metagrad::testing::uniform64;

namespace {

// Both rows of the 2x3 example, [1, 2, 3] and [1, 0, -1], have logsumexp = max + L, so their
// -log_softmax values are {2 + L, 1 + L, L} and {L, 1 + L, 2 + L}.
const double kL = std::log(1.0 + std::exp(-1.0) + std::exp(-2.0));

Tensor example_logits() { return tensor({1, 2, 3, 1, 0, -1}, {2, 3}, kFloat64); }

double value(const Tensor& t) { return t.item<double>(); }

}  // namespace

TEST_CASE("cross_entropy on a 2x3 example matches the hand computation", "[functional]") {
  const Tensor logits = example_logits();
  const Tensor y = tensor({1, 0}, kInt64);
  // -log p: row 0 picks class 1 (1 + L), row 1 picks class 0 (L).
  CHECK(value(cross_entropy(logits, y)) == Approx((1 + 2 * kL) / 2).epsilon(1e-14));
  CHECK(value(cross_entropy(logits, y, {.reduction = Reduction::Sum})) ==
        Approx(1 + 2 * kL).epsilon(1e-14));
  CHECK(allclose(cross_entropy(logits, y, {.reduction = Reduction::None}),
                 tensor({1 + kL, kL}, kFloat64), 1e-14));
  CHECK(value(cross_entropy(logits, tensor({2, 0}, kInt64))) == Approx(0.4076059644443803));
  CHECK(allclose(nll_loss(log_softmax(logits, 1), y), cross_entropy(logits, y)));
}

TEST_CASE("cross_entropy with label smoothing follows PyTorch's formula", "[functional]") {
  const Tensor logits = example_logits();
  const Tensor y = tensor({1, 0}, kInt64);
  // loss_i = 0.9 nll_i + 0.1 / 3 * sum_c(-log p_ic), and sum_c(-log p_ic) = 3 + 3L per row.
  const double smooth = 0.1 / 3 * (3 + 3 * kL);
  CHECK(allclose(cross_entropy(logits, y, {.reduction = Reduction::None, .label_smoothing = 0.1}),
                 tensor({0.9 * (1 + kL) + smooth, 0.9 * kL + smooth}, kFloat64), 1e-14));
  CHECK(value(cross_entropy(logits, y, {.label_smoothing = 0.1})) ==
        Approx(0.9 * (1 + 2 * kL) / 2 + smooth).epsilon(1e-14));
  // Smoothing 1 leaves only the uniform target.
  CHECK(value(cross_entropy(logits, y, {.label_smoothing = 1.0})) == Approx(1 + kL).epsilon(1e-14));
}

TEST_CASE("cross_entropy with class weights divides the mean by the picked weights",
          "[functional]") {
  const Tensor logits = example_logits();
  const Tensor y = tensor({1, 0}, kInt64);
  const Tensor w = tensor({1, 2, 3}, kFloat64);
  // nll: (w[1] (1 + L) + w[0] L) / (w[1] + w[0]) = (2 + 3L) / 3
  CHECK(value(cross_entropy(logits, y, {.weight = w})) == Approx((2 + 3 * kL) / 3).epsilon(1e-14));
  CHECK(value(cross_entropy(logits, y, {.reduction = Reduction::Sum, .weight = w})) ==
        Approx(2 + 3 * kL).epsilon(1e-14));
  CHECK(allclose(cross_entropy(logits, y, {.reduction = Reduction::None, .weight = w}),
                 tensor({2 + 2 * kL, kL}, kFloat64), 1e-14));
  // Smoothing term sum_c w_c (-log p_ic): row 0: (2 + L) + 2(1 + L) + 3L = 4 + 6L; row 1: 8 + 6L.
  // PyTorch divides it by the same picked-weight sum (3) under mean.
  const double expected = 0.9 * (2 + 3 * kL) / 3 + 0.1 / 3 * (12 + 12 * kL) / 3;
  CHECK(value(cross_entropy(logits, y, {.label_smoothing = 0.1, .weight = w})) ==
        Approx(expected).epsilon(1e-14));
  CHECK(allclose(
      cross_entropy(logits, y, {.reduction = Reduction::None, .label_smoothing = 0.1, .weight = w}),
      tensor({0.9 * (2 + 2 * kL) + 0.1 / 3 * (4 + 6 * kL), 0.9 * kL + 0.1 / 3 * (8 + 6 * kL)},
             kFloat64),
      1e-14));
}

TEST_CASE("cross_entropy ignores ignore_index targets in the sum and in the mean", "[functional]") {
  const Tensor logits = example_logits();
  const Tensor y = tensor({1, -100}, kInt64);
  CHECK(value(cross_entropy(logits, y)) == Approx(1 + kL).epsilon(1e-14));
  CHECK(value(cross_entropy(logits, y, {.reduction = Reduction::Sum})) == Approx(1 + kL));
  CHECK(allclose(cross_entropy(logits, y, {.reduction = Reduction::None}),
                 tensor({1 + kL, 0.0}, kFloat64), 1e-14));
  const Tensor w = tensor({1, 2, 3}, kFloat64);
  CHECK(value(cross_entropy(logits, tensor({1, 2}, kInt64), {.ignore_index = 2, .weight = w})) ==
        Approx(1 + kL).epsilon(1e-14));
  CHECK(value(cross_entropy(logits, y, {.label_smoothing = 0.1})) ==
        Approx(0.9 * (1 + kL) + 0.1 / 3 * (3 + 3 * kL)).epsilon(1e-14));
  // Every target ignored: the mean is 0 / 0 = NaN, as PyTorch.
  CHECK(std::isnan(value(cross_entropy(logits, tensor({-100, -100}, kInt64)))));
  CHECK(value(cross_entropy(logits, tensor({-100, -100}, kInt64), {.reduction = Reduction::Sum})) ==
        0.0);
  // The ignored rows get no gradient.
  const Tensor x = randn64({3, 4}, 1);
  const Tensor g = grad({cross_entropy(x, tensor({3, -100, 0}, kInt64))}, {x})[0];
  CHECK(allclose(g.select(0, 1), zeros({4}, kFloat64)));
}

TEST_CASE("the gradient of cross_entropy is (softmax - one_hot) / N", "[functional]") {
  const Tensor x = randn64({4, 5}, 2);
  const Tensor y = tensor({4, 0, 2, 2}, kInt64);
  const Tensor g = grad({cross_entropy(x, y)}, {x})[0];
  CHECK(allclose(g, (softmax(x.detach(), 1) - one_hot(y, 5).to(kFloat64)) / 4.0, 1e-12, 1e-14));
}

TEST_CASE("nll_loss over extra dims [N, C, d] picks along the class dim", "[functional]") {
  const Tensor lp = randn64({2, 3, 4}, 3).detach();
  const Tensor y = tensor({0, 2, 1, 1, 2, 2, 0, -100}, {2, 4}, kInt64);
  const Tensor w = tensor({0.5, 2.0, 1.5}, kFloat64);
  const auto t = y.to_vector<int64_t>();
  const auto wv = w.to_vector<double>();
  std::vector<double> none(8, 0.0);
  double total = 0, weight_sum = 0;
  for (int64_t n = 0; n < 2; ++n) {
    for (int64_t d = 0; d < 4; ++d) {
      const int64_t c = t[n * 4 + d];
      if (c == -100) continue;
      none[n * 4 + d] = -wv[c] * lp.select(0, n).select(0, c).select(0, d).item<double>();
      total += none[n * 4 + d];
      weight_sum += wv[c];
    }
  }
  CHECK(allclose(nll_loss(lp, y, {.reduction = Reduction::None, .weight = w}),
                 tensor(none, {2, 4}, kFloat64), 1e-14));
  CHECK(value(nll_loss(lp, y, {.weight = w})) == Approx(total / weight_sum).epsilon(1e-14));
  CHECK(value(nll_loss(lp, y, {.reduction = Reduction::Sum, .weight = w})) ==
        Approx(total).epsilon(1e-14));
  // A single sample: input [C], 0-d target.
  const Tensor single = nll_loss(tensor({-1.0, -2.0, -3.0}, kFloat64), tensor({2}, {}, kInt64),
                                 {.reduction = Reduction::None});
  CHECK(single.dim() == 0);
  CHECK(value(single) == 3.0);
  // An empty batch: the mean is 0 / 0 = NaN and the sum 0, as PyTorch.
  CHECK(std::isnan(value(cross_entropy(zeros({0, 5}, kFloat64), zeros({0}, kInt64)))));
  CHECK(value(cross_entropy(zeros({0, 5}, kFloat64), zeros({0}, kInt64),
                            {.reduction = Reduction::Sum})) == 0.0);
}

TEST_CASE("cross_entropy and nll_loss gradcheck, with smoothing, weights and ignore_index",
          "[functional]") {
  const Tensor y = tensor({2, 0, 3}, kInt64);
  const Tensor y_ign = tensor({2, -100, 3}, kInt64);
  check_grads([&](const TensorList& in) { return TensorList{cross_entropy(in[0], y)}; },
              {randn64({3, 4}, 11)});
  check_grads(
      [&](const TensorList& in) {
        return TensorList{cross_entropy(in[0], y_ign, {.label_smoothing = 0.2, .weight = in[1]})};
      },
      {randn64({3, 4}, 12), uniform64({4}, 0.5, 2.0, 13)});
  check_grads(
      [&](const TensorList& in) {
        return TensorList{
            cross_entropy(in[0], y, {.reduction = Reduction::None, .label_smoothing = 0.1})};
      },
      {noncontiguous(randn64({3, 4}, 14))});
  const Tensor y3 = tensor({1, 0, 2, 2, 1, 0}, {2, 3}, kInt64);
  check_grads(
      [&](const TensorList& in) {
        return TensorList{
            cross_entropy(in[0], y3, {.reduction = Reduction::Sum, .label_smoothing = 0.3})};
      },
      {randn64({2, 3, 3}, 15)});
  check_grads(
      [&](const TensorList& in) { return TensorList{nll_loss(in[0], y_ign, {.weight = in[1]})}; },
      {randn64({3, 4}, 16), uniform64({4}, 0.5, 2.0, 17)});
}

TEST_CASE("cross_entropy and nll_loss errors name the op, the target and the shapes",
          "[functional]") {
  const Tensor logits = zeros({2, 5}, kFloat64);
  CHECK_THROWS_WITH(cross_entropy(logits, tensor({1, 7}, kInt64)),
                    MG_CONTAINS("cross_entropy: target 7 is out of bounds for 5 classes"));
  CHECK_THROWS_WITH(cross_entropy(logits, tensor({-1, 0}, kInt64)),
                    MG_CONTAINS("cross_entropy: target -1 is out of bounds for 5 classes"));
  CHECK_THROWS_WITH(nll_loss(logits, tensor({5, 0}, kInt64)),
                    MG_CONTAINS("nll_loss: target 5 is out of bounds for 5 classes"));
  CHECK_THROWS_WITH(cross_entropy(logits, tensor({1.0, 2.0}, kFloat64)),
                    MG_CONTAINS("cross_entropy: target must be an int64 tensor of class indices, "
                                "got float64"));
  CHECK_THROWS_WITH(cross_entropy(logits, tensor({1, 2, 3}, kInt64)),
                    MG_CONTAINS("cross_entropy: target shape [3] does not match input shape "
                                "[2, 5]; expected target shape [2]"));
  CHECK_THROWS_WITH(cross_entropy(logits, tensor({1, 2}, kInt64), {.weight = ones({4}, kFloat64)}),
                    MG_CONTAINS("cross_entropy: weight must be a 1-D tensor of 5 class weights"));
  CHECK_THROWS_WITH(cross_entropy(logits, tensor({1, 2}, kInt64), {.label_smoothing = 1.5}),
                    MG_CONTAINS("cross_entropy: label_smoothing must be between 0.0 and 1.0"));
  CHECK_THROWS_WITH(cross_entropy(scalar_tensor(1.0, kFloat64), tensor({0}, {}, kInt64)),
                    MG_CONTAINS("cross_entropy: input must be [C], [N, C]"));
  CHECK_THROWS_WITH(cross_entropy(zeros({2, 5}, kInt64), tensor({1, 2}, kInt64)),
                    MG_CONTAINS("cross_entropy"));
}

TEST_CASE("mse_loss and l1_loss values and reductions", "[functional]") {
  const Tensor a = tensor({1, 2, 3, 4}, {2, 2}, kFloat64);
  const Tensor b = tensor({1.5, 0, 3, 7}, {2, 2}, kFloat64);
  CHECK(value(mse_loss(a, b)) == Approx((0.25 + 4 + 0 + 9) / 4));
  CHECK(value(mse_loss(a, b, Reduction::Sum)) == Approx(13.25));
  CHECK(allclose(mse_loss(a, b, Reduction::None), tensor({0.25, 4, 0, 9}, {2, 2}, kFloat64)));
  CHECK(value(l1_loss(a, b)) == Approx((0.5 + 2 + 0 + 3) / 4));
  CHECK(value(l1_loss(a, b, Reduction::Sum)) == Approx(5.5));
  CHECK(allclose(l1_loss(a, b, Reduction::None), tensor({0.5, 2, 0, 3}, {2, 2}, kFloat64)));
  CHECK(value(mse_loss(scalar_tensor(2.0, kFloat64), scalar_tensor(-1.0, kFloat64))) == 9.0);
}

TEST_CASE("mse_loss and l1_loss gradcheck", "[functional]") {
  const auto mse = [](const TensorList& in) { return TensorList{mse_loss(in[0], in[1])}; };
  check_grads(mse, {randn64({2, 3}, 21), randn64({2, 3}, 22)});
  check_grads(mse, {noncontiguous(randn64({3, 2}, 23)), randn64({3, 2}, 24)});
  check_grads(mse, {randn64({}, 25), randn64({}, 26)});
  check_grads(
      [](const TensorList& in) { return TensorList{mse_loss(in[0], in[1], Reduction::None)}; },
      {randn64({0, 2}, 27), randn64({0, 2}, 28)});
  // l1 is piecewise linear: its second derivative is 0 away from the kink.
  check_grads(
      [](const TensorList& in) { return TensorList{l1_loss(in[0], in[1], Reduction::Sum)}; },
      {randn64({2, 3}, 29), randn64({2, 3}, 30)});
}

TEST_CASE("mse_loss, l1_loss and bce reject mismatched shapes and dtypes", "[functional]") {
  CHECK_THROWS_WITH(mse_loss(ones({4, 1}), ones({4})),
                    MG_CONTAINS("mse_loss: target shape [4] differs from input shape [4, 1]"));
  CHECK_THROWS_WITH(l1_loss(ones({3}), ones({2})),
                    MG_CONTAINS("l1_loss: target shape [2] differs from input shape [3]"));
  CHECK_THROWS_WITH(mse_loss(ones({2}), ones({2}, kFloat64)), MG_CONTAINS("mse_loss"));
  CHECK_THROWS_WITH(binary_cross_entropy_with_logits(ones({2, 3}), ones({3})),
                    MG_CONTAINS("binary_cross_entropy_with_logits: target shape [3] differs from "
                                "input shape [2, 3]"));
  CHECK_THROWS_WITH(
      binary_cross_entropy_with_logits(ones({2, 3}), ones({2, 3}), {.pos_weight = ones({2})}),
      MG_CONTAINS("binary_cross_entropy_with_logits: pos_weight of shape [2]"));
}

TEST_CASE("binary_cross_entropy_with_logits matches the naive formula", "[functional]") {
  const Tensor x = tensor({-2.0, -0.5, 0.0, 0.7, 3.0, 1.2}, {2, 3}, kFloat64);
  const Tensor t = tensor({0.0, 1.0, 0.3, 1.0, 0.0, 0.9}, {2, 3}, kFloat64);
  const Tensor pw = tensor({2.0, 0.5, 1.5}, kFloat64);
  const Tensor w = tensor({1.0, 3.0}, {2, 1}, kFloat64);
  const auto xv = x.to_vector<double>(), tv = t.to_vector<double>();
  std::vector<double> plain, weighted;
  for (size_t i = 0; i < xv.size(); ++i) {
    const double s = 1.0 / (1.0 + std::exp(-xv[i]));
    plain.push_back(-(tv[i] * std::log(s) + (1 - tv[i]) * std::log(1 - s)));
    const double p = pw.to_vector<double>()[i % 3], wi = i < 3 ? 1.0 : 3.0;
    weighted.push_back(-wi * (p * tv[i] * std::log(s) + (1 - tv[i]) * std::log(1 - s)));
  }
  CHECK(allclose(binary_cross_entropy_with_logits(x, t, {.reduction = Reduction::None}),
                 tensor(plain, {2, 3}, kFloat64), 1e-12));
  CHECK(allclose(binary_cross_entropy_with_logits(
                     x, t, {.reduction = Reduction::None, .pos_weight = pw, .weight = w}),
                 tensor(weighted, {2, 3}, kFloat64), 1e-12));
  double mean = 0;
  for (const double v : weighted) mean += v / 6;
  CHECK(value(binary_cross_entropy_with_logits(x, t, {.pos_weight = pw, .weight = w})) ==
        Approx(mean).epsilon(1e-12));
}

TEST_CASE("binary_cross_entropy_with_logits is stable at |x| = 100", "[functional]") {
  for (const DType dt : {kFloat64, kFloat32}) {
    const Tensor x = tensor({100, -100, 100, -100}, dt).requires_grad_();
    const Tensor t = tensor({0, 1, 1, 0}, dt);
    const Tensor loss = binary_cross_entropy_with_logits(x, t, {.reduction = Reduction::None});
    const auto lv = loss.to(kFloat64).to_vector<double>();
    CHECK(lv[0] == Approx(100.0));
    CHECK(lv[1] == Approx(100.0));
    CHECK(lv[2] >= 0.0);
    CHECK(lv[2] < 1e-40);
    CHECK(lv[3] < 1e-40);
    // d/dx = sigmoid(x) - t
    const auto g = grad({loss.sum()}, {x})[0].to(kFloat64).to_vector<double>();
    CHECK(g[0] == Approx(1.0));
    CHECK(g[1] == Approx(-1.0));
    CHECK(std::abs(g[2]) < 1e-40);
    CHECK(std::abs(g[3]) < 1e-40);
  }
}

TEST_CASE("binary_cross_entropy_with_logits has exact derivatives at x = 0", "[functional]") {
  // d/dx = sigmoid(x) - t = 0.5 - t and d2/dx2 = sigmoid'(0) = 1/4, even at the kink of |x|.
  const Tensor x = zeros({2}, kFloat64).requires_grad_();
  const Tensor t = tensor({0.0, 1.0}, kFloat64);
  const Tensor loss = binary_cross_entropy_with_logits(x, t, {.reduction = Reduction::Sum});
  const Tensor g = grad({loss}, {x}, {}, {.create_graph = true})[0];
  CHECK(allclose(g, tensor({0.5, -0.5}, kFloat64), 1e-14));
  CHECK(allclose(grad({g.sum()}, {x})[0], tensor({0.25, 0.25}, kFloat64), 1e-14));
  CHECK(value(loss) == Approx(2 * std::log(2.0)));
}

TEST_CASE("binary_cross_entropy_with_logits gradcheck in input, target and weights",
          "[functional]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{binary_cross_entropy_with_logits(in[0], in[1])};
      },
      {randn64({3, 4}, 41), uniform64({3, 4}, 0.0, 1.0, 42)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{binary_cross_entropy_with_logits(
            in[0], in[1], {.reduction = Reduction::Sum, .pos_weight = in[2], .weight = in[3]})};
      },
      {noncontiguous(randn64({3, 4}, 43)), uniform64({3, 4}, 0.0, 1.0, 44),
       uniform64({4}, 0.5, 3.0, 45), uniform64({3, 1}, 0.5, 2.0, 46)});
}

namespace {

Tensor regression_input() { return tensor({0.5, -1.2, 3.0, 0.1}, kFloat64); }
Tensor regression_target() { return tensor({0.0, 0.3, 1.0, 0.15}, kFloat64); }

}  // namespace

TEST_CASE("smooth_l1_loss and huber_loss match PyTorch's values", "[functional][loss]") {
  const Tensor i = regression_input();
  const Tensor t = regression_target();
  // torch.nn.functional in float64 (torch 1.13).
  CHECK(allclose(smooth_l1_loss(i, t, Reduction::None),
                 tensor({0.125, 1.0, 1.5, 0.0012499999999999994}, kFloat64), 1e-14));
  CHECK(value(smooth_l1_loss(i, t)) == Approx(0.6565625).epsilon(1e-14));
  CHECK(allclose(smooth_l1_loss(i, t, Reduction::None, 0.5),
                 tensor({0.25, 1.25, 1.75, 0.0024999999999999988}, kFloat64), 1e-14));
  CHECK(value(smooth_l1_loss(i, t, Reduction::Mean, 0.5)) == Approx(0.813125).epsilon(1e-14));
  CHECK(allclose(smooth_l1_loss(i, t, Reduction::None, 0.0), abs(i - t)));
  CHECK(value(huber_loss(i, t, Reduction::Sum)) == Approx(2.62625).epsilon(1e-14));
  CHECK(allclose(huber_loss(i, t, Reduction::None, 0.5),
                 tensor({0.125, 0.625, 0.875, 0.0012499999999999994}, kFloat64), 1e-14));
  CHECK(value(huber_loss(i, t, Reduction::Sum, 0.5)) == Approx(1.62625).epsilon(1e-14));
  // huber = delta * smooth_l1 with beta = delta.
  CHECK(allclose(huber_loss(i, t, Reduction::None, 0.5),
                 smooth_l1_loss(i, t, Reduction::None, 0.5) * 0.5));
}

TEST_CASE("kl_div matches PyTorch's values for every reduction", "[functional][loss]") {
  const Tensor logp = log_softmax(tensor({0.2, 1, -0.5, 1.5, 0, 0.3}, {2, 3}, kFloat64), 1);
  const Tensor p = tensor({0.2, 0.8, 0.0, 0.5, 0.25, 0.25}, {2, 3}, kFloat64);
  CHECK(allclose(kl_div(logp, p, KlDivReduction::None),
                 tensor({-0.059028567922693786, 0.23292121720513742, 0.0, -0.13579795169189243,
                         0.13381422901406748, 0.058814229014067465},
                        {2, 3}, kFloat64),
                 1e-13));
  CHECK(value(kl_div(logp, p, KlDivReduction::BatchMean)) ==
        Approx(0.11536157780934307).epsilon(1e-13));
  CHECK(value(kl_div(logp, p, KlDivReduction::Sum)) == Approx(0.23072315561868614).epsilon(1e-13));
  CHECK(value(kl_div(logp, p)) == Approx(0.038453859269781024).epsilon(1e-13));
  const Tensor log_q = log(tensor({0.2, 0.7, 0.1, 0.5, 0.25, 0.25}, {2, 3}, kFloat64));
  CHECK(value(kl_div(logp, log_q, KlDivReduction::BatchMean, true)) ==
        Approx(0.03965351330676832).epsilon(1e-13));
}

TEST_CASE("binary_cross_entropy matches PyTorch's values, clamped logs included",
          "[functional][loss]") {
  const Tensor p = tensor({0.1, 0.9, 0.5, 0.0, 1.0}, kFloat64);
  const Tensor t = tensor({0.0, 1.0, 0.3, 1.0, 0.0}, kFloat64);
  CHECK(
      allclose(binary_cross_entropy(p, t, {.reduction = Reduction::None}),
               tensor({0.10536051565782628, 0.10536051565782628, 0.6931471805599453, 100.0, 100.0},
                      kFloat64),
               1e-14));
  const Tensor w = tensor({1.0, 2.0, 0.5, 1.0, 1.0}, kFloat64);
  CHECK(value(binary_cross_entropy(p, t, {.weight = w})) ==
        Approx(40.132531027450696).epsilon(1e-14));
  // At p = 0 and p = 1 the clamped log's gradient is 0, not NaN.
  const Tensor q = p.detach().requires_grad_();
  const Tensor g = grad({binary_cross_entropy(q, t)}, {q})[0];
  CHECK(all(isfinite(g)).item<bool>());
  // Elsewhere d/dp = (p - t) / (p (1 - p)) / N.
  CHECK(g.to_vector<double>()[0] == Approx(0.1 / 0.09 / 5).epsilon(1e-14));
}

TEST_CASE("smooth_l1, huber, kl_div and binary_cross_entropy gradcheck", "[functional][loss]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{smooth_l1_loss(in[0], in[1], Reduction::Sum, 0.7),
                          huber_loss(in[0], in[1], Reduction::Mean, 0.4)};
      },
      {randn64({3, 4}, 51), randn64({3, 4}, 52)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{
            kl_div(log_softmax(in[0], 1), softmax(in[1], 1), KlDivReduction::BatchMean),
            kl_div(in[0], in[1], KlDivReduction::Sum, true)};
      },
      {randn64({3, 4}, 53), randn64({3, 4}, 54)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{binary_cross_entropy(in[0], in[1], {.weight = in[2]})};
      },
      {uniform64({3, 4}, 0.05, 0.95, 55), uniform64({3, 4}, 0.0, 1.0, 56),
       uniform64({4}, 0.5, 2.0, 57)});
}

TEST_CASE("the new losses name the op and the bad value", "[functional][loss]") {
  CHECK_THROWS_WITH(smooth_l1_loss(ones({2}), ones({3})),
                    MG_CONTAINS("smooth_l1_loss: target shape [3] differs from input shape [2]"));
  CHECK_THROWS_WITH(smooth_l1_loss(ones({2}), ones({2}), Reduction::Mean, -1.0),
                    MG_CONTAINS("smooth_l1_loss: beta must be non-negative, got -1"));
  CHECK_THROWS_WITH(huber_loss(ones({2}), ones({2}), Reduction::Mean, 0.0),
                    MG_CONTAINS("huber_loss: delta must be positive, got 0"));
  CHECK_THROWS_WITH(kl_div(ones({2}), ones({2}, kFloat64)), MG_CONTAINS("kl_div"));
  CHECK_THROWS_WITH(binary_cross_entropy(tensor({0.5, 1.5}), ones({2})),
                    MG_CONTAINS("binary_cross_entropy: all elements of input (shape [2]) should "
                                "be between 0 and 1"));
}
