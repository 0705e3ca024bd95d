#pragma once

#include "engine/tensor.hpp"

// Ops that change the geometry of a tensor. Views (sharing storage, no copy) where PyTorch gives
// views: view, reshape when strides allow, squeeze, unsqueeze, permute, transpose, t, expand,
// flatten when contiguous. Every one is differentiable; expand and sum_to are an adjoint pair.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// Same data in `shape` (one entry may be -1). A view when the strides allow, else a copy.
Tensor reshape(const Tensor& x, const Dims& shape);
/// Like reshape but must be a view: throws (suggesting reshape) when the strides do not allow it.
Tensor view(const Tensor& x, const Dims& shape);
/// True when reshape(x, shape) is a view of x (no copy); false when it would copy. `shape` must
/// have x's element count (no -1).
bool reshape_is_view(const Tensor& x, const Dims& shape);
/// Merges dims start_dim..end_dim into one.
Tensor flatten(const Tensor& x, int64_t start_dim = 0, int64_t end_dim = -1);
/// Splits dim `dim` into `sizes` (torch.unflatten; one entry may be -1, inferred): [N, 12] with
/// dim 1 and sizes {3, 4} -> [N, 3, 4]. Throws unless the sizes multiply to that dim's size.
Tensor unflatten(const Tensor& x, int64_t dim, const Dims& sizes);
/// Removes every dim of size 1.
Tensor squeeze(const Tensor& x);
/// Removes `dim` if its size is 1 (else returns x unchanged, as PyTorch).
Tensor squeeze(const Tensor& x, int64_t dim);
/// Inserts a dim of size 1 at `dim` (in [-ndim-1, ndim]).
Tensor unsqueeze(const Tensor& x, int64_t dim);
/// Reorders dims; `dims` is a permutation of 0..ndim-1.
Tensor permute(const Tensor& x, const Dims& dims);
/// Swaps two dims.
Tensor transpose(const Tensor& x, int64_t dim0, int64_t dim1);
/// Transpose of a tensor of at most 2 dims.
Tensor t(const Tensor& x);
/// Broadcasts to `shape` (a view with 0 strides; -1 keeps a size). Backward: sum_to.
Tensor expand(const Tensor& x, const Dims& shape);
/// Same as expand (NumPy's name).
Tensor broadcast_to(const Tensor& x, const Dims& shape);
/// Sums `x` down to `shape`, which must broadcast to x's shape (leading dims summed away, size-1
/// dims summed with keepdim). Returns x when shapes already match. Backward: expand.
Tensor sum_to(const Tensor& x, const Dims& shape);

/// @}

}  // namespace metagrad
