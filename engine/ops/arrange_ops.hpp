#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/tensor.hpp"

// Moving, cutting and assembling tensors, PyTorch names and semantics: movedim, narrow, rot90,
// diff, take_along_dim, diag_embed, block_diag, meshgrid, kron and tensordot. Each is composed
// of views, copies and products that differentiate to every order, so each does too.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// torch.movedim: x with dims `source` moved to positions `destination` (negative dims count
/// from the end), the other dims keeping their order. A view. Throws for lists of different
/// lengths, repeated dims or dims out of range.
Tensor movedim(const Tensor& x, const Dims& source, const Dims& destination);
/// torch.movedim with one dim.
Tensor movedim(const Tensor& x, int64_t source, int64_t destination);

/// torch.narrow: `length` elements of `dim` from `start` (negative counts from the end). A view.
/// Throws unless 0 <= start and start + length <= size.
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);

/// torch.rot90: x rotated by k quarter turns in the plane of `dims` (two distinct dims), from
/// the first towards the second; k may be negative. Throws for dims that are equal or out of
/// range.
Tensor rot90(const Tensor& x, int64_t k = 1, const Dims& dims = {0, 1});

/// torch.diff: the n-th forward difference along `dim`, out[i] = x[i + 1] - x[i] applied n times
/// to x with `prepend` and `append` (undefined or of x's shape except along dim) concatenated
/// along dim; bool tensors give x[i + 1] != x[i]. Throws for n < 0 or mismatched shapes.
Tensor diff(const Tensor& x, int64_t n = 1, int64_t dim = -1, const Tensor& prepend = {},
            const Tensor& append = {});

/// torch.take_along_dim: x's values at the int64 `indices` along `dim`, x and indices broadcast
/// against each other in the other dims (gather after broadcasting); without a dim, indices into
/// the flattened x. Differentiable in x. Throws for indices out of range or shapes that do not
/// broadcast.
Tensor take_along_dim(const Tensor& x, const Tensor& indices,
                      std::optional<int64_t> dim = std::nullopt);

/// torch.diag_embed: a tensor whose (dim1, dim2) planes hold the last dim of x on diagonal
/// `offset` (above the main one when positive) and zeros elsewhere; the result has x.dim() + 1
/// dims, each plane of size n + |offset|. Throws for equal or out-of-range dims.
Tensor diag_embed(const Tensor& x, int64_t offset = 0, int64_t dim1 = -2, int64_t dim2 = -1);

/// torch.block_diag: the 0-d, 1-d (one row) or 2-d tensors as blocks down the diagonal of a
/// zero matrix. One dtype and device. Throws for an empty list, more dims or mixed dtypes.
Tensor block_diag(const TensorList& tensors);

/// torch.meshgrid: for 0-d or 1-D tensors of sizes n1..nk, k tensors of shape [n1, .., nk]
/// whose i-th varies along dim i (indexing "ij"), or with the first two dims swapped (indexing
/// "xy", numpy's). Views. Throws for another indexing or a tensor of more dims.
TensorList meshgrid(const TensorList& tensors, const std::string& indexing = "ij");

/// torch.kron: the Kronecker product; with both shapes padded to one rank by leading 1s,
/// out[i * b.shape + j] = a[i] * b[j] per dim, of shape a.shape * b.shape.
Tensor kron(const Tensor& a, const Tensor& b);

/// torch.tensordot with dims = `contracted`: sums over the last `contracted` dims of a and the
/// first ones of b; the result has a's free dims then b's.
Tensor tensordot(const Tensor& a, const Tensor& b, int64_t contracted = 2);
/// torch.tensordot with dims = (dims_a, dims_b): sums a's dims_a against b's dims_b, pairwise
/// of equal sizes. Throws for lists of different lengths, repeated dims or mismatched sizes.
Tensor tensordot(const Tensor& a, const Tensor& b, const Dims& dims_a, const Dims& dims_b);

/// torch.repeat_interleave(repeats): the int64 positions 0, 1, ... of the 1-D non-negative int64
/// `repeats`, position i repeated repeats[i] times (the index that repeat_interleave selects
/// with). The length is read on the host.
Tensor repeat_interleave(const Tensor& repeats);
/// torch.repeat_interleave: x with its i-th slice along `dim` repeated repeats[i] times (1-D
/// int64 repeats of x.size(dim) entries, or one entry for all); x flattened when dim is unset.
/// Differentiable in x (the gradient of each slice is the sum over its copies).
Tensor repeat_interleave(const Tensor& x, const Tensor& repeats,
                         std::optional<int64_t> dim = std::nullopt);
/// torch.repeat_interleave with one repeat count for every slice.
Tensor repeat_interleave(const Tensor& x, int64_t repeats,
                         std::optional<int64_t> dim = std::nullopt);

/// @}
}  // namespace metagrad
