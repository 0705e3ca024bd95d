// pad with the reflect, replicate and circular modes, and Conv1d/Conv2d's padding_mode: values
// against PyTorch 1.13 (exact copies of arange cells, and checksums Σ y · wave(y.shape, 0.9) of
// 3-dim pads), negative pads (crops), gradients and their gradients.
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::wave;

namespace {

Tensor row(const std::vector<double>& values) {
  return tensor(values, {1, 1, static_cast<int64_t>(values.size())}, kFloat64);
}

double checksum(const Tensor& y) { return sum(y * wave(y.shape(), 0.9)).item<double>(); }

}  // namespace

TEST_CASE("pad's reflect, replicate and circular modes copy PyTorch's cells", "[pad]") {
  const Tensor x = arange(4, kFloat64).reshape({1, 1, 4});
  CHECK(allclose(pad(x, {2, 1}, PadMode::Reflect), row({2, 1, 0, 1, 2, 3, 2}), 0, 0));
  CHECK(allclose(pad(x, {-1, 3}, PadMode::Reflect), row({1, 2, 3, 2, 1, 0}), 0, 0));
  CHECK(allclose(pad(x, {2, -3}, PadMode::Reflect), row({2, 1, 0}), 0, 0));
  CHECK(allclose(pad(x, {-1, 3}, PadMode::Replicate), row({1, 2, 3, 3, 3, 3}), 0, 0));
  CHECK(allclose(pad(x, {2, -3}, PadMode::Replicate), row({0, 0, 0}), 0, 0));
  CHECK(allclose(pad(x, {5, 0}, PadMode::Replicate), row({0, 0, 0, 0, 0, 0, 1, 2, 3}), 0, 0));
  // Circular crops first, then wraps over the kept cells.
  CHECK(allclose(pad(x, {-1, 3}, PadMode::Circular), row({1, 2, 3, 1, 2, 3}), 0, 0));
  CHECK(allclose(pad(x, {4, 0}, PadMode::Circular), row({0, 1, 2, 3, 0, 1, 2, 3}), 0, 0));
  CHECK(allclose(pad(x, {-2, -1}, PadMode::Circular), row({2}), 0, 0));
  CHECK(allclose(pad(x, {1, 1}, PadMode::Constant, 7.0), row({7, 0, 1, 2, 3, 7}), 0, 0));

  // Two dims of an unbatched image [C, H, W].
  const Tensor image = arange(24, kFloat64).reshape({2, 3, 4});
  CHECK(allclose(pad(image, {1, 2, 2, 1}, PadMode::Reflect).select(0, 0),
                 tensor({9, 8, 9, 10, 11, 10, 9, 5, 4, 5, 6,  7,  6,  5, 1, 0, 1, 2, 3, 2, 1,
                         5, 4, 5, 6,  7,  6,  5, 9, 8, 9, 10, 11, 10, 9, 5, 4, 5, 6, 7, 6, 5},
                        {6, 7}, kFloat64),
                 0, 0));
  CHECK(allclose(
      pad(image.unsqueeze(0), {1, 2, 3, 1}, PadMode::Circular).select(0, 0).select(0, 0),
      tensor({3, 0, 1, 2, 3, 0, 1, 7, 4, 5, 6,  7, 4, 5,  11, 8, 9, 10, 11, 8, 9, 3, 0, 1, 2,
              3, 0, 1, 7, 4, 5, 6, 7, 4, 5, 11, 8, 9, 10, 11, 8, 9, 3,  0,  1, 2, 3, 0, 1},
             {7, 7}, kFloat64),
      0, 0));
}

TEST_CASE("pad's modes over three dims match PyTorch", "[pad]") {
  const Tensor x = wave({1, 2, 3, 4, 3}, 0.1);
  const Tensor replicated = pad(x, {1, 0, 2, 1, 1, 2}, PadMode::Replicate);
  REQUIRE(replicated.shape() == Dims{1, 2, 6, 7, 4});
  CHECK(std::abs(checksum(replicated) - -13.640707801997692) < 1e-12);
  const Tensor reflected = pad(x, {2, 1, 0, 3, 1, -1}, PadMode::Reflect);
  REQUIRE(reflected.shape() == Dims{1, 2, 3, 7, 6});
  CHECK(std::abs(checksum(reflected) - 27.905437993673512) < 1e-12);
  const Tensor wrapped = pad(x, {3, 1, 2, -1, 0, 3}, PadMode::Circular);
  REQUIRE(wrapped.shape() == Dims{1, 2, 6, 5, 7});
  CHECK(std::abs(checksum(wrapped) - -1.6657428542314605) < 1e-12);
  // Any layout gives the same cells; nothing padded is a copy.
  CHECK(allclose(pad(noncontiguous(x), {1, 0, 2, 1, 1, 2}, PadMode::Replicate), replicated, 0, 0));
  const Tensor same = pad(x, {0, 0, 0, 0, 0, 0}, PadMode::Reflect);
  CHECK(allclose(same, x, 0, 0));
  CHECK_FALSE(same.is_same(x));
}

TEST_CASE("pad's modes differentiate to every order", "[pad]") {
  // The gradient of a reflect pad sums each cell's copies (PyTorch's values).
  const Tensor x = wave({2, 3, 5}, 0.2).requires_grad_();
  const Tensor y = pad(x, {3, 2}, PadMode::Reflect);
  const Tensor g = grad({sum(y * wave(y.shape(), 0.9))}, {x})[0];
  CHECK(allclose(g.select(0, 1).select(0, 2),
                 tensor({1.4939764961882591, 2.7857502821780056, 1.196350419192698,
                         0.7878111910327021, 0.0017228623140241677},
                        kFloat64),
                 1e-14, 1e-15));
  for (const PadMode mode : {PadMode::Reflect, PadMode::Replicate, PadMode::Circular}) {
    check_grads(
        [mode](const TensorList& in) -> TensorList {
          return {pad(in[0], {2, -1, 1, 2}, mode)};
        },
        {wave({1, 2, 3, 4}, 0.3).requires_grad_()});
  }
}

TEST_CASE("Conv1d and Conv2d pad with padding_mode", "[pad][layers]") {
  Generator generator(3);
  nn::Conv2d conv(2, 3, 3,
                  {.padding = {1, 2},
                   .padding_mode = PadMode::Reflect,
                   .dtype = kFloat64,
                   .generator = &generator});
  CHECK(conv.to_string() ==
        "Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 2), padding_mode=reflect)");
  const Tensor x = wave({2, 2, 5, 6}, 0.4);
  const Tensor y = conv.forward(x);
  CHECK(y.shape() == Dims{2, 3, 5, 8});
  CHECK(allclose(y, conv2d(pad(x, {2, 2, 1, 1}, PadMode::Reflect), conv.weight(), conv.bias()), 0,
                 0));
  nn::Conv1d line(2, 2, 3,
                  {.padding = 2,
                   .bias = false,
                   .padding_mode = PadMode::Circular,
                   .dtype = kFloat64,
                   .generator = &generator});
  CHECK(line.to_string() ==
        "Conv1d(2, 2, kernel_size=(3,), stride=(1,), padding=(2,), bias=False, "
        "padding_mode=circular)");
  const Tensor sequence = wave({1, 2, 6}, 0.5);
  CHECK(allclose(line.forward(sequence),
                 conv1d(pad(sequence, {2, 2}, PadMode::Circular), line.weight()), 0, 0));
}

TEST_CASE("padding layers: PyTorch's arguments, outputs and reprs", "[pad][layers]") {
  const Tensor image = arange(24, kFloat64).reshape({1, 2, 3, 4});
  CHECK(allclose(nn::ZeroPad2d({1, 1, 2, 0}).forward(image), pad(image, {1, 1, 2, 0}), 0, 0));
  CHECK(allclose(nn::ConstantPad2d(1, -1.0).forward(image), pad(image, {1, 1, 1, 1}, -1.0), 0, 0));
  CHECK(allclose(nn::ReflectionPad2d({2, 1, 0, 2}).forward(image),
                 pad(image, {2, 1, 0, 2}, PadMode::Reflect), 0, 0));
  CHECK(allclose(nn::ReplicationPad2d(2).forward(image),
                 pad(image, {2, 2, 2, 2}, PadMode::Replicate), 0, 0));
  const Tensor x = arange(4, kFloat64).reshape({1, 1, 4});
  CHECK(allclose(nn::ReflectionPad1d({3, 1}).forward(x), row({3, 2, 1, 0, 1, 2, 3, 2}), 0, 0));
  CHECK(allclose(nn::ReplicationPad1d(2).forward(x), row({0, 0, 0, 1, 2, 3, 3, 3}), 0, 0));
  CHECK(allclose(nn::ConstantPad1d(1, 3.5).forward(x), row({3.5, 0, 1, 2, 3, 3.5}), 0, 0));
  CHECK(nn::ZeroPad2d({1, 1, 2, 0}).to_string() == "ZeroPad2d((1, 1, 2, 0))");
  CHECK(nn::ZeroPad2d(2).to_string() == "ZeroPad2d((2, 2, 2, 2))");
  CHECK(nn::ConstantPad1d(2, 3.5).to_string() == "ConstantPad1d(padding=(2, 2), value=3.5)");
  CHECK(nn::ConstantPad2d({1, 0, 2, 1}, -1.0).to_string() ==
        "ConstantPad2d(padding=(1, 0, 2, 1), value=-1.0)");
  CHECK(nn::ReflectionPad1d({3, 1}).to_string() == "ReflectionPad1d((3, 1))");
  CHECK(nn::ReplicationPad2d(1).to_string() == "ReplicationPad2d((1, 1, 1, 1))");
  CHECK_THROWS_WITH(nn::ReflectionPad2d({1, 2}),
                    "ReflectionPad2d: padding must be one amount or 4 (last dim first), got 2 "
                    "values");
  // Gradients flow through to the input.
  const Tensor leaf = wave({1, 2, 3, 4}, 0.3).requires_grad_();
  check_grads(
      [](const TensorList& in) { return TensorList{nn::ReflectionPad2d(1).forward(in[0])}; },
      {leaf});
}
