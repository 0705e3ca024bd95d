#pragma once

#include <cstdint>
#include <vector>

#include "engine/tensor.hpp"

// NumPy-style joins and splits of torch: hstack vstack row_stack dstack column_stack,
// atleast_1d/2d/3d, tensor_split hsplit vsplit dsplit, unbind, and the dim-order aliases swapaxes
// swapdims moveaxis fliplr flipud diag diagflat. Each is composed of cat, narrow, select,
// reshape, transpose, movedim, flip and diag_embed, so it keeps dtype and device and has
// derivatives of every order; the splits return views.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// x with at least one dim: a 0-d tensor as [1] (torch.atleast_1d).
Tensor atleast_1d(const Tensor& x);
/// x with at least two dims: 0-d as [1, 1], [n] as [1, n] (torch.atleast_2d).
Tensor atleast_2d(const Tensor& x);
/// x with at least three dims: 0-d as [1, 1, 1], [n] as [1, n, 1], [m, n] as [m, n, 1]
/// (torch.atleast_3d).
Tensor atleast_3d(const Tensor& x);
/// The tensors joined column-wise (torch.hstack): along dim 0 when all are 1-D (after
/// atleast_1d), along dim 1 otherwise. Throws for an empty list or shapes cat rejects.
Tensor hstack(const TensorList& tensors);
/// The tensors joined row-wise (torch.vstack): atleast_2d of each, joined along dim 0.
Tensor vstack(const TensorList& tensors);
/// torch.row_stack, the same as vstack.
Tensor row_stack(const TensorList& tensors);
/// The tensors joined depth-wise (torch.dstack): atleast_3d of each, joined along dim 2.
Tensor dstack(const TensorList& tensors);
/// The tensors as columns (torch.column_stack): 0-d and 1-D tensors as [n, 1], joined along
/// dim 1.
Tensor column_stack(const TensorList& tensors);
/// x split along `dim` into `sections` views (torch.tensor_split): the first size % sections get
/// size / sections + 1 entries, the rest size / sections. sections >= 1.
TensorList tensor_split(const Tensor& x, int64_t sections, int64_t dim = 0);
/// x split along `dim` before each index of `indices` (torch.tensor_split with indices): views
/// x[0:i0], x[i0:i1], ..., x[ik:], indices clamped into [0, size] as Python slices are (an index
/// below the one before gives an empty view, and the next view starts at it).
TensorList tensor_split(const Tensor& x, const std::vector<int64_t>& indices, int64_t dim = 0);
/// torch.hsplit: tensor_split along dim 1 (dim 0 of a 1-D x) into `sections` equal parts; throws
/// unless sections divides that size.
TensorList hsplit(const Tensor& x, int64_t sections);
/// torch.hsplit with indices: tensor_split along dim 1 (dim 0 of a 1-D x).
TensorList hsplit(const Tensor& x, const std::vector<int64_t>& indices);
/// torch.vsplit: equal parts along dim 0 of an x of at least 2 dims.
TensorList vsplit(const Tensor& x, int64_t sections);
/// torch.vsplit with indices.
TensorList vsplit(const Tensor& x, const std::vector<int64_t>& indices);
/// torch.dsplit: equal parts along dim 2 of an x of at least 3 dims.
TensorList dsplit(const Tensor& x, int64_t sections);
/// torch.dsplit with indices.
TensorList dsplit(const Tensor& x, const std::vector<int64_t>& indices);
/// The slices of x along `dim`, that dim removed (torch.unbind): views.
TensorList unbind(const Tensor& x, int64_t dim = 0);
/// torch.swapaxes: transpose(x, axis0, axis1).
Tensor swapaxes(const Tensor& x, int64_t axis0, int64_t axis1);
/// torch.swapdims: transpose(x, dim0, dim1).
Tensor swapdims(const Tensor& x, int64_t dim0, int64_t dim1);
/// torch.moveaxis: movedim(x, source, destination).
Tensor moveaxis(const Tensor& x, int64_t source, int64_t destination);
/// x reversed along dim 1 (torch.fliplr); x needs at least 2 dims.
Tensor fliplr(const Tensor& x);
/// x reversed along dim 0 (torch.flipud); x needs at least 1 dim.
Tensor flipud(const Tensor& x);
/// torch.diag: a 1-D x as the square matrix with x on diagonal `diagonal` (above the main one
/// when positive), a 2-D x's diagonal `diagonal` as a 1-D tensor.
Tensor diag(const Tensor& x, int64_t diagonal = 0);
/// torch.diagflat: diag of x flattened.
Tensor diagflat(const Tensor& x, int64_t offset = 0);

/// @}
}  // namespace metagrad
