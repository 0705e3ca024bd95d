#include "engine/ops/conv.hpp"

#include <algorithm>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/conv2d_ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/window_text.hpp"

// unfold and fold are primitives that record each other as their backward (DESIGN §3). conv2d is
// one recorded op whose gradients are two more ops of the same family (Note [conv2d adjoint
// family], conv2d_ops.cpp), so it saves its input and weight, never the unfolded columns.
// max_pool2d (a backend argmax per window, then a gather of the input) and avg_pool2d (unfold +
// sum / count) are compositions with other differentiable ops. Every one has exact derivatives of
// every order without hand-written second derivatives.
namespace metagrad {
namespace {

using detail::tuple_str;

using detail::backend_of;
using detail::view_of;

// Window positions along one dim (PyTorch's pooling_output_shape; conv is ceil_mode = false).
// Sizes are checked for overflow (Note [size overflow]): kernel, padding and dilation come from the
// caller.
int64_t window_count(int64_t size, int64_t kernel, int64_t pad, int64_t stride, int64_t dilation,
                     bool ceil_mode, const char* op) {
  const int64_t padded = checked_add(size, checked_mul(2, pad, op, "padding"), op, "padded size");
  const int64_t extent = checked_mul(dilation, kernel - 1, op, "dilated kernel extent");
  const int64_t span = padded - extent - 1;
  if (span < 0) return 0;
  int64_t count =
      checked_add(span, ceil_mode ? stride - 1 : 0, op, "the rounded-up window span") / stride + 1;
  // The last window must start inside the input or its leading padding.
  if (ceil_mode && (count - 1) * stride >= size + pad) --count;
  return count;
}

// Checks that kernel, stride and dilation are positive and padding non-negative.
void check_window(IntPair kernel, IntPair stride, IntPair padding, IntPair dilation,
                  const char* op) {
  MG_CHECK(kernel.h > 0 && kernel.w > 0, "{}: kernel_size must be positive, got {}", op,
           tuple_str(kernel));
  MG_CHECK(stride.h > 0 && stride.w > 0, "{}: stride must be positive, got {}", op,
           tuple_str(stride));
  MG_CHECK(dilation.h > 0 && dilation.w > 0, "{}: dilation must be positive, got {}", op,
           tuple_str(dilation));
  MG_CHECK(padding.h >= 0 && padding.w >= 0, "{}: padding must be non-negative, got {}", op,
           tuple_str(padding));
}

// Throws unless x is a floating [N, C, H, W] or [C, H, W] tensor.
void check_image(const Tensor& x, const char* op) {
  detail::check_floating(x, op);
  MG_CHECK(
      x.dim() == 3 || x.dim() == 4,
      "{}: expected a 3-D (unbatched [C, H, W]) or 4-D (batched [N, C, H, W]) input, got shape "
      "{}",
      op, shape_str(x.shape()));
}

}  // namespace

namespace detail {

ConvGeometry pool_geometry(const Tensor& x, IntPair kernel, IntPair stride, IntPair padding,
                           IntPair dilation, bool ceil_mode, const char* op) {
  check_image(x, op);
  check_window(kernel, stride, padding, dilation, op);
  MG_CHECK(padding.h <= kernel.h / 2 && padding.w <= kernel.w / 2,
           "{}: padding should be at most half of the kernel size, got padding {} for kernel_size "
           "{} (input shape {})",
           op, tuple_str(padding), tuple_str(kernel), shape_str(x.shape()));
  return detail::conv_geometry(x.shape(), kernel, stride, padding, dilation, ceil_mode, op);
}

// The geometry of windows over an H x W image; throws (naming op and shapes) when none fits.
ConvGeometry conv_geometry(const Dims& image_shape, IntPair kernel, IntPair stride, IntPair padding,
                           IntPair dilation, bool ceil_mode, const char* op) {
  check_window(kernel, stride, padding, dilation, op);
  const int64_t height = image_shape[image_shape.size() - 2], width = image_shape.back();
  ConvGeometry g{kernel.h,  kernel.w,   stride.h,   stride.w, padding.h,
                 padding.w, dilation.h, dilation.w, 0,        0};
  g.out_h = window_count(height, kernel.h, padding.h, stride.h, dilation.h, ceil_mode, op);
  g.out_w = window_count(width, kernel.w, padding.w, stride.w, dilation.w, ceil_mode, op);
  // Later products of these (kernel area, windows, their product) then fit int64.
  checked_mul(checked_mul(kernel.h, kernel.w, op, "kernel size"),
              checked_mul(g.out_h, g.out_w, op, "number of windows"), op, "unfolded size");
  MG_CHECK(g.out_h > 0 && g.out_w > 0,
           "{}: kernel size {} with dilation {} (extent ({}, {})) is larger than the padded input "
           "({}, {}) of input shape {} with padding {}; use a smaller kernel or dilation or more "
           "padding",
           op, tuple_str(kernel), tuple_str(dilation), dilation.h * (kernel.h - 1) + 1,
           dilation.w * (kernel.w - 1) + 1, height + 2 * padding.h, width + 2 * padding.w,
           shape_str(image_shape), tuple_str(padding));
  return g;
}

Tensor unfold_columns(const Tensor& x, const ConvGeometry& g, bool channel_major) {
  const int64_t n = x.size(0), l = g.out_h * g.out_w;
  const int64_t k = checked_mul(x.size(1), g.kernel_h * g.kernel_w, "unfold", "columns size");
  checked_mul(checked_mul(k, n, "unfold", "columns size"), l, "unfold", "columns size");
  Tensor out = channel_major ? make_view(make_empty({k, n, l}, x.dtype(), x.device()), {n, k, l},
                                         {l, n * l, 1}, 0)
                             : make_empty({n, k, l}, x.dtype(), x.device());
  if (out.numel() > 0) backend_of(x).unfold(view_of(x), view_of(out), g, 0.0);
  if (needs_grad(x)) {
    // d unfold(x) = unfold(dx)  =>  grad_x = fold(grad_y) (the adjoint)
    record(
        "UnfoldBackward", {x}, {out},
        [g, height = x.size(2), width = x.size(3)](const TensorList& grads, Node&) -> TensorList {
          return {fold_columns(grads[0], height, width, g, false)};
        });
  }
  return out;
}

Tensor fold_columns(const Tensor& columns, int64_t height, int64_t width, const ConvGeometry& g,
                    bool channel_major) {
  const int64_t n = columns.size(0), channels = columns.size(1) / (g.kernel_h * g.kernel_w);
  Tensor out =
      channel_major
          ? make_view(make_empty({channels, n, height, width}, columns.dtype(), columns.device()),
                      {n, channels, height, width}, {height * width, n * height * width, width, 1},
                      0)
          : make_empty({n, channels, height, width}, columns.dtype(), columns.device());
  if (out.numel() > 0) backend_of(columns).fold(view_of(columns), view_of(out), g);
  if (needs_grad(columns)) {
    // d fold(y) = fold(dy)  =>  grad_y = unfold(grad_x) (the adjoint)
    record("FoldBackward", {columns}, {out}, [g](const TensorList& grads, Node&) -> TensorList {
      return {unfold_columns(grads[0], g, false)};
    });
  }
  return out;
}

}  // namespace detail

namespace {

using detail::fold_columns;
using detail::unfold_columns;

// conv2d of per-task (5-D) or grouped operands as one task-batched op (Note [task-batched conv]):
// group j of task t becomes task t * groups + j, moved to the front (copies), and back after.
Tensor batched_grouped_conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias,
                              int64_t groups, const ConvGeometry& g) {
  const bool per_task = weight.dim() == 5;
  const Tensor x = per_task ? input : unsqueeze(input.dim() == 3 ? unsqueeze(input, 0) : input, 0);
  const Tensor w = per_task ? weight : unsqueeze(weight, 0);
  const int64_t tasks = x.size(0), n = x.size(1), channels = x.size(2);
  const int64_t out_channels = w.size(1), group_out = out_channels / groups;
  const int64_t units = tasks * groups;
  // [T, N, G*Cg, H, W] -> [T*G, N, Cg, H, W]; weight [T, G*Og, Cg, kh, kw] -> [T*G, Og, ...].
  const Tensor xg =
      reshape(permute(reshape(x, {tasks, n, groups, channels / groups, x.size(3), x.size(4)}),
                      {0, 2, 1, 3, 4, 5}),
              {units, n, channels / groups, x.size(3), x.size(4)});
  const Tensor wg = reshape(w, {units, group_out, w.size(2), w.size(3), w.size(4)});
  const Tensor bg = bias.defined() ? reshape(bias, {units, group_out}) : Tensor();
  const Tensor y = detail::conv2d_op(xg, wg, bg, g);  // [T*G, N, Og, out_h, out_w]
  Tensor out = reshape(
      permute(reshape(y, {tasks, groups, n, group_out, g.out_h, g.out_w}), {0, 2, 1, 3, 4, 5}),
      {tasks, n, out_channels, g.out_h, g.out_w});
  if (per_task) return out;
  out = squeeze(out, 0);
  return input.dim() == 3 ? squeeze(out, 0) : out;
}

}  // namespace

Tensor unfold(const Tensor& input, IntPair kernel_size, IntPair dilation, IntPair padding,
              IntPair stride) {
  check_image(input, "unfold");
  const ConvGeometry g =
      detail::conv_geometry(input.shape(), kernel_size, stride, padding, dilation, false, "unfold");
  return detail::with_batch_dim(input,
                                [&](const Tensor& x) { return unfold_columns(x, g, false); });
}

Tensor fold(const Tensor& input, IntPair output_size, IntPair kernel_size, IntPair dilation,
            IntPair padding, IntPair stride) {
  detail::check_floating(input, "fold");
  MG_CHECK(input.dim() == 2 || input.dim() == 3,
           "fold: expected a 2-D (unbatched [C*kh*kw, L]) or 3-D (batched [N, C*kh*kw, L]) input, "
           "got shape {}",
           shape_str(input.shape()));
  MG_CHECK(output_size.h >= 0 && output_size.w >= 0,
           "fold: output_size must be non-negative, got {}", tuple_str(output_size));
  const int64_t kk = kernel_size.h * kernel_size.w;
  check_window(kernel_size, stride, padding, dilation, "fold");
  MG_CHECK(input.size(-2) % kk == 0,
           "fold: expected size {} of dim {} of input shape {} to be divisible by the product of "
           "kernel_size {} = {}",
           input.size(-2), input.dim() - 2, shape_str(input.shape()), tuple_str(kernel_size), kk);
  const ConvGeometry g = detail::conv_geometry({output_size.h, output_size.w}, kernel_size, stride,
                                               padding, dilation, false, "fold");
  MG_CHECK(
      input.size(-1) == g.out_h * g.out_w,
      "fold: input shape {} has {} blocks in its last dim, but output_size {}, kernel_size {}, "
      "dilation {}, padding {} and stride {} give {} x {} = {} blocks",
      shape_str(input.shape()), input.size(-1), tuple_str(output_size), tuple_str(kernel_size),
      tuple_str(dilation), tuple_str(padding), tuple_str(stride), g.out_h, g.out_w,
      g.out_h * g.out_w);
  if (input.dim() == 3) return fold_columns(input, output_size.h, output_size.w, g, false);
  return squeeze(fold_columns(unsqueeze(input, 0), output_size.h, output_size.w, g, false), 0);
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntPair stride,
              IntPair padding, IntPair dilation, int64_t groups) {
  detail::check_defined(weight, "conv2d", "weight");
  const bool per_task = weight.dim() == 5;
  if (per_task) {
    detail::check_floating(input, "conv2d");
    MG_CHECK(input.dim() == 5 && input.size(0) == weight.size(0),
             "conv2d: per-task weight shape {} ([T, out_channels, in_channels / groups, kh, kw]) "
             "needs a 5-D input [T, N, C, H, W] with T = {}, got shape {}",
             shape_str(weight.shape()), weight.size(0), shape_str(input.shape()));
  } else {
    check_image(input, "conv2d");
    MG_CHECK(weight.dim() == 4,
             "conv2d: expected a 4-D weight [out_channels, in_channels / groups, kh, kw] (or a 5-D "
             "per-task weight with a 5-D input), got shape {}",
             shape_str(weight.shape()));
  }
  detail::check_same_kind(input, weight, "conv2d");
  const int64_t channels = input.size(-3), out_channels = weight.size(-4);
  MG_CHECK(groups > 0 && channels % groups == 0 && out_channels % groups == 0,
           "conv2d: groups = {} must be positive and divide both the input channels ({}, input "
           "shape {}) and the output channels ({}, weight shape {})",
           groups, channels, shape_str(input.shape()), out_channels, shape_str(weight.shape()));
  MG_CHECK(weight.size(-3) * groups == channels,
           "conv2d: input shape {} has {} channels but weight shape {}{} expects {} "
           "(weight.size({}){}); the input must be [N, C, H, W] with C = in_channels",
           shape_str(input.shape()), channels, shape_str(weight.shape()),
           groups == 1 ? std::string() : fmt::format(" with groups = {}", groups),
           weight.size(-3) * groups, per_task ? 2 : 1, groups == 1 ? "" : " * groups");
  if (bias.defined()) {
    detail::check_same_kind(input, bias, "conv2d");
    const Dims expected = per_task ? Dims{weight.size(0), out_channels} : Dims{out_channels};
    MG_CHECK(bias.shape() == expected,
             "conv2d: expected a bias of shape {} (one per output channel of weight shape {}), "
             "got shape {}",
             shape_str(expected), shape_str(weight.shape()), shape_str(bias.shape()));
  }
  const ConvGeometry g = detail::conv_geometry(input.shape(), {weight.size(-2), weight.size(-1)},
                                               stride, padding, dilation, false, "conv2d");
  // Note [conv2d adjoint family]
  if (groups == 1) {
    if (per_task) return detail::conv2d_op(input, weight, bias, g);
    return detail::with_batch_dim(
        input, [&](const Tensor& x) { return detail::conv2d_op(x, weight, bias, g); });
  }
  return batched_grouped_conv2d(input, weight, bias, groups, g);
}

}  // namespace metagrad
