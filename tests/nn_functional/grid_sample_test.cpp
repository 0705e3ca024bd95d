// grid_sample (every mode, padding mode and align_corners) and affine_grid: the output, the
// input's gradient and the grid's gradient against PyTorch 1.13 in float64, as checksums
// Σ t · wave(t.shape, phase), on a grid that reaches past [-1, 1] (so every padding rule is
// used); gradients of every order by gradcheck.
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::wave;

namespace {

struct GridSampleCase {
  GridSampleMode mode;
  GridSamplePadding padding;
  bool align_corners;
  double output, input_grad, grid_grad;  // checksums
};

const std::vector<GridSampleCase> kCases = {
    {GridSampleMode::Bilinear, GridSamplePadding::Zeros, false, 4.940145964616347,
     1.570141969558916, -7.656574842238869},
    {GridSampleMode::Bilinear, GridSamplePadding::Zeros, true, 2.6431274838453453,
     4.307268377813505, 13.110168444076837},
    {GridSampleMode::Bilinear, GridSamplePadding::Border, false, 6.127667732041003,
     8.531645531981985, -2.913209991478995},
    {GridSampleMode::Bilinear, GridSamplePadding::Border, true, 2.5543919233723766,
     6.106071617093348, 12.790770306555155},
    {GridSampleMode::Bilinear, GridSamplePadding::Reflection, false, 6.521994883407595,
     8.193867797719312, 0.763645010079741},
    {GridSampleMode::Bilinear, GridSamplePadding::Reflection, true, 2.937360212282598,
     4.275195978390401, 21.518589358737607},
    {GridSampleMode::Nearest, GridSamplePadding::Zeros, false, 8.178127870220997,
     0.6095824567417614, 0.0},
    {GridSampleMode::Nearest, GridSamplePadding::Zeros, true, 9.701674820092606, 11.595379331387864,
     0.0},
    {GridSampleMode::Nearest, GridSamplePadding::Border, false, 9.024459173810236,
     9.452310669847277, 0.0},
    {GridSampleMode::Nearest, GridSamplePadding::Border, true, 9.133282329805875,
     11.855730853535194, 0.0},
    {GridSampleMode::Nearest, GridSamplePadding::Reflection, false, 9.024459173810236,
     9.452310669847277, 0.0},
    {GridSampleMode::Nearest, GridSamplePadding::Reflection, true, 14.424536466232116,
     14.086399636268045, 0.0},
    {GridSampleMode::Bicubic, GridSamplePadding::Zeros, false, 4.337035931949881,
     0.21514534932716378, -4.102624631082991},
    {GridSampleMode::Bicubic, GridSamplePadding::Zeros, true, 1.393719454261455, 3.5357818304133093,
     13.789278873454272},
    {GridSampleMode::Bicubic, GridSamplePadding::Border, false, 5.237210045127482,
     7.424733359774269, 14.143160801678908},
    {GridSampleMode::Bicubic, GridSamplePadding::Border, true, 1.0580365586509446, 4.81121965934403,
     9.314057042531697},
    {GridSampleMode::Bicubic, GridSamplePadding::Reflection, false, 5.133319818785481,
     7.1793897843326775, 17.125314411456777},
    {GridSampleMode::Bicubic, GridSamplePadding::Reflection, true, 2.098665848209623,
     3.674961012673917, 14.712021154561906},
};

double checksum(const Tensor& t, double phase) {
  return sum(t * wave(t.shape(), phase)).item<double>();
}

bool near(double value, double expected) {
  return std::abs(value - expected) <= 1e-12 * (1 + std::abs(expected));
}

}  // namespace

TEST_CASE("grid_sample matches PyTorch in every mode and padding mode", "[nn][grid_sample]") {
  for (const GridSampleCase& c : kCases) {
    INFO("mode " << static_cast<int>(c.mode) << ", padding " << static_cast<int>(c.padding)
                 << ", align_corners " << c.align_corners);
    const Tensor x = wave({2, 3, 4, 5}, 0.1).requires_grad_();
    const Tensor grid = (wave({2, 3, 4, 2}, 0.7) * 0.9).detach().requires_grad_();
    const GridSampleOptions options{c.mode, c.padding, c.align_corners};
    const Tensor y = grid_sample(x, grid, options);
    REQUIRE(y.shape() == Dims{2, 3, 3, 4});
    const Tensor loss = sum(y * wave(y.shape(), 0.9));
    CHECK(near(loss.item<double>(), c.output));
    const TensorList grads = grad({loss}, {x, grid}, {}, {.allow_unused = true});
    CHECK(near(checksum(grads[0], 0.5), c.input_grad));
    CHECK(near(grads[1].defined() ? checksum(grads[1], 0.5) : 0.0, c.grid_grad));
    CHECK(allclose(grid_sample(noncontiguous(x), noncontiguous(grid), options), y, 1e-15, 1e-15));
  }
}

TEST_CASE("grid_sample has derivatives of every order in input and grid", "[nn][grid_sample]") {
  // Grid points away from cell boundaries, where the kernels are smooth.
  const Tensor grid = (wave({1, 2, 3, 2}, 0.2) * 0.7 + 0.013).detach();
  for (const GridSampleMode mode : {GridSampleMode::Bilinear, GridSampleMode::Bicubic}) {
    for (const GridSamplePadding padding :
         {GridSamplePadding::Zeros, GridSamplePadding::Border, GridSamplePadding::Reflection}) {
      check_grads(
          [mode, padding](const TensorList& in) -> TensorList {
            return {grid_sample(in[0], in[1], {mode, padding, false})};
          },
          {wave({1, 2, 3, 4}, 0.3).requires_grad_(), grid.clone().requires_grad_()});
    }
  }
}

TEST_CASE("affine_grid matches PyTorch and drives grid_sample", "[nn][grid_sample]") {
  const Tensor theta = wave({2, 2, 3}, 0.3);
  const Tensor grid = affine_grid(theta, {2, 3, 4, 5});
  REQUIRE(grid.shape() == Dims{2, 4, 5, 2});
  CHECK(near(checksum(grid, 0.9), 12.174753883277042));
  CHECK(allclose(grid.select(0, 1).select(0, 2).select(0, 3),
                 tensor({0.2655571508791556, -1.978265883376011}, kFloat64), 1e-15, 1e-15));
  CHECK(near(checksum(affine_grid(theta, {2, 3, 4, 5}, true), 0.9), 11.753188706962852));
  // The identity map with align_corners samples every cell at its own centre.
  const Tensor identity = tensor({1, 0, 0, 0, 1, 0}, {1, 2, 3}, kFloat64);
  const Tensor image = wave({1, 2, 3, 4}, 0.4);
  for (const bool align : {false, true}) {
    const Tensor resampled =
        grid_sample(image, affine_grid(identity, {1, 2, 3, 4}, align), {.align_corners = align});
    CHECK(allclose(resampled, image, 1e-14, 1e-14));
  }
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {grid_sample(wave({1, 1, 4, 4}, 0.1), affine_grid(in[0], {1, 1, 3, 3}))};
      },
      {(tensor({0.9, 0.1, 0.05, -0.2, 1.1, 0.02}, {1, 2, 3}, kFloat64)).requires_grad_()});
}

TEST_CASE("grid_sample reads nothing for a NaN grid point", "[nn][grid_sample]") {
  // PyTorch's zeros padding: NaN for the interpolating modes, 0 for nearest; the other point is
  // unaffected.
  const Tensor x = arange(16, kFloat64).reshape({1, 1, 4, 4});
  const Tensor grid = tensor({std::nan(""), 0.2, 0.1, 0.3}, {1, 1, 2, 2}, kFloat64);
  const Tensor bilinear = grid_sample(x, grid);
  CHECK(std::isnan(bilinear.flatten().select(0, 0).item<double>()));
  CHECK(std::abs(bilinear.flatten().select(0, 1).item<double>() - 10.1) < 1e-12);
  const Tensor nearest = grid_sample(x, grid, {.mode = GridSampleMode::Nearest});
  CHECK(allclose(nearest, tensor({0, 10}, {1, 1, 1, 2}, kFloat64), 0, 0));
}
