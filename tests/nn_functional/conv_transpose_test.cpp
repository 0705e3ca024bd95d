// conv_transpose2d / conv_transpose1d and nn::ConvTranspose2d: values against PyTorch 1.13 in
// float64 on inputs both sides compute the same way (wave()), as Σ y · wave(y.shape, 0.9)
// checksums over stride, padding, output_padding (below and, with dilation, above the stride),
// groups and dilation; one output in full; gradients and their gradients. Also pixel_shuffle and
// pixel_unshuffle, the other upsampling layers of decoders.
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::wave;

namespace {

struct TransposeCase {
  Dims input_shape, weight_shape;
  bool bias;
  IntPair stride, padding, output_padding;
  int64_t groups;
  IntPair dilation;
  Dims output_shape;
  double checksum;
};

const std::vector<TransposeCase> kCases = {
    {{2, 3, 4, 5}, {3, 2, 3, 3}, true, 1, 0, 0, 1, 1, {2, 2, 6, 7}, -64.49777049753985},
    {{1, 4, 3, 4},
     {4, 3, 3, 2},
     true,
     {2, 3},
     {1, 0},
     {1, 2},
     1,
     1,
     {1, 3, 6, 13},
     -9.023428544763995},
    {{2, 4, 3, 3}, {4, 1, 2, 3}, false, 2, 1, 1, 2, 1, {2, 2, 5, 6}, -52.34964250617132},
    {{1, 2, 4, 3}, {2, 3, 3, 3}, true, 2, {0, 1}, 1, 1, 2, {1, 3, 12, 8}, -15.03887669644445},
    // output_padding 1 >= stride 1 (allowed below the dilation): the last windows take no input.
    {{1, 2, 3, 3}, {2, 2, 2, 2}, true, 1, 0, 1, 1, 2, {1, 2, 6, 6}, 6.196732674454013},
    {{1, 6, 2, 3}, {6, 2, 3, 3}, true, 3, 2, {2, 1}, 3, 1, {1, 6, 4, 6}, -39.17057277778689},
};

double checksum(const Tensor& y) { return sum(y * wave(y.shape(), 0.9)).item<double>(); }

}  // namespace

TEST_CASE("conv_transpose2d matches PyTorch", "[nn][conv_transpose]") {
  for (const TransposeCase& c : kCases) {
    INFO("input " << shape_str(c.input_shape) << ", weight " << shape_str(c.weight_shape));
    const Tensor x = wave(c.input_shape, 0.1), w = wave(c.weight_shape, 0.2);
    const Tensor b = c.bias ? wave({c.weight_shape[1] * c.groups}, 0.3) : Tensor();
    const Tensor y =
        conv_transpose2d(x, w, b, c.stride, c.padding, c.output_padding, c.groups, c.dilation);
    REQUIRE(y.shape() == c.output_shape);
    CHECK(std::abs(checksum(y) - c.checksum) <= 1e-12 * (1 + std::abs(c.checksum)));
    // Any layout, and an unbatched image, give the same values.
    CHECK(allclose(conv_transpose2d(noncontiguous(x), noncontiguous(w), b, c.stride, c.padding,
                                    c.output_padding, c.groups, c.dilation),
                   y, 1e-14, 1e-14));
    CHECK(allclose(conv_transpose2d(x.select(0, 0), w, b, c.stride, c.padding, c.output_padding,
                                    c.groups, c.dilation),
                   y.select(0, 0), 0, 0));
  }
  const Tensor y = conv_transpose2d(wave({1, 2, 2, 3}, 0.1), wave({2, 1, 2, 2}, 0.2),
                                    wave({1}, 0.3), 2, {1, 0}, {1, 0});
  CHECK(allclose(
      y,
      tensor({1.7129994352283966, 1.227705169016262, 1.914800601056142, 1.7659763501537487,
              1.917438398702106, 2.1252268273029706, 0.22536051736524115, 1.0114046479743908,
              -0.4782122766944843, 0.4357867436120706, -1.0570653720633365, -0.13881694169463388,
              1.7205558146293756, 2.2568337337019555, 1.3507999829742405, 2.1429846919655082,
              0.8582156209482026, 1.7990886358026577},
             {1, 1, 3, 6}, kFloat64),
      1e-14, 1e-15));
}

TEST_CASE("conv_transpose2d is the adjoint of conv2d", "[nn][conv_transpose]") {
  // <conv2d(u, W), v> = <u, conv_transpose2d(v, W)> for the same stride, padding and dilation
  // (output_padding restores u's size).
  const Tensor u = wave({2, 3, 7, 8}, 0.4), w = wave({4, 3, 3, 2}, 0.5);
  const Tensor v = wave({2, 4, 4, 3}, 0.6);
  const IntPair stride{2, 2}, padding{1, 0}, dilation{1, 2};
  const Tensor conv = conv2d(u, w, {}, stride, padding, dilation);
  REQUIRE(conv.shape() == v.shape());
  const Tensor transposed = conv_transpose2d(v, w, {}, stride, padding, {0, 1}, 1, dilation);
  REQUIRE(transposed.shape() == u.shape());
  CHECK(std::abs(sum(conv * v).item<double>() - sum(u * transposed).item<double>()) < 1e-12);
}

TEST_CASE("conv_transpose2d and 1d have derivatives of every order", "[nn][conv_transpose]") {
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {conv_transpose2d(in[0], in[1], in[2], {2, 1}, {1, 0}, {1, 0}, 2, {1, 2})};
      },
      {wave({1, 4, 2, 3}, 0.1).requires_grad_(), wave({4, 1, 2, 2}, 0.2).requires_grad_(),
       wave({2}, 0.3).requires_grad_()});
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {conv_transpose1d(in[0], in[1], in[2], 2, 1, 1)};
      },
      {wave({2, 2, 3}, 0.4).requires_grad_(), wave({2, 3, 3}, 0.5).requires_grad_(),
       wave({3}, 0.6).requires_grad_()});
}

TEST_CASE("conv_transpose1d matches PyTorch", "[nn][conv_transpose]") {
  const Tensor y =
      conv_transpose1d(wave({2, 3, 5}, 0.1), wave({3, 2, 3}, 0.2), wave({2}, 0.3), 2, 1, 1);
  REQUIRE(y.shape() == Dims{2, 2, 10});
  CHECK(std::abs(checksum(y) - 18.099408244788414) < 1e-12);
}

TEST_CASE("ConvTranspose2d: PyTorch's parameters, initialisation and repr", "[nn][layers]") {
  Generator generator(7);
  nn::ConvTranspose2d layer(4, 6, {3, 2},
                            {.stride = 2,
                             .padding = 1,
                             .output_padding = 1,
                             .groups = 2,
                             .dtype = kFloat64,
                             .generator = &generator});
  CHECK(layer.weight().shape() == Dims{4, 3, 3, 2});
  CHECK(layer.bias().shape() == Dims{6});
  // fan_in = out / groups * kh * kw = 18: weights and bias in +-1/sqrt(18), spread over it.
  const double bound = 1.0 / std::sqrt(18.0);
  CHECK(max(abs(layer.weight())).item<double>() <= bound);
  CHECK(max(abs(layer.weight())).item<double>() > 0.8 * bound);
  CHECK(max(abs(layer.bias())).item<double>() <= bound);
  CHECK(layer.to_string() ==
        "ConvTranspose2d(4, 6, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), "
        "output_padding=(1, 1), groups=2)");
  const Tensor x = wave({2, 4, 3, 3}, 0.7);
  CHECK(allclose(layer.forward(x), conv_transpose2d(x, layer.weight(), layer.bias(), 2, 1, 1, 2), 0,
                 0));
  // forward(input, output_size) picks the output_padding: a stride-2 conv of 7 x 8 images gives
  // 4 x 4, and its transpose must return 7 x 8 (output_padding (0, 1)).
  nn::ConvTranspose2d up(4, 6, 3, {.stride = 2, .padding = 1, .dtype = kFloat64});
  const Tensor coarse = wave({1, 4, 4, 4}, 0.8);
  const Tensor restored = up.forward(coarse, {7, 8});
  CHECK(restored.shape() == Dims{1, 6, 7, 8});
  CHECK(allclose(restored, conv_transpose2d(coarse, up.weight(), up.bias(), 2, 1, {0, 1}), 0, 0));
  CHECK_THROWS_WITH(up.forward(coarse, {9, 8}),
                    "ConvTranspose2d: requested an output size of (9, 8), but valid sizes range "
                    "from (7, 7) to (8, 8) (for an input of shape [1, 4, 4, 4])");
  CHECK(nn::ConvTranspose2d(2, 2, 3, {.bias = false}).to_string() ==
        "ConvTranspose2d(2, 2, kernel_size=(3, 3), stride=(1, 1), bias=False)");
}

TEST_CASE("ConvTranspose1d: PyTorch's parameters, output and repr", "[nn][layers]") {
  nn::ConvTranspose1d layer(4, 6, 3,
                            {.stride = 2,
                             .padding = 1,
                             .output_padding = 1,
                             .groups = 2,
                             .dilation = 2,
                             .dtype = kFloat64});
  REQUIRE(layer.weight().shape() == Dims{4, 3, 3});
  CHECK(layer.to_string() ==
        "ConvTranspose1d(4, 6, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), "
        "output_padding=(1,), groups=2)");
  CHECK(nn::ConvTranspose1d(4, 6, 3).to_string() ==
        "ConvTranspose1d(4, 6, kernel_size=(3,), stride=(1,))");
  // PyTorch 1.13 with the same weight (arange / 20 - 0.8), bias and input (arange / 10):
  // sum(y * sin(arange(y.numel))) of the [2, 6, 12] output.
  {
    NoGradGuard no_grad;
    Tensor weight = layer.weight(), bias = layer.bias();  // handles on the parameters' storage
    weight.copy_(arange(36, kFloat64).reshape({4, 3, 3}) / 20.0 - 0.8);
    bias.copy_(tensor({0.1, -0.2, 0.3, 0.0, 0.5, -0.5}, kFloat64));
  }
  const Tensor x = arange(40, kFloat64).reshape({2, 4, 5}) / 10.0;
  const Tensor y = layer.forward(x);
  REQUIRE(y.shape() == Dims{2, 6, 12});
  const Tensor phases = sin(arange(y.numel(), kFloat64)).reshape(y.shape());
  CHECK(sum(y * phases).item<double>() == Approx(8.214710945468092).epsilon(1e-13));
  // forward(input, output_size): lengths 11 and 12 are reachable from 5 cells.
  CHECK(allclose(layer.forward(x, 12), y, 0, 0));
  CHECK(layer.forward(x, 11).shape() == Dims{2, 6, 11});
  CHECK_THROWS_WITH(layer.forward(x, 10),
                    "ConvTranspose1d: requested an output size of (10,), but valid sizes range "
                    "from (11,) to (12,) (for an input of shape [2, 4, 5])");
}

TEST_CASE("pixel_shuffle and pixel_unshuffle move PyTorch's cells", "[nn][pixel_shuffle]") {
  const Tensor x = arange(16, kFloat64).reshape({1, 4, 2, 2});
  CHECK(allclose(
      pixel_shuffle(x, 2),
      tensor({0, 4, 1, 5, 8, 12, 9, 13, 2, 6, 3, 7, 10, 14, 11, 15}, {1, 1, 4, 4}, kFloat64), 0,
      0));
  const Tensor image = arange(16, kFloat64).reshape({1, 1, 4, 4});
  CHECK(allclose(
      pixel_unshuffle(image, 2),
      tensor({0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15}, {1, 4, 2, 2}, kFloat64), 0,
      0));
  // Inverses of each other, with any number of leading dims (none included).
  const Tensor batch = wave({2, 3, 18, 2, 3}, 0.3);
  CHECK(pixel_shuffle(batch, 3).shape() == Dims{2, 3, 2, 6, 9});
  CHECK(allclose(pixel_unshuffle(pixel_shuffle(batch, 3), 3), batch, 0, 0));
  CHECK(
      allclose(pixel_shuffle(pixel_unshuffle(image.select(0, 0), 4), 4), image.select(0, 0), 0, 0));
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {pixel_shuffle(in[0], 2), pixel_unshuffle(in[0], 2)};
      },
      {wave({1, 4, 2, 4}, 0.4).requires_grad_()});
  nn::PixelShuffle shuffle(3);
  nn::PixelUnshuffle unshuffle(2);
  CHECK(shuffle.to_string() == "PixelShuffle(upscale_factor=3)");
  CHECK(unshuffle.to_string() == "PixelUnshuffle(downscale_factor=2)");
  CHECK(allclose(unshuffle.forward(image), pixel_unshuffle(image, 2), 0, 0));
}

TEST_CASE("conv_transpose2d with per-task operands is each task's transposed convolution",
          "[nn][conv_transpose]") {
  const Tensor x = wave({3, 2, 4, 3, 3}, 0.1), w = wave({3, 4, 3, 2, 2}, 0.2);
  const Tensor b = wave({3, 6}, 0.3);
  const Tensor y = conv_transpose2d(x, w, b, 2, {1, 0}, {1, 0}, 2);
  REQUIRE(y.shape() == Dims{3, 2, 6, 5, 6});
  for (int64_t t = 0; t < 3; ++t)
    CHECK(allclose(
        y.select(0, t),
        conv_transpose2d(x.select(0, t), w.select(0, t), b.select(0, t), 2, {1, 0}, {1, 0}, 2),
        1e-14, 1e-14));
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {conv_transpose2d(in[0], in[1], in[2], 2, 1, 1)};
      },
      {wave({2, 1, 2, 2, 2}, 0.4).requires_grad_(), wave({2, 2, 3, 2, 2}, 0.5).requires_grad_(),
       wave({2, 3}, 0.6).requires_grad_()});
}
