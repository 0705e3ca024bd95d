#pragma once

#include <cstdint>
#include <tuple>
#include <type_traits>

#include "engine/backend/backend.hpp"
#include "engine/ops/conv.hpp"
#include "engine/ops/shape_ops.hpp"
#include "engine/tensor.hpp"

// Internal pieces of conv2d shared by conv.cpp (the public ops, shape checks) and conv2d_ops.cpp
// (conv2d as one recorded op with its two gradient ops). Not part of the public API.
//
// Note [conv2d adjoint family]
// conv2d is one recorded op, not the composition unfold -> matmul it computes: the composition
// would save the unfolded columns (kh*kw times the input) for matmul's backward. With U = unfold
// (im2col, [N, C*kh*kw, L]) and G an output gradient [N, O, out_h, out_w] seen as [O, N*L]:
//   conv(x, W)        = W U(x)        saves x and W
//   input_grad(G, W)  = fold(W^T G)   saves G and W   (x's gradient of conv)
//   weight_grad(G, x) = G U(x)^T      saves G and x   (W's gradient of conv)
// Each is bilinear and the gradients of each are again members of the family (for an output
// gradient H): conv -> (input_grad(H, W), weight_grad(H, x)); input_grad -> (conv(H, W),
// weight_grad(G, H)); weight_grad -> (conv(x, H), input_grad(G, H)). So every order of derivative
// is exact (DESIGN §3) and no node ever saves columns: a backward that needs U(x) recomputes it.
// Each forward runs the same GEMMs as the composition (one [O, K] x [K, N*L] product per call).
//
// Note [task-batched conv]
// The family also takes a leading task dim: x [T, N, C, H, W], weight [T, O, C, kh, kw], bias
// [T, O] and grads [T, N, O, out_h, out_w], task t convolving its own images with its own weight.
// Every product above becomes one batched GEMM over the tasks ([T, O, K] x [T, K, N*L]), so T
// tasks cost one call of each kernel instead of T: what a meta-batch vectorised over tasks
// (nn::task_batched) and grouped convolution (groups = T, the groups moved to the front) run on.
// The formulas and the closure under differentiation are the same, per task.
// Layout. The GEMMs want [T, C, N, L] in memory ("task-channel-major"), and a network of such
// layers keeps its activations and gradients that way, so that no permuting copy runs between
// them:
// - the output stays in the products' memory order [T, O, N, out_h, out_w] (a permuted
//   [T, N, O, ...]); the task-batched batch norm reads it as [N, T*O, L] and writes its results,
//   the gradient that returns here included, in the same layout (make_empty_in_layout_of), and
//   elementwise ops keep it (make_empty_for_operands), as do the task-batched pooling layers
//   (which see such an image as [T*C, N, H, W], nn::task_batched);
// - a returning gradient in that layout is the [T, O, N*L] matrix of the backward's GEMMs as it
//   stands;
// - x unfolds as one batch of T*N images when it is stored so (the network's input), and
//   otherwise as N images of T*C channels (task t's channel c is channel t*C + c, its column rows
//   t*K + k), whose channel-major columns [T*K, N, L] are the [T, K, N*L] matrices as they stand;
// - the input gradient's columns [T, K, N*L] fold the same way, as N images of T*C channels, into
//   an image stored channel-major: the gradient is again [T, C, N, H, W] in memory, and the fold
//   reads and writes in memory order.

namespace metagrad::detail {

/// The geometry of windows of `kernel` over the last two dims (H, W) of image_shape with PyTorch's
/// output size rule (ceil_mode as pooling's). Throws naming `op` for a non-positive kernel, stride
/// or dilation, negative padding, no window that fits, or sizes that overflow int64.
ConvGeometry conv_geometry(const Dims& image_shape, IntPair kernel, IntPair stride, IntPair padding,
                           IntPair dilation, bool ceil_mode, const char* op);

/// The geometry of pooling windows over x, a floating [N, C, H, W] or [C, H, W] tensor: checks
/// PyTorch's pooling constraints (also padding at most half the kernel) and throws naming `op`.
ConvGeometry pool_geometry(const Tensor& x, IntPair kernel, IntPair stride, IntPair padding,
                           IntPair dilation, bool ceil_mode, const char* op);

/// Runs f on x as a batch (an unbatched input, of rank BatchedRank - 1, gets a leading 1) and
/// drops that dim again from f's result, a Tensor or a pair of Tensors: images [C, H, W] with the
/// default rank 4, volumes [C, D, H, W] with 5.
template <int BatchedRank = 4, typename F>
auto with_batch_dim(const Tensor& x, F&& f) {
  if (x.dim() == BatchedRank) return f(x);
  auto result = f(unsqueeze(x, 0));
  if constexpr (std::is_same_v<decltype(result), Tensor>) {
    return squeeze(result, 0);
  } else {
    return decltype(result){squeeze(std::get<0>(result), 0), squeeze(std::get<1>(result), 0)};
  }
}

/// im2col of a 4-D image x [N, C, H, W] -> [N, C*kh*kw, L]; with `channel_major` the result is
/// stored as [C*kh*kw, N, L] (a permuted-stride view) so that it multiplies as one [K, N*L]
/// matrix. Zero padding. Recorded (backward: fold) when x requires grad and grad mode is on.
Tensor unfold_columns(const Tensor& x, const ConvGeometry& g, bool channel_major);

/// col2im of columns [N, C*kh*kw, L] (any strides) into a new [N, C, height, width] image, the
/// adjoint of unfold_columns; with `channel_major` the image is stored as [C, N, height, width].
/// Recorded (backward: unfold) when columns require grad.
Tensor fold_columns(const Tensor& columns, int64_t height, int64_t width, const ConvGeometry& g,
                    bool channel_major);

/// conv2d of a 4-D input x [N, C, H, W] with weight [O, C, kh, kw] and bias [O] (or undefined),
/// for geometry g (already checked) -> contiguous [N, O, out_h, out_w]; or of task-batched
/// operands (x [T, N, C, H, W], weight [T, O, C, kh, kw], bias [T, O] -> [T, N, O, out_h, out_w]
/// stored as [T, O, N, out_h, out_w], Note [task-batched conv]). One recorded node,
/// "Conv2dBackward" (Note [conv2d adjoint family]).
Tensor conv2d_op(const Tensor& x, const Tensor& weight, const Tensor& bias, const ConvGeometry& g);

/// The input gradient of conv2d: fold(W^T G) for G = grad [N, O, out_h, out_w] and weight
/// [O, C, kh, kw] -> [N, C, height, width] (each with a leading task dim when task-batched; then
/// stored as [T, C, N, height, width], Note [task-batched conv]). One recorded node,
/// "Conv2dInputGradBackward".
Tensor conv2d_input_grad(const Tensor& grad, const Tensor& weight, int64_t height, int64_t width,
                         const ConvGeometry& g);

/// The weight gradient of conv2d: G U(x)^T for G = grad [N, O, out_h, out_w] and x [N, C, H, W]
/// -> [O, C, kh, kw] (each with a leading task dim when task-batched). One recorded node,
/// "Conv2dWeightGradBackward".
Tensor conv2d_weight_grad(const Tensor& grad, const Tensor& x, const ConvGeometry& g);

}  // namespace metagrad::detail
