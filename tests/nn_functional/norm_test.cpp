// batch_norm: normalised statistics, running-stat updates with the unbiased variance, eval mode,
// gradcheck + gradgradcheck in both modes, and the error messages.
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

struct ChannelStats {
  std::vector<double> mean, biased_var, unbiased_var;
};

/// Per-channel statistics of x [N, C, *] by plain loops.
ChannelStats channel_stats(const Tensor& x) {
  const int64_t n = x.size(0), c = x.size(1), inner = x.numel() / (n * c);
  const auto v = x.to_vector<double>();
  ChannelStats s;
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < inner; ++j) sum += v[(i * c + ch) * inner + j];
    const double count = static_cast<double>(n * inner), m = sum / count;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < inner; ++j) sq += std::pow(v[(i * c + ch) * inner + j] - m, 2);
    s.mean.push_back(m);
    s.biased_var.push_back(sq / count);
    s.unbiased_var.push_back(sq / (count - 1));
  }
  return s;
}

}  // namespace

TEST_CASE("batch_norm in training normalises each channel to mean 0 and variance 1",
          "[functional]") {
  const Tensor x = (randn64({4, 3, 2, 2}, 1) * 3.0 + 5.0).detach();
  const Tensor y = batch_norm(x, {}, {}, {}, {}, true);
  REQUIRE(y.shape() == x.shape());
  const ChannelStats in = channel_stats(x), out = channel_stats(y);
  for (int c = 0; c < 3; ++c) {
    CHECK(std::abs(out.mean[c]) < 1e-12);
    // (x - m) / sqrt(v + eps) has variance v / (v + eps)
    CHECK(out.biased_var[c] == Approx(in.biased_var[c] / (in.biased_var[c] + 1e-5)).epsilon(1e-12));
  }
  // The same on [N, C].
  const Tensor x2 = randn64({5, 2}, 2).detach();
  const ChannelStats out2 = channel_stats(batch_norm(x2, {}, {}, {}, {}, true, 0.1, 0.0));
  for (int c = 0; c < 2; ++c) {
    CHECK(std::abs(out2.mean[c]) < 1e-12);
    CHECK(out2.biased_var[c] == Approx(1.0).epsilon(1e-12));
  }
}

TEST_CASE("batch_norm applies weight and bias per channel", "[functional]") {
  const Tensor x = randn64({3, 2, 4}, 3).detach();
  const Tensor w = tensor({2.0, -0.5}, kFloat64), b = tensor({1.0, 3.0}, kFloat64);
  const Tensor y = batch_norm(x, {}, {}, w, b, true);
  const Tensor plain = batch_norm(x, {}, {}, {}, {}, true);
  CHECK(allclose(y, plain * w.reshape({1, 2, 1}) + b.reshape({1, 2, 1}), 1e-12, 1e-14));
  const ChannelStats out = channel_stats(y);
  CHECK(out.mean[0] == Approx(1.0));
  CHECK(out.mean[1] == Approx(3.0));
}

TEST_CASE("batch_norm updates running stats in place with the unbiased variance", "[functional]") {
  const Tensor x = (randn64({4, 3, 2, 2}, 4) * 2.0 - 1.0).detach();
  const ChannelStats s = channel_stats(x);
  Tensor rm = zeros({3}, kFloat64), rv = ones({3}, kFloat64);
  const uint64_t version = rm.version();
  batch_norm(x, rm, rv, {}, {}, true, 0.1);
  CHECK(rm.version() > version);
  for (int c = 0; c < 3; ++c) {
    CHECK(rm.to_vector<double>()[c] == Approx(0.1 * s.mean[c]).epsilon(1e-12));
    CHECK(rv.to_vector<double>()[c] == Approx(0.9 + 0.1 * s.unbiased_var[c]).epsilon(1e-12));
  }
  // A second step mixes again: running = 0.9 running + 0.1 stat.
  batch_norm(x, rm, rv, {}, {}, true, 0.1);
  for (int c = 0; c < 3; ++c) {
    CHECK(rm.to_vector<double>()[c] == Approx(0.19 * s.mean[c]).epsilon(1e-12));
    CHECK(rv.to_vector<double>()[c] ==
          Approx(0.9 * (0.9 + 0.1 * s.unbiased_var[c]) + 0.1 * s.unbiased_var[c]).epsilon(1e-12));
  }
  // momentum = 1 (the MAML tutorial) stores the last batch's statistics.
  batch_norm(x, rm, rv, {}, {}, true, 1.0);
  for (int c = 0; c < 3; ++c) {
    CHECK(rm.to_vector<double>()[c] == Approx(s.mean[c]).epsilon(1e-12));
    CHECK(rv.to_vector<double>()[c] == Approx(s.unbiased_var[c]).epsilon(1e-12));
  }
}

TEST_CASE("batch_norm's running-stat update is not recorded", "[functional]") {
  const Tensor x = randn64({4, 2}, 5);
  Tensor rm = zeros({2}, kFloat64), rv = ones({2}, kFloat64);
  const Tensor y = batch_norm(x, rm, rv, {}, {}, true);
  CHECK(y.requires_grad());
  CHECK_FALSE(rm.requires_grad());
  CHECK_FALSE(rv.requires_grad());
  CHECK(rm.is_leaf());
  // The graph of y does not depend on the buffers, so updating them again is harmless.
  batch_norm(x, rm, rv, {}, {}, true);
  CHECK(grad({y.square().sum()}, {x})[0].defined());
}

TEST_CASE("batch_norm in eval mode uses the running stats", "[functional]") {
  const Tensor x = randn64({3, 2, 2}, 6).detach();
  const Tensor rm = tensor({0.5, -1.0}, kFloat64), rv = tensor({4.0, 0.25}, kFloat64);
  const Tensor w = tensor({1.5, 2.0}, kFloat64), b = tensor({0.0, -1.0}, kFloat64);
  const Tensor y = batch_norm(x, rm, rv, w, b, false, 0.1, 1e-5);
  const auto xv = x.to_vector<double>(), yv = y.to_vector<double>();
  const double mean[] = {0.5, -1.0}, var[] = {4.0, 0.25}, wv[] = {1.5, 2.0}, bv[] = {0.0, -1.0};
  for (size_t i = 0; i < xv.size(); ++i) {
    const size_t c = (i / 2) % 2;
    CHECK(yv[i] == Approx((xv[i] - mean[c]) / std::sqrt(var[c] + 1e-5) * wv[c] + bv[c]));
  }
  // Eval leaves the running stats unchanged.
  CHECK(rm.to_vector<double>() == std::vector<double>{0.5, -1.0});
  CHECK(rv.to_vector<double>() == std::vector<double>{4.0, 0.25});
}

TEST_CASE("batch_norm gradcheck in training mode, to second order", "[functional]") {
  const auto bn = [](const TensorList& in) {
    return TensorList{batch_norm(in[0], {}, {}, in[1], in[2], true)};
  };
  check_grads(bn, {randn64({3, 2, 2, 2}, 11), uniform64({2}, 0.5, 2.0, 12), randn64({2}, 13)});
  check_grads(bn,
              {noncontiguous(randn64({4, 3}, 14)), uniform64({3}, 0.5, 2.0, 15), randn64({3}, 16)});
  // With running stats (updated on every call, which does not change the training output) and
  // without affine parameters; a non-linear head makes the second derivative non-trivial.
  Tensor rm = zeros({2}, kFloat64), rv = ones({2}, kFloat64);
  check_grads(
      [&](const TensorList& in) {
        return TensorList{tanh(batch_norm(in[0], rm, rv, {}, {}, true, 1.0))};
      },
      {randn64({3, 2, 3}, 17)});
}

TEST_CASE("batch_norm gradcheck in eval mode, including the running stats", "[functional]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{batch_norm(in[0], in[1], in[2], in[3], in[4], false)};
      },
      {randn64({2, 3, 2}, 21), randn64({3}, 22), uniform64({3}, 0.5, 2.0, 23),
       uniform64({3}, 0.5, 2.0, 24), randn64({3}, 25)});
}

TEST_CASE("batch_norm MAML-style: a meta-gradient through an inner SGD step", "[functional]") {
  // loss(w') with w' = w - lr * dloss(w)/dw, differentiated with respect to w: needs the second
  // derivative of training-mode batch norm.
  check_grads(
      [](const TensorList& in) {
        const Tensor& x = in[0];
        const Tensor& w = in[1];
        const auto inner = [&](const Tensor& weight) {
          return batch_norm(x, {}, {}, weight, {}, true).sin().sum();
        };
        const Tensor g = grad({inner(w)}, {w}, {}, {.create_graph = true})[0];
        return TensorList{inner(w - 0.1 * g)};
      },
      {randn64({4, 2}, 31), uniform64({2}, 0.5, 2.0, 32)}, false);
}

TEST_CASE("batch_norm errors name the channel count and shapes", "[functional]") {
  const Tensor x = ones({2, 3, 4}, kFloat64);
  CHECK_THROWS_WITH(batch_norm(x, {}, {}, ones({4}, kFloat64), {}, true),
                    MG_CONTAINS("batch_norm: weight must have shape [3] (one value per channel of "
                                "input shape [2, 3, 4]), got shape [4]"));
  CHECK_THROWS_WITH(batch_norm(x, zeros({2}, kFloat64), ones({2}, kFloat64)),
                    MG_CONTAINS("batch_norm: running_mean must have shape [3]"));
  CHECK_THROWS_WITH(batch_norm(x, {}, {}, {}, ones({3, 1}, kFloat64), true),
                    MG_CONTAINS("batch_norm: bias must have shape [3]"));
  CHECK_THROWS_WITH(batch_norm(x, {}, {}), MG_CONTAINS("must be given in eval mode"));
  CHECK_THROWS_WITH(batch_norm(x, zeros({3}, kFloat64), {}, {}, {}, true),
                    MG_CONTAINS("running_mean and running_var must both be given"));
  CHECK_THROWS_WITH(batch_norm(ones({1, 3}, kFloat64), {}, {}, {}, {}, true),
                    MG_CONTAINS("batch_norm: expected more than 1 value per channel when "
                                "training, got input shape [1, 3]"));
  CHECK_THROWS_WITH(batch_norm(ones({3}, kFloat64), {}, {}, {}, {}, true),
                    MG_CONTAINS("batch_norm: input must be [N, C] or [N, C, *], got shape [3]"));
  CHECK_THROWS_WITH(batch_norm(x, zeros({3}), ones({3}), {}, {}, true), MG_CONTAINS("batch_norm"));
}
