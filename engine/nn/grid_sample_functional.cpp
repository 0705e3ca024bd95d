// grid_sample and affine_grid (torch.nn.functional), composed of differentiable ops. A grid point
// (x, y) in [-1, 1] becomes a source position (ATen's grid_sampler_unnormalize, then the padding
// mode's clip or reflection); the output is a weighted sum of input cells fetched by gather
// (backward scatter_add) at integer positions computed without gradient, all taps at once. The
// weights are differentiable in the position, so the grid's gradient is the interpolation
// kernel's derivative, as ATen's, and every order follows: bilinear (4 cells), nearest (1, weight
// 1: the grid gets no gradient), bicubic (4 x 4, Keys' kernel with A = -0.75). With zeros
// padding a cell outside the image contributes 0. affine_grid maps the output's normalised cell
// centres (or corners) through theta.
#include <array>
#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// ATen's grid_sampler_unnormalize: [-1, 1] to pixel positions (corner centres at -1 and 1 with
// align_corners, else corner edges).
Tensor unnormalize(const Tensor& coord, int64_t size, bool align_corners) {
  const double n = static_cast<double>(size);
  return align_corners ? (coord + 1.0) / 2.0 * (n - 1.0) : ((coord + 1.0) * n - 1.0) / 2.0;
}

// ATen's reflect_coordinates: coord reflected into [twice_low / 2, twice_high / 2].
Tensor reflect_coordinates(const Tensor& coord, int64_t twice_low, int64_t twice_high) {
  if (twice_low == twice_high) return zeros_like(coord);
  const double low = twice_low / 2.0, span = (twice_high - twice_low) / 2.0;
  const Tensor distance = abs(coord - low);
  Tensor flips;
  {
    NoGradGuard no_grad;
    flips = floor(distance.detach() / span);
  }
  const Tensor extra = distance - flips * span;  // fmod(distance, span): the floor is constant
  const Tensor even = eq(flips - floor(flips * 0.5) * 2.0, 0.0);
  return where(even, extra + low, (span + low) - extra);
}

// ATen's compute_coordinates: a pixel position clipped to the image (border) or reflected into
// it (reflection); unchanged with zeros padding.
Tensor padded_position(const Tensor& position, int64_t size, GridSamplePadding padding,
                       bool align_corners) {
  if (padding == GridSamplePadding::Zeros) return position;
  Tensor inside = position;
  if (padding == GridSamplePadding::Reflection) {
    inside = align_corners ? reflect_coordinates(position, 0, 2 * (size - 1))
                           : reflect_coordinates(position, -1, 2 * size - 1);
  }
  return clamp(inside, 0.0, static_cast<double>(size - 1));
}

// The weighted sum over taps t of the input cells at integer positions (x_t, y_t) ([N, 1, L]
// float tensors without gradient), with weights w_t ([N, 1, L]; none for one unweighted tap):
// [N, C, L]. All taps are read by one gather from the input plane [N, C, H W] with one zero
// cell appended, which positions outside the image (and NaN ones) read: no mask over the
// channels, and an infinite input cell elsewhere cannot leak NaN through a zero weight.
struct TapSum {
  Tensor plane;  // [N, C, H W + 1]
  int64_t height, width;

  TapSum(const Tensor& input, int64_t n, int64_t channels, int64_t height, int64_t width)
      : plane(cat({reshape(input, {n, channels, height * width}),
                   zeros({n, channels, 1}, TensorOptions(input.dtype(), input.device()))},
                  2)),
        height(height),
        width(width) {}

  Tensor operator()(const TensorList& xs, const TensorList& ys, const TensorList& weights) const {
    const int64_t n = plane.size(0), channels = plane.size(1), points = xs[0].size(2);
    const int64_t taps = static_cast<int64_t>(xs.size());
    Tensor index;
    {
      NoGradGuard no_grad;
      TensorList cells;
      for (size_t t = 0; t < xs.size(); ++t) {
        const Tensor& x = xs[t];
        const Tensor& y = ys[t];
        const Tensor inside =
            logical_and(logical_and(ge(x, 0.0), le(x, static_cast<double>(width - 1))),
                        logical_and(ge(y, 0.0), le(y, static_cast<double>(height - 1))));
        cells.push_back(
            where(inside,
                  clamp(y, 0.0, static_cast<double>(height - 1)) * static_cast<double>(width) +
                      clamp(x, 0.0, static_cast<double>(width - 1)),
                  static_cast<double>(height * width)));
      }
      index = expand(cat(cells, 2).to(kInt64), {n, channels, taps * points});
    }
    const Tensor values = gather(plane, 2, index);  // [N, C, taps L]
    if (weights.empty()) return values;
    // Σ_t values[:, :, t] w_t, the taps as a dim of size `taps`.
    const Tensor tap_weights = reshape(cat(weights, 2), {n, 1, taps, points});
    return sum(reshape(values, {n, channels, taps, points}) * tap_weights, {2});
  }
};

// Keys' cubic convolution coefficients (A = -0.75) of the 4 cells around a fractional offset t.
std::array<Tensor, 4> cubic_coefficients(const Tensor& t) {
  const double a = -0.75;
  const auto near = [a](const Tensor& x) { return ((x * (a + 2) - (a + 3)) * x) * x + 1.0; };
  const auto far = [a](const Tensor& x) { return ((x * a - 5 * a) * x + 8 * a) * x - 4 * a; };
  const Tensor opposite = 1.0 - t;
  return {far(t + 1.0), near(t), near(opposite), far(opposite + 1.0)};
}

}  // namespace

Tensor grid_sample(const Tensor& input, const Tensor& grid, const GridSampleOptions& options) {
  detail::check_floating(input, "grid_sample");
  detail::check_defined(grid, "grid_sample", "grid");
  detail::check_same_kind(input, grid, "grid_sample");
  MG_CHECK(input.dim() == 4,
           "grid_sample: expected input [N, C, H, W] (4-D; volumetric 5-D input is not "
           "supported), got shape {}",
           shape_str(input.shape()));
  MG_CHECK(grid.dim() == 4 && grid.size(0) == input.size(0) && grid.size(3) == 2,
           "grid_sample: expected grid [N, H_out, W_out, 2] with N = {} (the input's batch), got "
           "shape {}",
           input.size(0), shape_str(grid.shape()));
  const int64_t n = input.size(0), channels = input.size(1), height = input.size(2),
                width = input.size(3);
  MG_CHECK(height > 0 && width > 0,
           "grid_sample: input shape {} has an empty spatial dim; sample a non-empty image",
           shape_str(input.shape()));
  const int64_t out_h = grid.size(1), out_w = grid.size(2), points = out_h * out_w;
  const TapSum tap_sum(input, n, channels, height, width);
  const Tensor gx = reshape(select(grid, 3, 0), {n, 1, points});
  const Tensor gy = reshape(select(grid, 3, 1), {n, 1, points});
  const bool align = options.align_corners;
  Tensor out;
  if (options.mode == GridSampleMode::Bicubic) {
    // The cells around the unpadded position; the padding applies to each cell's coordinates.
    const Tensor ix = unnormalize(gx, width, align), iy = unnormalize(gy, height, align);
    Tensor x0, y0;
    {
      NoGradGuard no_grad;
      x0 = floor(ix.detach());
      y0 = floor(iy.detach());
    }
    const std::array<Tensor, 4> cx = cubic_coefficients(ix - x0), cy = cubic_coefficients(iy - y0);
    const auto cell = [&](const Tensor& c, int64_t size) {
      NoGradGuard no_grad;
      return padded_position(c, size, options.padding_mode, align);
    };
    TensorList xs, ys, weights;
    for (int j = 0; j < 4; ++j) {
      const Tensor y = cell(y0 + static_cast<double>(j - 1), height);
      for (int i = 0; i < 4; ++i) {
        xs.push_back(cell(x0 + static_cast<double>(i - 1), width));
        ys.push_back(y);
        weights.push_back(cx[i] * cy[j]);
      }
    }
    out = tap_sum(xs, ys, weights);
  } else {
    const Tensor ix =
        padded_position(unnormalize(gx, width, align), width, options.padding_mode, align);
    const Tensor iy =
        padded_position(unnormalize(gy, height, align), height, options.padding_mode, align);
    if (options.mode == GridSampleMode::Nearest) {
      out = tap_sum({round(ix.detach())}, {round(iy.detach())}, {});
    } else {
      Tensor x0, y0;
      {
        NoGradGuard no_grad;
        x0 = floor(ix.detach());
        y0 = floor(iy.detach());
      }
      const Tensor x1 = x0 + 1.0, y1 = y0 + 1.0;
      // ATen's corners and weights: nw, ne, sw, se.
      out = tap_sum({x0, x1, x0, x1}, {y0, y0, y1, y1},
                    {(x1 - ix) * (y1 - iy), (ix - x0) * (y1 - iy), (x1 - ix) * (iy - y0),
                     (ix - x0) * (iy - y0)});
    }
  }
  return reshape(out, {n, channels, out_h, out_w});
}

Tensor affine_grid(const Tensor& theta, const Dims& size, bool align_corners) {
  detail::check_floating(theta, "affine_grid");
  MG_CHECK(size.size() == 4,
           "affine_grid: expected size [N, C, H, W] (4 values; 3-D grids are not supported), got "
           "{}",
           shape_str(size));
  const int64_t n = size[0], height = size[2], width = size[3];
  MG_CHECK(n > 0 && height > 0 && width > 0,
           "affine_grid: size {} must have a positive batch, height and width", shape_str(size));
  MG_CHECK(theta.dim() == 3 && theta.size(0) == n && theta.size(1) == 2 && theta.size(2) == 3,
           "affine_grid: expected theta [N, 2, 3] with N = {} for size {}, got shape {}", n,
           shape_str(size), shape_str(theta.shape()));
  // The normalised cell coordinates of one dim: PyTorch's linspace(-1, 1, steps), scaled by
  // (steps - 1) / steps without align_corners (cell centres instead of corners).
  const auto axis = [&](int64_t steps) {
    Tensor line = linspace(-1.0, 1.0, steps, TensorOptions(theta.dtype(), theta.device()));
    if (!align_corners) line = line * (static_cast<double>(steps - 1) / static_cast<double>(steps));
    return line;
  };
  // base [H, W, 3] = (x, y, 1); grid[n] = base theta[n]^T -> [N, H, W, 2].
  const Tensor xs = expand(reshape(axis(width), {1, width, 1}), {height, width, 1});
  const Tensor ys = expand(reshape(axis(height), {height, 1, 1}), {height, width, 1});
  const Tensor base = cat({xs, ys, ones_like(xs)}, 2);
  const Tensor grid = matmul(reshape(base, {1, height * width, 3}), transpose(theta, 1, 2));
  return reshape(grid, {n, height, width, 2});
}

}  // namespace metagrad
