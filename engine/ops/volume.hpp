#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <tuple>

#include "engine/ops/conv.hpp"
#include "engine/tensor.hpp"

// Sliding-window ops over volumes [N, C, D, H, W] (or unbatched [C, D, H, W]), PyTorch names and
// semantics. Each is composed from the 2-D family and the one-dim window ops, so each has the
// 2-D ops' devices, dtypes and derivatives of every order:
// - conv3d unfolds the depth windows (unfold over [N, C*H*W, 1, D]) into channels and runs one
//   conv2d over the D' output planes; conv_transpose3d runs one conv_transpose2d over the input
//   planes and folds the depth windows back (fold, unfold's adjoint);
// - pooling windows are boxes, so max, mean and the adaptive max factor into a 2-D pool of every
//   plane followed by a 1-D pool along the depth (the maximum of maxima, the mean of means with a
//   product divisor); the indices of the maxima are found so, and the values gathered from the
//   input at them (gradient: a scatter_add there).
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// A (depth, height, width) triple of a window parameter; a single integer sets all three:
/// `conv3d(x, w, b, 2)` or `conv3d(x, w, b, {1, 2, 2})`.
struct IntTriple {
  int64_t d = 0;  ///< Depth.
  int64_t h = 0;  ///< Height.
  int64_t w = 0;  ///< Width.
  /// The same value for depth, height and width.
  IntTriple(int64_t all) : d(all), h(all), w(all) {}  // NOLINT: an int, as PyTorch's
  /// Depth, height and width.
  IntTriple(int64_t depth, int64_t height, int64_t width) : d(depth), h(height), w(width) {}
  /// The (height, width) pair.
  IntPair plane() const { return {h, w}; }
};

/// torch.nn.functional.conv3d (cross-correlation): input [N, C, D, H, W] (or unbatched
/// [C, D, H, W]), weight [O, C / groups, kd, kh, kw], bias [O] or undefined -> [N, O, D', H', W']
/// (or [O, D', H', W']), each output size floor((in + 2 padding - dilation (k - 1) - 1) / stride)
/// + 1. With groups = G (dividing C and O) output channels [j O/G, (j+1) O/G) see only input
/// channels [j C/G, (j+1) C/G). Input, weight and bias share dtype (float32/float64) and device.
/// Differentiable to every order in input, weight and bias. Throws for mismatched shapes,
/// channels or groups, a non-positive stride or dilation, negative padding, or a kernel longer
/// than the padded input.
Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
              IntTriple stride = 1, IntTriple padding = 0, IntTriple dilation = 1,
              int64_t groups = 1);

/// conv3d with PyTorch's string padding ("same" or "valid"), as conv2d's.
Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias, IntTriple stride,
              PaddingRule padding, IntTriple dilation = 1, int64_t groups = 1);

/// torch.nn.functional.conv_transpose3d: the transposed convolution (the input gradient of the
/// conv3d it inverts). input [N, C_in, D, H, W] or [C_in, D, H, W]; weight [C_in, C_out / groups,
/// kd, kh, kw]; bias [C_out] or undefined. Each output size is (in - 1) stride - 2 padding +
/// dilation (k - 1) + output_padding + 1. Differentiable to every order in input, weight and
/// bias. Throws for mismatched channels or groups, output_padding not below stride or dilation,
/// and an empty output.
Tensor conv_transpose3d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
                        IntTriple stride = 1, IntTriple padding = 0, IntTriple output_padding = 0,
                        int64_t groups = 1, IntTriple dilation = 1);

/// torch.nn.functional.max_pool3d with return_indices = true: input [N, C, D, H, W] or
/// [C, D, H, W]; the max over each window of the input padded with -inf (padding at most half
/// the kernel; ceil_mode as max_pool2d) and its int64 index d H W + h W + w into the flattened
/// volume of its (n, c) channel, the first maximum in (d, h, w) order on ties, as PyTorch. The
/// values are gathered from the input, so their gradient is a scatter_add at the indices (every
/// order); the indices carry no gradient. Throws when a window covers only padding.
std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, IntTriple kernel_size,
                                                   std::optional<IntTriple> stride = std::nullopt,
                                                   IntTriple padding = 0, IntTriple dilation = 1,
                                                   bool ceil_mode = false);

/// The values of max_pool3d_with_indices (torch.nn.functional.max_pool3d); stride defaults to
/// kernel_size.
Tensor max_pool3d(const Tensor& input, IntTriple kernel_size,
                  std::optional<IntTriple> stride = std::nullopt, IntTriple padding = 0,
                  IntTriple dilation = 1, bool ceil_mode = false);

/// torch.nn.functional.avg_pool3d: input [N, C, D, H, W] or [C, D, H, W]; the mean of each window
/// of the zero-padded input (padding at most half the kernel), stride defaulting to kernel_size.
/// The divisor is the window size clipped to the padded input (count_include_pad) or the number
/// of real input elements in the window (count_include_pad = false), or divisor_override when
/// given (non-zero). ceil_mode as max_pool2d. Float dtypes, every order of derivative.
Tensor avg_pool3d(const Tensor& input, IntTriple kernel_size,
                  std::optional<IntTriple> stride = std::nullopt, IntTriple padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true,
                  std::optional<int64_t> divisor_override = std::nullopt);

/// torch.nn.functional.adaptive_max_pool3d with return_indices = true: the max over each of
/// adaptive_avg_pool3d's windows and its int64 index d H W + h W + w into the input volume (the
/// first in (d, h, w) order on ties). input [N, C, D, H, W] or [C, D, H, W]. The values
/// differentiate to every order (the gradient goes to each window's maximum); the indices carry
/// no gradient.
std::tuple<Tensor, Tensor> adaptive_max_pool3d_with_indices(const Tensor& input,
                                                            IntTriple output_size);

/// The values of adaptive_max_pool3d_with_indices (torch.nn.functional.adaptive_max_pool3d).
Tensor adaptive_max_pool3d(const Tensor& input, IntTriple output_size);

/// torch.nn.functional.max_unpool3d, max_pool3d's partial inverse: input [N, C, D, H, W] (or
/// [C, D, H, W]) and the int64 `indices` max_pool3d_with_indices returned with it -> zeros of
/// [.., out_d, out_h, out_w] with each value at its index d out_h out_w + h out_w + w. Each size
/// defaults to (in - 1) * stride - 2 * padding + kernel_size (stride defaults to kernel_size); a
/// given output_size must lie strictly within one stride of that. Shared indices and gradients
/// as max_unpool2d. Throws on an index outside the volume.
Tensor max_unpool3d(const Tensor& input, const Tensor& indices, IntTriple kernel_size,
                    std::optional<IntTriple> stride = std::nullopt, IntTriple padding = 0,
                    std::optional<IntTriple> output_size = std::nullopt);

/// @}

}  // namespace metagrad
