#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <tuple>

#include "engine/ops/conv_padding.hpp"
#include "engine/tensor.hpp"

// Sliding-window ops over [N, C, H, W] images, PyTorch names and semantics. The adjoint pair
// unfold (im2col) <-> fold (col2im) are each other's backward; conv2d is one op whose gradients
// are again ops of its family (it saves input and weight, not the unfolded columns); max_pool2d
// (window argmax + gather) and avg_pool2d (unfold + sum / count) are composed from primitives, so
// every one has derivatives of every order.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// A (height, width) pair of a window parameter; a single integer sets both: `conv2d(x, w, b, 2)`
/// or `conv2d(x, w, b, {2, 1})`.
struct IntPair {
  /// Height and width.
  int64_t h = 0, w = 0;  ///< Height (h) and width (w).
  /// The same value for height and width.
  IntPair(int64_t both) : h(both), w(both) {}
  /// Height and width.
  IntPair(int64_t height, int64_t width) : h(height), w(width) {}
};

/// torch.nn.functional.unfold (im2col): input [N, C, H, W] (or unbatched [C, H, W]) ->
/// [N, C*kh*kw, L] (or [C*kh*kw, L]), L = out_h * out_w window positions, where
/// out[n, (c*kh + i)*kw + j, y*out_w + x] = input[n, c, y*sh - ph + i*dh, x*sw - pw + j*dw] and 0
/// outside the input. Float dtypes; a new contiguous tensor. Backward: fold.
Tensor unfold(const Tensor& input, IntPair kernel_size, IntPair dilation = 1, IntPair padding = 0,
              IntPair stride = 1);

/// torch.nn.functional.fold (col2im), the adjoint of unfold: input [N, C*kh*kw, L] (or
/// [C*kh*kw, L]) -> [N, C, H, W] (or [C, H, W]) with (H, W) = output_size, summing the entries
/// that unfold would copy from the same pixel. L must equal the number of window positions of
/// that geometry. Float dtypes; a new contiguous tensor. Backward: unfold.
Tensor fold(const Tensor& input, IntPair output_size, IntPair kernel_size, IntPair dilation = 1,
            IntPair padding = 0, IntPair stride = 1);

/// torch.nn.functional.conv2d (cross-correlation): input [N, C, H, W] (or unbatched [C, H, W]),
/// weight [O, C / groups, kh, kw], bias [O] or undefined -> [N, O, out_h, out_w] (or [O, out_h,
/// out_w]), out = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1. With groups = G (dividing C and
/// O) output channels [j O/G, (j+1) O/G) see only input channels [j C/G, (j+1) C/G). Per-task
/// weights, as linear's: weight [T, O, C / groups, kh, kw] and bias [T, O] with input
/// [T, N, C, H, W] -> [T, N, O, out_h, out_w], task t convolving its images with its weight (what
/// a meta-batch vectorised over tasks runs on; one batched GEMM for all tasks). Input, weight and
/// bias share dtype (float32/float64) and device. Computed as unfold + one matrix product (batched
/// over tasks and groups) + bias, recorded as one node that saves input and weight (the unfolded
/// columns are recomputed by the weight gradient), differentiable to every order in input, weight
/// and bias.
/// Contiguous result.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
              IntPair stride = 1, IntPair padding = 0, IntPair dilation = 1, int64_t groups = 1);

/// conv2d with PyTorch's string padding (`conv2d(x, w, b, 1, "same")`): "valid" pads nothing;
/// "same" pads dilation (k - 1) along each spatial dim, the odd one after (the input is padded
/// first when the sides differ), so the output keeps H and W. Operands, dtypes and derivatives
/// as conv2d. Throws for "same" with a stride other than 1.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntPair stride,
              PaddingRule padding, IntPair dilation = 1, int64_t groups = 1);

/// torch.nn.functional.conv1d: input [N, C, L] (or unbatched [C, L]), weight [O, C / groups, k],
/// bias [O] or undefined -> [N, O, L'] (or [O, L']), L' = floor((L + 2 padding - dilation (k - 1)
/// - 1) / stride) + 1. Computed as conv2d over images of height 1, so it has conv2d's groups,
/// dtypes, devices and derivatives of every order.
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
              int64_t stride = 1, int64_t padding = 0, int64_t dilation = 1, int64_t groups = 1);

/// conv1d with PyTorch's string padding ("same" or "valid"), as conv2d's.
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, int64_t stride,
              PaddingRule padding, int64_t dilation = 1, int64_t groups = 1);

/// torch.nn.functional.conv_transpose2d: the transposed convolution (the input gradient of the
/// conv2d it inverts). input [N, C_in, H, W] or [C_in, H, W]; weight [C_in, C_out / groups, kh,
/// kw]; bias [C_out] or undefined. Output size (H - 1) stride - 2 padding + dilation (kh - 1) +
/// output_padding + 1 (likewise W). Per-task operands (nn::task_batched) add a leading task dim
/// to all three: input [T, N, C_in, H, W], weight [T, C_in, C_out / groups, kh, kw], bias
/// [T, C_out]. Differentiable to every order in input, weight and bias.
/// Throws for mismatched channels or groups, output_padding not below stride or dilation, and an
/// empty output.
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
                        IntPair stride = 1, IntPair padding = 0, IntPair output_padding = 0,
                        int64_t groups = 1, IntPair dilation = 1);

/// torch.nn.functional.conv_transpose1d: conv_transpose2d over images of height 1. input
/// [N, C_in, L] or [C_in, L]; weight [C_in, C_out / groups, k]; bias [C_out] or undefined.
Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
                        int64_t stride = 1, int64_t padding = 0, int64_t output_padding = 0,
                        int64_t groups = 1, int64_t dilation = 1);

/// torch.nn.functional.adaptive_avg_pool2d: input [N, C, H, W] or [C, H, W] -> [.., oh, ow]
/// (output_size = (oh, ow)); output cell (i, j) is the mean of rows [floor(i H / oh),
/// ceil((i + 1) H / oh)) and columns [floor(j W / ow), ceil((j + 1) W / ow)), PyTorch's windows
/// (they overlap when H is not a multiple of oh). Float dtypes, derivatives of every order.
Tensor adaptive_avg_pool2d(const Tensor& input, IntPair output_size);

/// torch.nn.functional.adaptive_avg_pool1d: input [N, C, L] or [C, L] -> [.., output_size], the
/// windows of adaptive_avg_pool2d along the one dim.
Tensor adaptive_avg_pool1d(const Tensor& input, int64_t output_size);

/// torch.nn.functional.adaptive_max_pool2d with return_indices = true: the max over each of
/// adaptive_avg_pool2d's windows, and its int64 index h W + w into the input plane (the first in
/// row-major order on ties, as PyTorch; with NaN in a window, its first NaN where PyTorch gives
/// the last). input [N, C, H, W] or [C, H, W]. The values differentiate to every order (the
/// gradient goes to each window's maximum); the indices carry no gradient.
std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& input,
                                                            IntPair output_size);

/// The values of adaptive_max_pool2d_with_indices (torch.nn.functional.adaptive_max_pool2d).
Tensor adaptive_max_pool2d(const Tensor& input, IntPair output_size);

/// torch.nn.functional.adaptive_max_pool1d with return_indices = true: input [N, C, L] or
/// [C, L], indices into the line.
std::tuple<Tensor, Tensor> adaptive_max_pool1d_with_indices(const Tensor& input,
                                                            int64_t output_size);

/// The values of adaptive_max_pool1d_with_indices (torch.nn.functional.adaptive_max_pool1d).
Tensor adaptive_max_pool1d(const Tensor& input, int64_t output_size);

/// torch.nn.functional.adaptive_avg_pool3d: input [N, C, D, H, W] or [C, D, H, W] ->
/// [.., od, oh, ow], the windows of adaptive_avg_pool2d along each of the three dims.
/// Differentiable to every order. Throws for another rank, a size below 1 or an empty input dim.
Tensor adaptive_avg_pool3d(const Tensor& input, std::array<int64_t, 3> output_size);

/// torch.nn.functional.max_pool2d with stride = kernel_size.
Tensor max_pool2d(const Tensor& input, IntPair kernel_size);
/// torch.nn.functional.max_pool2d: input [N, C, H, W] or [C, H, W]; the max over each window of
/// the input padded with -inf (padding at most half the kernel). ceil_mode rounds the output
/// size up, keeping only windows that start inside the input or its left/top padding. The
/// values are gathered from the input at the first maximum of each window (row-major window
/// order), so the gradient is a scatter_add there. Float dtypes. Throws when a window covers
/// only padding.
Tensor max_pool2d(const Tensor& input, IntPair kernel_size, IntPair stride, IntPair padding = 0,
                  IntPair dilation = 1, bool ceil_mode = false);

/// max_pool2d_with_indices with stride = kernel_size.
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntPair kernel_size);
/// max_pool2d returning (values, indices) as PyTorch's return_indices = true: int64 indices of
/// each maximum into the flattened H*W plane of its (n, c) image, h * W + w. The indices carry
/// no gradient.
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, IntPair kernel_size,
                                                   IntPair stride, IntPair padding = 0,
                                                   IntPair dilation = 1, bool ceil_mode = false);

/// torch.nn.functional.avg_pool2d with stride = kernel_size.
Tensor avg_pool2d(const Tensor& input, IntPair kernel_size);
/// torch.nn.functional.avg_pool2d: input [N, C, H, W] or [C, H, W]; the mean of each window of
/// the zero-padded input (padding at most half the kernel). The divisor is the window size
/// clipped to the padded input (count_include_pad) or the number of real input elements in the
/// window (count_include_pad = false). ceil_mode as max_pool2d. Float dtypes, every order of
/// derivative.
Tensor avg_pool2d(const Tensor& input, IntPair kernel_size, IntPair stride, IntPair padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true);

/// torch.nn.functional.max_pool1d with stride = kernel_size.
Tensor max_pool1d(const Tensor& input, int64_t kernel_size);
/// torch.nn.functional.max_pool1d: input [N, C, L] or [C, L]; the max over each window of the
/// input padded with -inf (padding at most half the kernel), ceil_mode as max_pool2d, the
/// gradient a scatter_add to each window's first maximum. Float dtypes. Throws when a window
/// covers only padding.
Tensor max_pool1d(const Tensor& input, int64_t kernel_size, int64_t stride, int64_t padding = 0,
                  int64_t dilation = 1, bool ceil_mode = false);

/// max_pool1d_with_indices with stride = kernel_size.
std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, int64_t kernel_size);
/// max_pool1d returning (values, indices) as PyTorch's return_indices = true: int64 positions of
/// each maximum along L. The indices carry no gradient.
std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, int64_t kernel_size,
                                                   int64_t stride, int64_t padding = 0,
                                                   int64_t dilation = 1, bool ceil_mode = false);

/// torch.nn.functional.avg_pool1d with stride = kernel_size.
Tensor avg_pool1d(const Tensor& input, int64_t kernel_size);
/// torch.nn.functional.avg_pool1d: input [N, C, L] or [C, L]; the mean of each window of the
/// zero-padded input, the divisor as avg_pool2d's (count_include_pad). Float dtypes, every order
/// of derivative.
Tensor avg_pool1d(const Tensor& input, int64_t kernel_size, int64_t stride, int64_t padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true);

/// torch.nn.functional.max_unpool2d, max_pool2d's partial inverse: input [N, C, H, W] (or
/// [C, H, W]) and the int64 `indices` max_pool2d_with_indices returned with it -> zeros of
/// [.., out_h, out_w] with each value at its index h * out_w + w. The size defaults to
/// (H - 1) * stride - 2 * padding + kernel_size per dim (stride defaults to kernel_size); a given
/// output_size must lie strictly within one stride of that. An index that several windows share
/// holds the value once (the last window's, as PyTorch's assignment); each input's gradient is
/// the output gradient at its index (PyTorch's gather backward), to every order. Throws on an
/// index outside the plane.
Tensor max_unpool2d(const Tensor& input, const Tensor& indices, IntPair kernel_size,
                    std::optional<IntPair> stride = std::nullopt, IntPair padding = 0,
                    std::optional<IntPair> output_size = std::nullopt);

/// torch.nn.functional.max_unpool1d: max_unpool2d along one dim, input and indices [N, C, L] or
/// [C, L] -> [.., out_l], out_l = (L - 1) * stride - 2 * padding + kernel_size or output_size.
Tensor max_unpool1d(const Tensor& input, const Tensor& indices, int64_t kernel_size,
                    std::optional<int64_t> stride = std::nullopt, int64_t padding = 0,
                    std::optional<int64_t> output_size = std::nullopt);

/// @}

}  // namespace metagrad
