// 3-D pooling (max_pool3d, avg_pool3d, adaptive_max_pool3d; engine/ops/volume.hpp).
// A pooling window is a box, the product of one window per dim, so each pool factors into the
// 2-D pool of every depth plane followed by the 1-D pool of the depth lines of that result:
// - the maximum of a box is the maximum over its planes of their window maxima, and the first
//   maximum in (d, h, w) order is the first plane's first one; the indices are found so (without
//   history) and the values gathered from the input there, so the gradient is a scatter_add;
// - the mean of a box is the mean over its planes of their window means: PyTorch's divisors
//   (the box clipped to the padded input, or to the input) are products of one count per dim;
// Every piece is differentiable to every order, so the 3-D ops are.
#include <fmt/format.h>

#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/conv2d_ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/volume.hpp"
#include "engine/ops/window_text.hpp"

namespace metagrad {
namespace {

using detail::tuple_str;

// Checks a pooling input: floating, [N, C, D, H, W] or [C, D, H, W].
void check_volume_input(const Tensor& input, const char* op) {
  detail::check_floating(input, op);
  MG_CHECK(input.dim() == 4 || input.dim() == 5,
           "{}: expected a 4-D (unbatched [C, D, H, W]) or 5-D (batched [N, C, D, H, W]) input, "
           "got shape {}",
           op, shape_str(input.shape()));
}

// Checks the window parameters of a pooling op in 3-D terms before the 2-D and 1-D pools run.
void check_pool_window(const Tensor& input, IntTriple kernel, IntTriple stride, IntTriple padding,
                       IntTriple dilation, const char* op) {
  check_volume_input(input, op);
  const std::array<int64_t, 3> k{kernel.d, kernel.h, kernel.w}, s{stride.d, stride.h, stride.w},
      p{padding.d, padding.h, padding.w}, dil{dilation.d, dilation.h, dilation.w};
  for (size_t i = 0; i < 3; ++i) {
    MG_CHECK(k[i] > 0 && s[i] > 0 && dil[i] > 0 && p[i] >= 0,
             "{}: kernel_size {}, stride {} and dilation {} must be positive and padding {} "
             "non-negative",
             op, tuple_str(kernel), tuple_str(stride), tuple_str(dilation), tuple_str(padding));
    MG_CHECK(p[i] <= k[i] / 2,
             "{}: padding should be at most half of the kernel size, got padding {} for "
             "kernel_size {} (input shape {})",
             op, tuple_str(padding), tuple_str(kernel), shape_str(input.shape()));
    const int64_t size = input.size(static_cast<int64_t>(i) - 3);
    const int64_t extent = checked_mul(dil[i], k[i] - 1, op, "dilated kernel extent") + 1;
    MG_CHECK(checked_add(size, 2 * p[i], op, "padded size") >= extent,
             "{}: the padded size {} of input shape {} along dim {} is smaller than the kernel's "
             "extent {} (kernel_size {}, dilation {}); use a smaller kernel or dilation or more "
             "padding",
             op, size + 2 * p[i], shape_str(input.shape()), input.dim() - 3 + i, extent,
             tuple_str(kernel), tuple_str(dilation));
  }
}

// [N, C, D, h, w] -> the depth lines [N, C*h*w, D] the 1-D pools run on.
Tensor depth_lines(const Tensor& volume) {
  const int64_t n = volume.size(0), c = volume.size(1), d = volume.size(2);
  return reshape(permute(volume, {0, 1, 3, 4, 2}), {n, c * volume.size(3) * volume.size(4), d});
}

// The inverse arrangement: lines [N, C*h*w, D'] -> a contiguous [N, C, D', h, w].
Tensor from_depth_lines(const Tensor& lines, int64_t channels, int64_t height, int64_t width) {
  const int64_t n = lines.size(0), d = lines.size(2);
  return permute(reshape(lines, {n, channels, height, width, d}), {0, 1, 4, 2, 3}).contiguous();
}

// The box maxima of x [N, C, D, H, W] and their flat volume indices, from `plane_pool`
// ([N, C*D, H, W] -> (values, plane indices) [N, C*D, h, w]) and `line_pool` ([N, L, D] ->
// (values, depth positions) [N, L, d]).
template <typename PlanePool, typename LinePool>
std::tuple<Tensor, Tensor> box_max(const Tensor& x, PlanePool&& plane_pool, LinePool&& line_pool) {
  const int64_t n = x.size(0), c = x.size(1), depth = x.size(2), plane = x.size(3) * x.size(4);
  Tensor index;
  {
    NoGradGuard no_grad;
    const auto [plane_max, plane_index] =
        plane_pool(reshape(x, {n, c * depth, x.size(3), x.size(4)}));
    const int64_t height = plane_max.size(2), width = plane_max.size(3);
    const auto [line_max, depth_index] =
        line_pool(depth_lines(reshape(plane_max, {n, c, depth, height, width})));
    // The plane index of the chosen plane's maximum, then the flat (d, h, w) index.
    const Tensor in_plane =
        gather(depth_lines(reshape(plane_index, {n, c, depth, height, width})), 2, depth_index);
    index = from_depth_lines(depth_index * plane + in_plane, c, height, width);
  }
  const int64_t boxes = index.size(2) * index.size(3) * index.size(4);
  const Tensor values = gather(reshape(x, {n, c, depth * plane}), 2, reshape(index, {n, c, boxes}));
  return {reshape(values, index.shape()), index};
}

}  // namespace

std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, IntTriple kernel_size,
                                                   std::optional<IntTriple> stride,
                                                   IntTriple padding, IntTriple dilation,
                                                   bool ceil_mode) {
  const IntTriple step = stride.value_or(kernel_size);
  check_pool_window(input, kernel_size, step, padding, dilation, "max_pool3d");
  return detail::with_batch_dim<5>(input, [&](const Tensor& x) {
    return box_max(
        x,
        [&](const Tensor& planes) {
          return max_pool2d_with_indices(planes, kernel_size.plane(), step.plane(), padding.plane(),
                                         dilation.plane(), ceil_mode);
        },
        [&](const Tensor& lines) {
          return max_pool1d_with_indices(lines, kernel_size.d, step.d, padding.d, dilation.d,
                                         ceil_mode);
        });
  });
}

Tensor max_pool3d(const Tensor& input, IntTriple kernel_size, std::optional<IntTriple> stride,
                  IntTriple padding, IntTriple dilation, bool ceil_mode) {
  return std::get<0>(
      max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

std::tuple<Tensor, Tensor> adaptive_max_pool3d_with_indices(const Tensor& input,
                                                            IntTriple output_size) {
  constexpr const char* op = "adaptive_max_pool3d";
  check_volume_input(input, op);
  MG_CHECK(output_size.d > 0 && output_size.h > 0 && output_size.w > 0,
           "{}: output_size must be positive, got {}", op, tuple_str(output_size));
  MG_CHECK(input.size(-3) > 0 && input.size(-2) > 0 && input.size(-1) > 0,
           "{}: input shape {} has an empty spatial dim; pool a non-empty volume", op,
           shape_str(input.shape()));
  return detail::with_batch_dim<5>(input, [&](const Tensor& x) {
    return box_max(
        x,
        [&](const Tensor& planes) {
          return adaptive_max_pool2d_with_indices(planes, output_size.plane());
        },
        [&](const Tensor& lines) {
          return adaptive_max_pool1d_with_indices(lines, output_size.d);
        });
  });
}

Tensor adaptive_max_pool3d(const Tensor& input, IntTriple output_size) {
  return std::get<0>(adaptive_max_pool3d_with_indices(input, output_size));
}

Tensor avg_pool3d(const Tensor& input, IntTriple kernel_size, std::optional<IntTriple> stride,
                  IntTriple padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
  constexpr const char* op = "avg_pool3d";
  const IntTriple step = stride.value_or(kernel_size);
  check_pool_window(input, kernel_size, step, padding, 1, op);
  MG_CHECK(!divisor_override || *divisor_override != 0,
           "avg_pool3d: divisor_override must be non-zero (or absent), got 0");
  // With divisor_override the sum is the count_include_pad mean times its divisor.
  const bool include_pad = count_include_pad || divisor_override.has_value();
  return detail::with_batch_dim<5>(input, [&](const Tensor& x) {
    const int64_t n = x.size(0), c = x.size(1), depth = x.size(2);
    const Tensor plane_mean =
        avg_pool2d(reshape(x, {n, c * depth, x.size(3), x.size(4)}), kernel_size.plane(),
                   step.plane(), padding.plane(), ceil_mode, include_pad);
    const int64_t height = plane_mean.size(2), width = plane_mean.size(3);
    const Tensor line_mean =
        avg_pool1d(depth_lines(reshape(plane_mean, {n, c, depth, height, width})), kernel_size.d,
                   step.d, padding.d, ceil_mode, include_pad);
    const Tensor mean = from_depth_lines(line_mean, c, height, width);
    if (!divisor_override) return mean;
    // PyTorch's count_include_pad divisor per window: the box clipped to the padded input.
    const auto clipped = [](int64_t count, int64_t size, int64_t kernel, int64_t s, int64_t p) {
      std::vector<double> extent(static_cast<size_t>(count));
      for (int64_t i = 0; i < count; ++i) {
        const int64_t start = i * s - p;
        extent[static_cast<size_t>(i)] =
            static_cast<double>(std::min(start + kernel, size + p) - start);
      }
      return extent;
    };
    const std::vector<double> dz = clipped(mean.size(2), depth, kernel_size.d, step.d, padding.d);
    const std::vector<double> dy = clipped(height, x.size(3), kernel_size.h, step.h, padding.h);
    const std::vector<double> dx = clipped(width, x.size(4), kernel_size.w, step.w, padding.w);
    std::vector<double> scale;
    scale.reserve(dz.size() * dy.size() * dx.size());
    for (const double z : dz)
      for (const double y : dy)
        for (const double w : dx)
          scale.push_back(z * y * w / static_cast<double>(*divisor_override));
    return mean *
           tensor(scale, {mean.size(2), height, width}, TensorOptions(x.dtype(), x.device()));
  });
}

}  // namespace metagrad
