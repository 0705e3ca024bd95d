// interpolate (every mode), adaptive_avg_pool3d and nn::Upsample: values against PyTorch 1.13 on
// inputs both sides compute the same way (wave()), in float64 and float32 (ATen computes the
// source positions and weights in float for float32, so its float32 results are not the float64
// ones rounded: the checksums below tell them apart), gradients and their gradients.
#include <cmath>
#include <optional>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::wave;

namespace {

// One F.interpolate call of the PyTorch reference and Σ y · wave(y.shape, 0.9) of its result.
struct InterpolateCase {
  InterpolateMode mode;
  Dims input_shape;
  std::vector<int64_t> size;
  std::vector<double> scale_factor;
  std::optional<bool> align_corners, recompute_scale_factor;
  Dims output_shape;
  double checksum_float64, checksum_float32;
};

constexpr auto kNearest = InterpolateMode::Nearest;
constexpr auto kNearestExact = InterpolateMode::NearestExact;
constexpr auto kLinear = InterpolateMode::Linear;
constexpr auto kBilinear = InterpolateMode::Bilinear;
constexpr auto kBicubic = InterpolateMode::Bicubic;
constexpr auto kTrilinear = InterpolateMode::Trilinear;
constexpr auto kArea = InterpolateMode::Area;
constexpr std::nullopt_t kUnset = std::nullopt;

const std::vector<InterpolateCase> kCases = {
    {kNearest,
     {1, 2, 5},
     {8},
     {},
     kUnset,
     kUnset,
     {1, 2, 8},
     -3.9288433027471,
     -3.9288431089306233},
    {kNearest,
     {2, 1, 3, 4},
     {},
     {1.7, 2.5},
     kUnset,
     kUnset,
     {2, 1, 5, 10},
     -1.1366031079781642,
     -1.1366032920183202},
    {kNearest,
     {1, 2, 7, 6},
     {3, 4},
     {},
     kUnset,
     kUnset,
     {1, 2, 3, 4},
     10.042749446433614,
     10.042749503116452},
    {kNearest,
     {1, 1, 3, 5},
     {},
     {2.0, 2.0},
     kUnset,
     kUnset,
     {1, 1, 6, 10},
     12.85963281861715,
     12.85963273037533},
    {kNearest,
     {1, 1, 2, 3, 4},
     {3, 5, 2},
     {},
     kUnset,
     kUnset,
     {1, 1, 3, 5, 2},
     -4.443750347705519,
     -4.443750214808819},
    {kNearestExact,
     {1, 2, 7, 6},
     {3, 4},
     {},
     kUnset,
     kUnset,
     {1, 2, 3, 4},
     1.9013761695569436,
     1.9013758842463533},
    {kNearestExact,
     {2, 1, 3, 4},
     {},
     {1.7, 2.5},
     kUnset,
     kUnset,
     {2, 1, 5, 10},
     -13.711069935049158,
     -13.711069729099922},
    {kNearestExact,
     {1, 1, 5},
     {},
     {0.6},
     kUnset,
     true,
     {1, 1, 3},
     4.020695126831207,
     4.020695144046164},
    {kLinear,
     {2, 2, 5},
     {9},
     {},
     kUnset,
     kUnset,
     {2, 2, 9},
     -1.990625123339886,
     -1.9906250856826004},
    {kLinear,
     {2, 2, 5},
     {9},
     {},
     true,
     kUnset,
     {2, 2, 9},
     -1.9713629469694216,
     -1.9713627648486667},
    {kLinear,
     {1, 2, 9},
     {},
     {0.45},
     kUnset,
     kUnset,
     {1, 2, 4},
     3.7484140873481975,
     3.7484135753208196},
    {kLinear,
     {1, 2, 9},
     {},
     {0.45},
     kUnset,
     true,
     {1, 2, 4},
     3.6350170402445436,
     3.6350169475316965},
    {kBilinear,
     {2, 2, 4, 5},
     {7, 3},
     {},
     kUnset,
     kUnset,
     {2, 2, 7, 3},
     4.464255033580276,
     4.46426168702824},
    {kBilinear,
     {2, 2, 4, 5},
     {7, 3},
     {},
     true,
     kUnset,
     {2, 2, 7, 3},
     3.6298693308707106,
     3.6298694767042954},
    {kBilinear,
     {1, 3, 6, 5},
     {},
     {1.5, 0.7},
     kUnset,
     kUnset,
     {1, 3, 9, 3},
     31.070074404734612,
     31.070068813601335},
    {kBilinear,
     {1, 3, 6, 5},
     {},
     {1.5, 0.7},
     true,
     kUnset,
     {1, 3, 9, 3},
     27.021880001724597,
     27.021879355524398},
    {kBilinear,
     {1, 1, 4, 4},
     {1, 1},
     {},
     true,
     kUnset,
     {1, 1, 1, 1},
     0.17595495391390392,
     0.17595495793021207},
    {kBicubic,
     {2, 2, 4, 5},
     {7, 3},
     {},
     kUnset,
     kUnset,
     {2, 2, 7, 3},
     5.409878493310346,
     5.4098851291213155},
    {kBicubic,
     {2, 2, 4, 5},
     {7, 3},
     {},
     true,
     kUnset,
     {2, 2, 7, 3},
     3.90771508338525,
     3.9077154238346647},
    {kBicubic,
     {1, 2, 6, 5},
     {},
     {1.5, 0.7},
     kUnset,
     kUnset,
     {1, 2, 9, 3},
     48.85353487429162,
     48.853533706253224},
    {kBicubic,
     {1, 1, 5, 5},
     {5, 5},
     {},
     kUnset,
     kUnset,
     {1, 1, 5, 5},
     20.080762055411313,
     20.08076209618641},
    {kTrilinear,
     {1, 2, 3, 4, 5},
     {5, 2, 7},
     {},
     kUnset,
     kUnset,
     {1, 2, 5, 2, 7},
     -0.792059991811932,
     -0.7920592400691199},
    {kTrilinear,
     {1, 1, 3, 4, 5},
     {},
     {1.5, 1.25, 0.6},
     true,
     kUnset,
     {1, 1, 4, 5, 3},
     -1.4667552632468759,
     -1.4667556323003956},
    {kArea, {1, 2, 9}, {4}, {}, kUnset, kUnset, {1, 2, 4}, 3.9585164731262266, 3.958516531019069},
    {kArea,
     {1, 2, 7, 5},
     {},
     {0.5, 0.5},
     kUnset,
     kUnset,
     {1, 2, 3, 2},
     0.39152684309119923,
     0.3915268803600413},
    {kArea,
     {1, 1, 5, 6, 7},
     {2, 3, 4},
     {},
     kUnset,
     kUnset,
     {1, 1, 2, 3, 4},
     0.2541473849492589,
     0.2541474129882614},
};

InterpolateOptions options_of(const InterpolateCase& c) {
  return {.size = c.size,
          .scale_factor = c.scale_factor,
          .mode = c.mode,
          .align_corners = c.align_corners,
          .recompute_scale_factor = c.recompute_scale_factor};
}

double checksum(const Tensor& y) {
  return sum(y.to(kFloat64) * wave(y.shape(), 0.9)).item<double>();
}

}  // namespace

TEST_CASE("interpolate matches PyTorch in every mode, float64 and float32", "[nn][interpolate]") {
  for (const InterpolateCase& c : kCases) {
    const std::string mode(detail::interpolate_mode_name(c.mode));
    INFO(mode << " of " << shape_str(c.input_shape) << " to " << shape_str(c.output_shape));
    const Tensor x = wave(c.input_shape, 0.1);
    const Tensor y = interpolate(x, options_of(c));
    REQUIRE(y.shape() == c.output_shape);
    CHECK(std::abs(checksum(y) - c.checksum_float64) <= 1e-12 * (1 + std::abs(c.checksum_float64)));
    // float32: ATen's float positions and weights; only the additions' order may differ. ATen's
    // AVX2 kernels contract the cubic polynomials into FMAs, so its float32 bicubic weights can
    // differ from the plain float ones by a few ulps.
    const Tensor y32 = interpolate(x.to(kFloat32), options_of(c));
    CHECK(y32.dtype() == kFloat32);
    const double tolerance = c.mode == kBicubic ? 3e-6 : 4e-7;
    CHECK(std::abs(checksum(y32) - c.checksum_float32) <=
          tolerance * (1 + std::abs(c.checksum_float32)));
    // Any layout gives the same values.
    CHECK(allclose(interpolate(noncontiguous(x), options_of(c)), y, 0, 0));
  }
}

TEST_CASE("interpolate's values and gradient match PyTorch on small images", "[nn][interpolate]") {
  const Tensor x = wave({1, 1, 2, 3}, 0.2);
  CHECK(allclose(
      interpolate(x, {.size = {3, 4}, .mode = kBilinear}),
      tensor({0.2980039961925918, 0.6176565442603181, 0.960156477165973, 1.2113371506076713,
              0.8736407118058463, 1.0465255408015885, 1.1956066557914713, 1.271190351778867,
              1.449277427419101, 1.4753945373428592, 1.4310568344169698, 1.3310435529500628},
             {1, 1, 3, 4}, kFloat64),
      1e-14, 1e-15));
  CHECK(allclose(
      interpolate(x, {.size = {3, 4}, .mode = kBicubic, .align_corners = true}),
      tensor({0.2980039961925918, 0.603783558795723, 0.992795828268813, 1.2113371506076713,
              0.8736407118058463, 1.0497366080108264, 1.2190633065178547, 1.271190351778867,
              1.449277427419101, 1.49568965722593, 1.445330784766896, 1.3310435529500628},
             {1, 1, 3, 4}, kFloat64),
      1e-14, 1e-15));
  // The gradient of Σ y · w through a bicubic resize with a fractional scale (edges clamped).
  const Tensor image = wave({1, 1, 3, 4}, 0.2).requires_grad_();
  const Tensor y = interpolate(image, {.scale_factor = {1.5, 0.75}, .mode = kBicubic});
  REQUIRE(y.shape() == Dims{1, 1, 4, 3});
  const Tensor g = grad({sum(y * wave(y.shape(), 0.9))}, {image})[0];
  CHECK(allclose(
      g,
      tensor({1.491376695256418, 1.5563136783838207, 1.5647574745503596, 1.531950780731983,
              0.46792195864380515, -0.037747802575857164, -0.30074063549620206, -0.7958098359084983,
              -0.9441398561664169, -1.037117531683555, -1.0686555018938788, -1.0956859467874458},
             {1, 1, 3, 4}, kFloat64),
      1e-13, 1e-14));
}

TEST_CASE("interpolate has derivatives of every order in every mode", "[nn][interpolate]") {
  const auto resize = [](InterpolateOptions options) {
    return [options](const TensorList& in) -> TensorList { return {interpolate(in[0], options)}; };
  };
  check_grads(resize({.size = {7}, .mode = kLinear}), {wave({2, 2, 4}, 0.3).requires_grad_()});
  check_grads(resize({.scale_factor = {1.5, 0.6}, .mode = kBilinear, .align_corners = true}),
              {wave({1, 2, 4, 5}, 0.4).requires_grad_()});
  check_grads(resize({.size = {5, 3}, .mode = kBicubic}),
              {wave({1, 1, 3, 4}, 0.5).requires_grad_()});
  check_grads(resize({.size = {3, 2, 4}, .mode = kTrilinear}),
              {wave({1, 1, 2, 3, 3}, 0.6).requires_grad_()});
  check_grads(resize({.scale_factor = {2.5}, .mode = kNearest}),
              {wave({1, 2, 2, 3}, 0.7).requires_grad_()});
  check_grads(resize({.size = {3}, .mode = kNearestExact}),
              {wave({1, 1, 2, 2, 5}, 0.8).requires_grad_()});
  check_grads(resize({.size = {2, 3, 2}, .mode = kArea}),
              {wave({1, 2, 3, 5, 4}, 0.9).requires_grad_()});
}

TEST_CASE("interpolate keeps unchanged dims and picks the same cells in float32 and float64",
          "[nn][interpolate]") {
  const Tensor x = wave({1, 2, 4, 6}, 0.3);
  for (const InterpolateMode mode : {kNearest, kNearestExact, kBilinear}) {
    const Tensor y = interpolate(x, {.size = {4, 6}, .mode = mode});
    CHECK(allclose(y, x, 0, 0));
    CHECK_FALSE(y.is_same(x));
  }
  // Nearest positions are computed in float for both dtypes (ATen), so the same cells are picked.
  for (const double factor : {0.3, 0.7, 1.3, 2.6, 3.1}) {
    const InterpolateOptions options{.scale_factor = {factor}, .mode = kNearest};
    CHECK(
        allclose(interpolate(x.to(kFloat32), options), interpolate(x, options).to(kFloat32), 0, 0));
  }
  // 1 / scale_factor, not in / out, unless recompute_scale_factor: 5 * 1.7 -> 8 cells, and
  // floor(i / 1.7) differs from floor(i * 5 / 8) at i = 5.
  const Tensor line = arange(5, kFloat64).reshape({1, 1, 5});
  CHECK(allclose(interpolate(line, {.scale_factor = {1.7}}),
                 tensor({0, 0, 1, 1, 2, 2, 3, 4}, {1, 1, 8}, kFloat64), 0, 0));
  CHECK(allclose(interpolate(line, {.scale_factor = {1.7}, .recompute_scale_factor = true}),
                 tensor({0, 0, 1, 1, 2, 3, 3, 4}, {1, 1, 8}, kFloat64), 0, 0));
}

TEST_CASE("adaptive_avg_pool3d averages PyTorch's windows", "[nn][pool]") {
  const Tensor x = wave({2, 5, 4, 7}, 0.2);
  const Tensor y = adaptive_avg_pool3d(x, {3, 2, 4});
  REQUIRE(y.shape() == Dims{2, 3, 2, 4});
  // Unbatched and batched agree, and a window of the first plane by hand: depth [0, 2), rows
  // [0, 2), columns [0, 2).
  CHECK(allclose(adaptive_avg_pool3d(x.unsqueeze(0), {3, 2, 4}).squeeze(0), y, 0, 0));
  const Tensor corner = mean(x.slice(1, 0, 2).slice(2, 0, 2).slice(3, 0, 2), {1, 2, 3});
  CHECK(allclose(y.select(3, 0).select(2, 0).select(1, 0), corner, 1e-14, 1e-15));
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {adaptive_avg_pool3d(in[0], {2, 3, 2})};
      },
      {wave({1, 3, 4, 5}, 0.3).requires_grad_()});
}

TEST_CASE("Upsample resizes as interpolate and prints as torch.nn.Upsample", "[nn][layers]") {
  nn::Upsample twice({.scale_factor = {2.0}});
  CHECK(twice.to_string() == "Upsample(scale_factor=2.0, mode=nearest)");
  const Tensor x = wave({1, 2, 3, 3}, 0.4);
  CHECK(allclose(twice.forward(x), interpolate(x, {.scale_factor = {2.0}}), 0, 0));
  nn::Upsample to_size({.size = {4, 5}, .mode = kBilinear, .align_corners = true});
  CHECK(to_size.to_string() == "Upsample(size=(4, 5), mode=bilinear)");
  CHECK(to_size.forward(x).shape() == Dims{1, 2, 4, 5});
  CHECK(nn::Upsample({.scale_factor = {1.5, 0.5}, .mode = kBicubic}).to_string() ==
        "Upsample(scale_factor=(1.5, 0.5), mode=bicubic)");
  CHECK(nn::Upsample({.size = {6}, .mode = kNearestExact}).to_string() ==
        "Upsample(size=6, mode=nearest-exact)");
  CHECK(twice.parameters().empty());
}
