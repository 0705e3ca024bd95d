#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "engine/tensor.hpp"

// Joining, splitting and indexing. Adjoint pairs: gather <-> scatter_add, index_select <->
// index_add, slice <-> pad (constant 0), cat <-> split/slice.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// Concatenates along `dim`; all tensors share dtype/device and every other size.
Tensor cat(const TensorList& tensors, int64_t dim = 0);
/// Stacks along a new dim `dim`; all tensors have the same shape.
Tensor stack(const TensorList& tensors, int64_t dim = 0);
/// Pieces of `split_size` along `dim` (the last may be smaller); views of x.
TensorList split(const Tensor& x, int64_t split_size, int64_t dim = 0);
/// Pieces with the given sizes along `dim` (must sum to the size); views of x.
TensorList split(const Tensor& x, const std::vector<int64_t>& split_sizes, int64_t dim = 0);
/// `chunks` pieces of ceil(size / chunks) along `dim` (as torch.chunk); views of x.
TensorList chunk(const Tensor& x, int64_t chunks, int64_t dim = 0);
/// x[start:end:step] along `dim` (Python semantics for negative and out-of-range bounds; step >
/// 0). A view. Backward: constant pad with zeros (strided for step > 1).
Tensor slice(const Tensor& x, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
             int64_t step = 1);
/// x[index] along `dim` with that dim removed (negative index counts from the end). A view.
Tensor select(const Tensor& x, int64_t dim, int64_t index);
/// Rows of `x` along `dim` picked by the 1-D int64 `index`. Backward: index_add into zeros.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
/// zeros/`x` with `src` added at `index` along `dim` (out-of-place index_add).
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
/// torch.gather: out[i][j] = x[index[i][j]][j] for dim 0, etc. index int64, same ndim as x.
/// Backward: scatter_add into zeros.
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
/// Out-of-place torch.scatter_add: x with src[i] added at index[i] along dim. Backward to x:
/// identity; to src: gather.
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
/// x with the order of the entries along each of `dims` reversed (torch.flip); a copy. Backward:
/// flip.
Tensor flip(const Tensor& x, const Dims& dims);
/// x rotated along each dims[i] by shifts[i] (torch.roll): entry j moves to (j + shift) mod size;
/// with no dims, the flattened tensor is rotated by the one shift. A copy. Backward: the opposite
/// roll.
Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const Dims& dims = {});
/// x tiled repeats[i] times along dim i (torch.Tensor.repeat); with more repeats than x has dims,
/// x gets leading dims of size 1 first. A copy. Backward: the sum over the tiles.
Tensor repeat(const Tensor& x, const Dims& repeats);
/// Constant pad like torch.nn.functional.pad: `pad` lists (before, after) pairs starting from the
/// last dim; negative amounts crop. Backward: slice.
Tensor pad(const Tensor& x, const std::vector<int64_t>& pad, double value = 0.0);

/// How pad fills the new cells (torch.nn.functional.pad's `mode`; Conv2d's `padding_mode`, where
/// Constant is "zeros").
enum class PadMode : uint8_t {
  Constant,   ///< "constant": the given value
  Reflect,    ///< "reflect": mirrored about the edge cell, which is not repeated
  Replicate,  ///< "replicate": the edge cell repeated
  Circular,   ///< "circular": the cells from the other end (wrapping around)
};

/// torch.nn.functional.pad with a mode. Reflect, replicate and circular pad 1 to 3 trailing dims
/// (`pad` holds 2 to 6 values, last dim first) of an input with one or two more dims (unbatched
/// or batched); reflect pads must be smaller than the dim, circular ones at most its size;
/// negative pads crop. Constant is pad(x, pad, value). Differentiable to every order (the
/// backward sums each cell's copies). Throws for other counts of dims or values and oversized
/// pads, naming the mode, the pads and the shape.
Tensor pad(const Tensor& x, const std::vector<int64_t>& pad, PadMode mode, double value = 0.0);

namespace detail {
/// PyTorch's name of a pad mode: "constant", "reflect", "replicate" or "circular".
std::string_view pad_mode_name(PadMode mode);
}  // namespace detail

/// @}

}  // namespace metagrad
