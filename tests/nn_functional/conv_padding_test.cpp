// PyTorch's string paddings of the convolutions ("same", "valid"; engine/ops/conv_padding.hpp):
// the functional conv1d/2d/3d and the Conv1d/2d/3d layers (every padding mode) against PyTorch
// 1.13 in float64 as checksums sum(t * wave(t.shape, phase)) of the output (phase 0.3) and of the
// gradients of sum(y * wave(y.shape, 0.9)) (phase 1.3); the identities with explicit amounts,
// the per-task layer, gradcheck and gradgradcheck through uneven padding, reprs and errors.
#include <cmath>
#include <memory>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::wave;
using metagrad::testing::wave_checksums;

namespace {

void check_near(const std::vector<double>& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i)
    CHECK(std::abs(got[i] - want[i]) <= 1e-10 * (1.0 + std::abs(want[i])));
}

Tensor leaf(const Dims& shape, double phase, double scale = 1.0) {
  return (wave(shape, phase) * scale).detach().requires_grad_();
}

// Sets a layer's parameters to PyTorch script's values: wave(shape, phase) * scale in order.
void set_parameters(nn::Module& layer, const std::vector<double>& phases, double scale) {
  NoGradGuard no_grad;
  const TensorList parameters = layer.parameters();
  REQUIRE(parameters.size() == phases.size());
  for (size_t k = 0; k < phases.size(); ++k) {
    Tensor p = parameters[k];
    p.copy_(wave(p.shape(), phases[k]) * (k == 0 ? scale : 1.0));
  }
}

}  // namespace

TEST_CASE("conv 'same' padding matches PyTorch, even kernels padding one more after",
          "[nn][conv][padding]") {
  const Tensor x = leaf({2, 4, 5, 6}, 0.1), w = leaf({6, 2, 2, 4}, 0.5, 0.3), b = leaf({6}, 0.2);
  const Tensor y = conv2d(x, w, b, 1, "same", {1, 2}, 2);
  CHECK(y.shape() == Dims{2, 6, 5, 6});
  check_near(wave_checksums(y, {x, w, b}),
             {3.6965773145530108, 10.021459820771916, -25.06574177882378, 2.0566103044266875});

  const Tensor x1 = leaf({2, 3, 7}, 0.4), w1 = leaf({4, 3, 4}, 0.6);
  const Tensor y1 = conv1d(x1, w1, {}, 1, "same", 2);
  CHECK(y1.shape() == Dims{2, 4, 7});
  check_near(wave_checksums(y1, {x1, w1}),
             {39.76808284801907, 16.079142413365496, -20.68434588203833});

  const Tensor x3 = leaf({2, 4, 5, 3}, 0.2), w3 = leaf({3, 2, 2, 3, 2}, 0.7);
  const Tensor y3 = conv3d(x3, w3, {}, 1, "same");
  CHECK(y3.shape() == Dims{3, 4, 5, 3});
  check_near(wave_checksums(y3, {x3, w3}),
             {434.4109954149625, 357.772858420127, 90.90831727342861});
}

TEST_CASE("conv 'same' with an odd kernel is the symmetric padding, 'valid' is none",
          "[nn][conv][padding]") {
  const Tensor x = wave({2, 4, 6, 5}, 0.3), w = wave({4, 2, 3, 5}, 0.7), b = wave({4}, 0.1);
  CHECK(
      allclose(conv2d(x, w, b, 1, "same", {2, 1}, 2), conv2d(x, w, b, 1, {2, 2}, {2, 1}, 2), 0, 0));
  CHECK(allclose(conv2d(x, w, b, {2, 1}, "valid", 1, 2), conv2d(x, w, b, {2, 1}, 0, 1, 2), 0, 0));
  const Tensor line = wave({3, 9}, 0.2), kernel = wave({2, 3, 5}, 0.4);
  CHECK(allclose(conv1d(line, kernel, {}, 1, "same"), conv1d(line, kernel, {}, 1, 2), 0, 0));
  CHECK(allclose(conv1d(line, kernel, {}, 3, PaddingRule::parse("valid")),
                 conv1d(line, kernel, {}, 3), 0, 0));
  // An even kernel's extra cell goes after: the explicit pad then no padding.
  const Tensor even = wave({2, 2, 4, 2}, 0.6);
  CHECK(allclose(conv2d(x, even, {}, 1, "same", 1, 2),
                 conv2d(pad(x, {0, 1, 1, 2}), even, {}, 1, 0, 1, 2), 0, 0));
}

TEST_CASE("conv 'same' differentiates to second order through uneven padding",
          "[nn][conv][padding]") {
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {conv2d(in[0], in[1], in[2], 1, "same", {2, 1})};
      },
      {leaf({1, 2, 4, 3}, 0.2), leaf({2, 2, 2, 2}, 0.5), leaf({2}, 0.1)});
  check_grads(
      [](const TensorList& in) -> TensorList { return {conv1d(in[0], in[1], {}, 1, "same")}; },
      {leaf({2, 2, 5}, 0.3), leaf({3, 2, 4}, 0.8)});
  check_grads(
      [](const TensorList& in) -> TensorList { return {conv3d(in[0], in[1], {}, 1, "same")}; },
      {leaf({1, 1, 3, 3, 2}, 0.4), leaf({2, 1, 2, 2, 2}, 0.9)});
}

TEST_CASE("Conv1d/2d/3d take padding=\"same\" with every padding mode, as PyTorch",
          "[nn][conv][padding]") {
  nn::Conv2d conv(
      2, 3, {2, 3},
      {.padding = "same", .dilation = {2, 1}, .padding_mode = PadMode::Reflect, .dtype = kFloat64});
  CHECK(conv.to_string() ==
        "Conv2d(2, 3, kernel_size=(2, 3), stride=(1, 1), padding=same, dilation=(2, 1), "
        "padding_mode=reflect)");
  set_parameters(conv, {0.3, 0.8}, 0.4);
  const Tensor x = leaf({2, 2, 5, 6}, 0.9);
  const Tensor y = conv.forward(x);
  CHECK(y.shape() == Dims{2, 3, 5, 6});
  check_near(wave_checksums(y, {x, conv.weight(), conv.bias()}),
             {-169.1549044424323, -218.93429400712017, -232.13491768243605, 5.321054267068786});

  nn::Conv1d line(2, 3, 4,
                  {.padding = "same", .padding_mode = PadMode::Circular, .dtype = kFloat64});
  CHECK(line.to_string() ==
        "Conv1d(2, 3, kernel_size=(4,), stride=(1,), padding=same, padding_mode=circular)");
  set_parameters(line, {0.3, 0.8}, 0.4);
  const Tensor sequence = leaf({2, 2, 6}, 0.9);
  check_near(wave_checksums(line.forward(sequence), {sequence, line.weight(), line.bias()}),
             {12.203975642299309, 17.4226283983659, 82.01026792134421, 2.9853896428207465});

  nn::Conv3d volume(
      2, 2, {2, 2, 3},
      {.padding = "same", .bias = false, .padding_mode = PadMode::Replicate, .dtype = kFloat64});
  CHECK(volume.to_string() ==
        "Conv3d(2, 2, kernel_size=(2, 2, 3), stride=(1, 1, 1), padding=same, bias=False, "
        "padding_mode=replicate)");
  set_parameters(volume, {0.3}, 0.4);
  const Tensor v = leaf({1, 2, 3, 4, 5}, 0.9);
  const Tensor out = volume.forward(v);
  CHECK(out.shape() == Dims{1, 2, 3, 4, 5});
  check_near(wave_checksums(out, {v, volume.weight()}),
             {382.40096623823496, 443.3134564294681, 687.3647488903052});

  CHECK(nn::Conv2d(2, 3, 3, {.padding = "valid"}).to_string() ==
        "Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=valid)");
  CHECK(nn::Conv1d(2, 3, 3, {.padding = "same"}).to_string() ==
        "Conv1d(2, 3, kernel_size=(3,), stride=(1,), padding=same)");
  CHECK(nn::Conv2d(2, 3, 3, {.padding = {1, 0}}).to_string() ==
        "Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 0))");
  CHECK(nn::Conv2d(2, 3, 3, {.padding = 0}).to_string() ==
        "Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1))");
}

TEST_CASE("a task-batched Conv2d with padding=\"same\" runs each task's convolution",
          "[nn][conv][padding]") {
  nn::Sequential net(nn::Conv2d(
      2, 3, {2, 3}, {.padding = "same", .padding_mode = PadMode::Reflect, .dtype = kFloat64}));
  const std::shared_ptr<nn::Module> batched = nn::task_batched(net, 2);
  const Tensor w = wave({2, 3, 2, 2, 3}, 0.4), b = wave({2, 3}, 0.7);
  batched->set_parameters({w, b});
  const Tensor x = wave({2, 3, 2, 4, 5}, 0.2);
  const Tensor y = (*batched)(x);
  REQUIRE(y.shape() == Dims{2, 3, 3, 4, 5});
  for (int64_t t = 0; t < 2; ++t) {
    // Height: one extra row after; width: one column on each side.
    const Tensor padded = pad(x.select(0, t), {1, 1, 0, 1}, PadMode::Reflect);
    CHECK(allclose(y.select(0, t), conv2d(padded, w.select(0, t), b.select(0, t)), 1e-14, 1e-14));
  }
}

TEST_CASE("conv string paddings: errors name the op and the remedy", "[nn][conv][padding]") {
  const Tensor x = wave({1, 1, 5, 5}, 0.1), w = wave({1, 1, 3, 3}, 0.2);
  CHECK_THROWS_WITH(conv2d(x, w, {}, 2, "same"),
                    MG_CONTAINS("conv2d: padding='same' is not supported for strided"));
  CHECK_THROWS_WITH(conv1d(wave({1, 1, 5}, 0.1), wave({1, 1, 3}, 0.2), {}, 2, "same"),
                    MG_CONTAINS("conv1d: padding='same'"));
  CHECK_THROWS_WITH(PaddingRule::parse("full"),
                    MG_CONTAINS("invalid padding string 'full', should be one of 'same' or"));
  CHECK_THROWS_WITH(nn::Conv2d(1, 1, 3, {.stride = 2, .padding = "same"}),
                    MG_CONTAINS("Conv2d: padding='same' is not supported for strided"));
  CHECK_THROWS_WITH(nn::Conv3d(1, 1, 3, {.stride = {1, 1, 2}, .padding = "same"}),
                    MG_CONTAINS("stride (1, 1, 2)"));
  CHECK_THROWS_WITH(nn::Conv1d(1, 1, 3, {.padding = -1}),
                    MG_CONTAINS("Conv1d: padding must be non-negative, got -1"));
  // "same" keeps the size, so a kernel longer than the input still runs (PyTorch's too).
  CHECK(conv2d(x, wave({1, 1, 7, 2}, 0.3), {}, 1, "same").shape() == Dims{1, 1, 5, 5});
}
