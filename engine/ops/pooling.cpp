// Window pooling (max_pool1d/2d, avg_pool1d/2d) and its partial inverse max_unpool1d/2d, composed
// from differentiable primitives: max pooling is a backend argmax per window followed by a gather
// of the input (backward: scatter_add), average pooling is unfold + sum / count, and unpooling is
// a scatter_add of the input into zeros (backward: gather). So every one has exact derivatives of
// every order. The 1-D forms are the 2-D ones over images of height 1, checked and reported in
// their own 1-D terms; max_unpool3d is max_unpool2d over the volume seen as a plane of D*H rows.
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "engine/ops.hpp"
#include "engine/ops/conv2d_ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/volume.hpp"
#include "engine/ops/window_text.hpp"

namespace metagrad {
namespace {

using detail::tuple_str;

using detail::backend_of;
using detail::view_of;

// True when each of `count` windows along a dim of `size` elements holds at least one input
// element (with a large dilation a window may hold only padding).
bool windows_reach_input(int64_t count, int64_t stride, int64_t pad, int64_t kernel,
                         int64_t dilation, int64_t size) {
  for (int64_t y = 0; y < count; ++y) {
    bool any = false;
    for (int64_t i = 0; i < kernel && !any; ++i) {
      const int64_t at = y * stride - pad + i * dilation;
      any = at >= 0 && at < size;
    }
    if (!any) return false;
  }
  return true;
}

// The maximum of each window of geometry g over x ([N, C, H, W] or [C, H, W]) and its flat
// h * W + w index in the image plane.
std::tuple<Tensor, Tensor> max_pool_windows(const Tensor& input, const ConvGeometry& g) {
  return detail::with_batch_dim(input, [&](const Tensor& x) {
    const int64_t n = x.size(0), c = x.size(1), l = g.out_h * g.out_w;
    // The flat H*W position of each window's maximum (no history; see Note [max-pool windows]).
    const Tensor index = make_empty({n, c, l}, kInt64, x.device());
    backend_of(x).max_pool2d_indices(view_of(x), view_of(index), g);
    // The values are gathered from the input, so the gradient is gather's: a scatter_add of the
    // incoming gradient into the chosen pixels (and its backward a gather again).
    const Tensor values = gather(reshape(x, {n, c, x.size(2) * x.size(3)}), 2, index);
    return std::tuple<Tensor, Tensor>{reshape(values, {n, c, g.out_h, g.out_w}),
                                      reshape(index, {n, c, g.out_h, g.out_w})};
  });
}

// The mean of each window of geometry g over x ([N, C, H, W] or [C, H, W]).
Tensor avg_pool_windows(const Tensor& input, const ConvGeometry& g, bool count_include_pad) {
  return detail::with_batch_dim(input, [&](const Tensor& x) {
    const int64_t n = x.size(0), c = x.size(1), height = x.size(2), width = x.size(3);
    const int64_t kk = g.kernel_h * g.kernel_w, l = g.out_h * g.out_w;
    const Tensor sums = sum(reshape(detail::unfold_columns(x, g, false), {n, c, kk, l}), {2});
    // Divisor per window (PyTorch): the window clipped to the padded input, or with
    // count_include_pad = false to the input itself.
    std::vector<double> divisor(static_cast<size_t>(l));
    bool uniform = true;
    for (int64_t y = 0; y < g.out_h; ++y) {
      const int64_t y_start = y * g.stride_h - g.pad_h;
      const int64_t y_end = std::min(y_start + g.kernel_h, height + g.pad_h);
      const int64_t rows = count_include_pad
                               ? y_end - y_start
                               : std::min(y_end, height) - std::max<int64_t>(y_start, 0);
      for (int64_t xw = 0; xw < g.out_w; ++xw) {
        const int64_t x_start = xw * g.stride_w - g.pad_w;
        const int64_t x_end = std::min(x_start + g.kernel_w, width + g.pad_w);
        const int64_t cols = count_include_pad
                                 ? x_end - x_start
                                 : std::min(x_end, width) - std::max<int64_t>(x_start, 0);
        divisor[static_cast<size_t>(y * g.out_w + xw)] = static_cast<double>(rows * cols);
        uniform &= rows * cols == kk;
      }
    }
    const Tensor mean = uniform ? sums * (1.0 / static_cast<double>(kk))
                                : sums / tensor(divisor, {l}, TensorOptions(x.dtype(), x.device()));
    return reshape(mean, {n, c, g.out_h, g.out_w});
  });
}

// The geometry of 1-D pooling windows over x ([N, C, L] or [C, L]) as windows of height 1 over
// x.unsqueeze(-2), after checking the arguments and reporting problems in 1-D terms.
ConvGeometry line_pool_geometry(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding,
                                int64_t dilation, bool ceil_mode, const char* op) {
  detail::check_floating(x, op);
  MG_CHECK(x.dim() == 2 || x.dim() == 3,
           "{}: expected a 2-D (unbatched [C, L]) or 3-D (batched [N, C, L]) input, got shape {}",
           op, shape_str(x.shape()));
  MG_CHECK(kernel > 0 && stride > 0 && dilation > 0 && padding >= 0,
           "{}: kernel_size ({}), stride ({}) and dilation ({}) must be positive and padding ({}) "
           "non-negative",
           op, kernel, stride, dilation, padding);
  MG_CHECK(padding <= kernel / 2,
           "{}: padding should be at most half of the kernel size, got padding {} for kernel_size "
           "{} (input shape {})",
           op, padding, kernel, shape_str(x.shape()));
  const int64_t length = x.size(-1);
  const int64_t extent = checked_mul(dilation, kernel - 1, op, "dilated kernel extent") + 1;
  MG_CHECK(
      checked_add(length, checked_mul(2, padding, op, "padding"), op, "padded length") >= extent,
      "{}: the padded length {} of input shape {} (padding {}) is shorter than the kernel's "
      "extent {} (kernel_size {}, dilation {}); use a smaller kernel or dilation or more "
      "padding",
      op, length + 2 * padding, shape_str(x.shape()), padding, extent, kernel, dilation);
  return detail::pool_geometry(unsqueeze(x, -2), {1, kernel}, {1, stride}, {0, padding},
                               {1, dilation}, ceil_mode, op);
}

// The plane size of max_unpool's output: PyTorch's default (in - 1) * stride - 2 * padding +
// kernel per dim, or the requested size, which must lie strictly within one stride of it.
int64_t unpool_extent(int64_t in, int64_t kernel, int64_t stride, int64_t padding,
                      std::optional<int64_t> requested, const char* op, const char* dim_name) {
  const int64_t natural = checked_add(checked_mul(in - 1, stride, op, "output size") - 2 * padding,
                                      kernel, op, "output size");
  if (!requested) {
    MG_CHECK(natural > 0,
             "{}: the {} output size (in - 1) * stride - 2 * padding + kernel_size = ({} - 1) * "
             "{} - 2 * {} + {} = {} is not positive; use less padding",
             op, dim_name, in, stride, padding, kernel, natural);
    return natural;
  }
  MG_CHECK(*requested > natural - stride && *requested<natural + stride&& * requested> 0,
           "{}: output_size {} along {} must lie strictly between {} and {} (the default size {} "
           "minus and plus the stride {})",
           op, *requested, dim_name, natural - stride, natural + stride, natural, stride);
  return *requested;
}

// max_unpool of x [N, C, H, W] (or [C, H, W]) with its max_pool indices into an out_h x out_w
// plane: zeros with each value written at its index. An index that several windows share (the
// same maximum, with overlapping windows) is written once, by its last window, as PyTorch's
// assignment; every window still gets the gradient at its index, as PyTorch's gather backward.
Tensor unpool_plane(const Tensor& input, const Tensor& indices, int64_t out_h, int64_t out_w,
                    const char* op) {
  return detail::with_batch_dim(input, [&](const Tensor& x) {
    const int64_t n = x.size(0), c = x.size(1), plane = checked_mul(out_h, out_w, op, "plane");
    const int64_t l = x.size(2) * x.size(3);
    const Tensor index = reshape(indices.dim() == 4 ? indices : unsqueeze(indices, 0), {n, c, l});
    const std::vector<int64_t> host = index.to_vector<int64_t>();
    std::vector<double> last_write(host.size(), 1.0);
    bool shared = false;
    std::vector<int64_t> writer(static_cast<size_t>(plane), -1);
    for (int64_t row = 0; row < n * c; ++row) {
      for (int64_t i = row * l; i < (row + 1) * l; ++i) {
        const int64_t at = host[static_cast<size_t>(i)];
        MG_CHECK(at >= 0 && at < plane,
                 "{}: index {} at position {} of the indices lies outside the output plane of "
                 "{} x {} = {} elements; pass the indices of the max_pool that produced the "
                 "input, with the same kernel_size, stride and padding",
                 op, at, i, out_h, out_w, plane);
        int64_t& previous = writer[static_cast<size_t>(at)];
        if (previous >= row * l) {
          last_write[static_cast<size_t>(previous)] = 0.0;
          shared = true;
        }
        previous = i;
      }
    }
    const Tensor zero_plane = zeros({n, c, plane}, TensorOptions(x.dtype(), x.device()));
    const Tensor values = reshape(x, {n, c, l});
    Tensor out;
    if (!shared) {
      out = scatter_add(zero_plane, 2, index, values);
    } else {
      // Forward: only the last writer's value lands. Backward: gather for every window. The
      // second term is zero in value and carries the non-writers' share of the gradient.
      const Tensor keep = tensor(last_write, {n, c, l}, TensorOptions(x.dtype(), x.device()));
      const Tensor others = scatter_add(zero_plane, 2, index, values * (1.0 - keep));
      out = scatter_add(zero_plane, 2, index, values * keep) + (others - others.detach());
    }
    return reshape(out, {n, c, out_h, out_w});
  });
}

// Checks max_unpool's input and indices: same shape, int64 indices, `dims`-D or (dims+1)-D.
void check_unpool_operands(const Tensor& input, const Tensor& indices, int64_t dims,
                           const char* op) {
  detail::check_floating(input, op);
  detail::check_defined(indices, op, "indices");
  MG_CHECK(input.dim() == dims + 1 || input.dim() == dims + 2,
           "{}: expected a {}-D (unbatched) or {}-D (batched) input, got shape {}", op, dims + 1,
           dims + 2, shape_str(input.shape()));
  MG_CHECK(indices.dtype() == kInt64 && indices.shape() == input.shape(),
           "{}: expected int64 indices of the input's shape {} (max_pool's return_indices), got "
           "{} indices of shape {}",
           op, shape_str(input.shape()), dtype_name(indices.dtype()), shape_str(indices.shape()));
}

}  // namespace

Tensor max_pool2d(const Tensor& input, IntPair kernel_size) {
  return std::get<0>(max_pool2d_with_indices(input, kernel_size, kernel_size));
}

Tensor max_pool2d(const Tensor& input, IntPair kernel_size, IntPair stride, IntPair padding,
                  IntPair dilation, bool ceil_mode) {
  return std::get<0>(
      max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntPair kernel_size) {
  return max_pool2d_with_indices(input, kernel_size, kernel_size);
}

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntPair kernel_size,
                                                   IntPair stride, IntPair padding,
                                                   IntPair dilation, bool ceil_mode) {
  const ConvGeometry g =
      detail::pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d");
  const int64_t height = input.size(-2), width = input.size(-1);
  MG_CHECK(windows_reach_input(g.out_h, g.stride_h, g.pad_h, g.kernel_h, g.dilation_h, height) &&
               windows_reach_input(g.out_w, g.stride_w, g.pad_w, g.kernel_w, g.dilation_w, width),
           "max_pool2d: with kernel_size {}, dilation {}, padding {} and stride {} some window of "
           "input shape {} covers only padding; use a smaller dilation or padding",
           tuple_str(kernel_size), tuple_str(dilation), tuple_str(padding), tuple_str(stride),
           shape_str(input.shape()));
  return max_pool_windows(input, g);
}

Tensor avg_pool2d(const Tensor& input, IntPair kernel_size) {
  return avg_pool2d(input, kernel_size, kernel_size);
}

Tensor avg_pool2d(const Tensor& input, IntPair kernel_size, IntPair stride, IntPair padding,
                  bool ceil_mode, bool count_include_pad) {
  const ConvGeometry g =
      detail::pool_geometry(input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d");
  return avg_pool_windows(input, g, count_include_pad);
}

Tensor max_pool1d(const Tensor& input, int64_t kernel_size) {
  return std::get<0>(max_pool1d_with_indices(input, kernel_size, kernel_size));
}

Tensor max_pool1d(const Tensor& input, int64_t kernel_size, int64_t stride, int64_t padding,
                  int64_t dilation, bool ceil_mode) {
  return std::get<0>(
      max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, int64_t kernel_size) {
  return max_pool1d_with_indices(input, kernel_size, kernel_size);
}

std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, int64_t kernel_size,
                                                   int64_t stride, int64_t padding,
                                                   int64_t dilation, bool ceil_mode) {
  const ConvGeometry g =
      line_pool_geometry(input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool1d");
  MG_CHECK(windows_reach_input(g.out_w, stride, padding, kernel_size, dilation, input.size(-1)),
           "max_pool1d: with kernel_size {}, dilation {}, padding {} and stride {} some window of "
           "input shape {} covers only padding; use a smaller dilation or padding",
           kernel_size, dilation, padding, stride, shape_str(input.shape()));
  // A line is an image of height 1, whose flat cell index h L + l is l.
  const auto [values, indices] = max_pool_windows(unsqueeze(input, -2), g);
  return {squeeze(values, -2), squeeze(indices, -2)};
}

Tensor avg_pool1d(const Tensor& input, int64_t kernel_size) {
  return avg_pool1d(input, kernel_size, kernel_size);
}

Tensor avg_pool1d(const Tensor& input, int64_t kernel_size, int64_t stride, int64_t padding,
                  bool ceil_mode, bool count_include_pad) {
  const ConvGeometry g =
      line_pool_geometry(input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool1d");
  return squeeze(avg_pool_windows(unsqueeze(input, -2), g, count_include_pad), -2);
}

Tensor max_unpool2d(const Tensor& input, const Tensor& indices, IntPair kernel_size,
                    std::optional<IntPair> stride, IntPair padding,
                    std::optional<IntPair> output_size) {
  constexpr const char* op = "max_unpool2d";
  check_unpool_operands(input, indices, 2, op);
  const IntPair step = stride.value_or(kernel_size);
  MG_CHECK(kernel_size.h > 0 && kernel_size.w > 0 && step.h > 0 && step.w > 0 && padding.h >= 0 &&
               padding.w >= 0,
           "{}: kernel_size {} and stride {} must be positive and padding {} non-negative", op,
           tuple_str(kernel_size), tuple_str(step), tuple_str(padding));
  const auto requested = [&](bool height) -> std::optional<int64_t> {
    if (!output_size) return std::nullopt;
    return height ? output_size->h : output_size->w;
  };
  const int64_t out_h = unpool_extent(input.size(-2), kernel_size.h, step.h, padding.h,
                                      requested(true), op, "height");
  const int64_t out_w = unpool_extent(input.size(-1), kernel_size.w, step.w, padding.w,
                                      requested(false), op, "width");
  return unpool_plane(input, indices, out_h, out_w, op);
}

Tensor max_unpool1d(const Tensor& input, const Tensor& indices, int64_t kernel_size,
                    std::optional<int64_t> stride, int64_t padding,
                    std::optional<int64_t> output_size) {
  constexpr const char* op = "max_unpool1d";
  check_unpool_operands(input, indices, 1, op);
  const int64_t step = stride.value_or(kernel_size);
  MG_CHECK(kernel_size > 0 && step > 0 && padding >= 0,
           "{}: kernel_size ({}) and stride ({}) must be positive and padding ({}) non-negative",
           op, kernel_size, step, padding);
  const int64_t length =
      unpool_extent(input.size(-1), kernel_size, step, padding, output_size, op, "length");
  return squeeze(unpool_plane(unsqueeze(input, -2), unsqueeze(indices, -2), 1, length, op), -2);
}

Tensor max_unpool3d(const Tensor& input, const Tensor& indices, IntTriple kernel_size,
                    std::optional<IntTriple> stride, IntTriple padding,
                    std::optional<IntTriple> output_size) {
  constexpr const char* op = "max_unpool3d";
  check_unpool_operands(input, indices, 3, op);
  const IntTriple step = stride.value_or(kernel_size);
  MG_CHECK(kernel_size.d > 0 && kernel_size.h > 0 && kernel_size.w > 0 && step.d > 0 &&
               step.h > 0 && step.w > 0 && padding.d >= 0 && padding.h >= 0 && padding.w >= 0,
           "{}: kernel_size ({}, {}, {}) and stride ({}, {}, {}) must be positive and padding "
           "({}, {}, {}) non-negative",
           op, kernel_size.d, kernel_size.h, kernel_size.w, step.d, step.h, step.w, padding.d,
           padding.h, padding.w);
  const auto requested = [&](int64_t IntTriple::*dim) -> std::optional<int64_t> {
    if (!output_size) return std::nullopt;
    return (*output_size).*dim;
  };
  const int64_t out_d = unpool_extent(input.size(-3), kernel_size.d, step.d, padding.d,
                                      requested(&IntTriple::d), op, "depth");
  const int64_t out_h = unpool_extent(input.size(-2), kernel_size.h, step.h, padding.h,
                                      requested(&IntTriple::h), op, "height");
  const int64_t out_w = unpool_extent(input.size(-1), kernel_size.w, step.w, padding.w,
                                      requested(&IntTriple::w), op, "width");
  // The volume as a plane of D*H rows: the flat index d H W + h W + w is the same.
  const int rank = input.dim();
  Dims planes = input.shape();
  planes.erase(rank - 3);
  planes[rank - 3] = input.size(-3) * input.size(-2);
  Dims out_shape = input.shape();
  out_shape[rank - 3] = out_d;
  out_shape[rank - 2] = out_h;
  out_shape[rank - 1] = out_w;
  const Tensor flat = unpool_plane(reshape(input, planes), reshape(indices, planes),
                                   checked_mul(out_d, out_h, op, "output size"), out_w, op);
  return reshape(flat, out_shape);
}

}  // namespace metagrad
