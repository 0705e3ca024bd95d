#pragma once

#include "engine/tensor.hpp"

// Index sets and products of sets: triangle indices, Cartesian products and combinations
// (torch.tril_indices, triu_indices, cartesian_prod, combinations). The products and
// combinations select entries of their inputs, so they are differentiable to every order.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// torch.tril_indices: the int64 [2, n] (row, column) coordinates, in row-major order, of the
/// entries of a row x col matrix on or below the diagonal `offset` (column - row <= offset).
/// `options` sets the device (and an int64 dtype). Throws for negative sizes or a non-int64
/// dtype.
Tensor tril_indices(int64_t row, int64_t col, int64_t offset = 0, TensorOptions options = kInt64);

/// torch.triu_indices: as tril_indices for the entries on or above the diagonal `offset`
/// (column - row >= offset).
Tensor triu_indices(int64_t row, int64_t col, int64_t offset = 0, TensorOptions options = kInt64);

/// torch.cartesian_prod: the rows of the Cartesian product of the 1-D tensors (same dtype and
/// device), the last varying fastest: [n_0 n_1 ..., k] for k tensors; one tensor is returned as
/// it is.
Tensor cartesian_prod(const TensorList& tensors);

/// torch.combinations: the r-length combinations of the 1-D x's entries in lexicographic order
/// of position ([C, r]); `with_replacement` allows an entry to repeat. r = 0 gives an empty
/// 1-D tensor.
Tensor combinations(const Tensor& x, int64_t r = 2, bool with_replacement = false);

/// @}
}  // namespace metagrad
