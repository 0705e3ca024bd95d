#pragma once

#include "engine/tensor.hpp"

// NumPy-style advanced indexing by tensors over the leading dims (x[i0, i1] and x[i0, i1] =
// values in PyTorch) and flat indexing (torch.take). The index tensors broadcast together; each
// entry of the broadcast names one slice of x's remaining dims. Differentiable to every order in
// x and the values: index is index_select of the flattened leading dims, index_put is index_add
// (its adjoint) or a replacing write where the last duplicate wins, as on PyTorch's CPU.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// x[indices[0], indices[1], ...] (aten::index): int64 indices (negative count from the end) for
/// x's first indices.size() dims, broadcast together to a shape I; or bool masks, each standing
/// for the coordinates of its true entries over as many dims as it has. The result has shape I
/// followed by x's remaining dims. Throws for an index out of range or more indices than dims.
Tensor index(const Tensor& x, const TensorList& indices);

/// torch.index_put: x with x[indices] = values (values broadcast to index's result shape, x's
/// dtype), summed into x when `accumulate` (duplicates add up), else replacing (a later duplicate
/// wins).
Tensor index_put(const Tensor& x, const TensorList& indices, const Tensor& values,
                 bool accumulate = false);

/// torch.take: x's entries at the int64 flat (row-major) positions `index`, in index's shape;
/// negative positions count from the end.
Tensor take(const Tensor& x, const Tensor& index);

/// @}
}  // namespace metagrad
