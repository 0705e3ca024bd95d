#pragma once

#include "engine/tensor.hpp"

// Selections by a boolean mask (torch.nonzero, masked_fill, masked_select, masked_scatter). The
// sizes of nonzero's and masked_select's results depend on the data, so they read one count on
// the host (a device sync, as in PyTorch). Float values are differentiable to every order: the
// selections are index_select / where of the inputs, whose adjoints are index_add / where.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// torch.nonzero: the int64 [n, x.dim()] coordinates of x's n nonzero entries (true for bool,
/// NaN counts as nonzero) in row-major order. A 0-d x gives [n, 0].
Tensor nonzero(const Tensor& x);

/// torch.nonzero(x, as_tuple=True): the coordinates of nonzero(x) as one 1-D int64 tensor per
/// dim (a 0-d x is treated as 1-d: one tensor). x[nonzero_tuple(x)] picks the nonzero entries.
TensorList nonzero_tuple(const Tensor& x);

/// torch.argwhere: nonzero(x).
Tensor argwhere(const Tensor& x);

/// torch.masked_fill: x with `value` where the bool `mask` (broadcastable to x's shape) is true.
/// Differentiable in x (zero gradient where filled). Throws for a non-bool mask, a mask that
/// does not broadcast to x's shape, or a value that int64/bool x cannot hold.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);

/// torch.masked_fill with a 0-d tensor `value` (cast to x's dtype), differentiable in x and in
/// value (the sum of the gradient over the filled places).
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value);

/// torch.masked_select: the 1-D tensor of x's entries where the bool `mask` is true, x and mask
/// broadcast together, in row-major order. Backward: index_add of the gradient into zeros.
Tensor masked_select(const Tensor& x, const Tensor& mask);

/// torch.masked_scatter: x with the true places of `mask` (broadcastable to x's shape) filled,
/// in row-major order, from source's first entries (in row-major order; source's shape does not
/// matter, it needs at least as many entries as there are true places). Same dtype for x and
/// source; differentiable in both.
Tensor masked_scatter(const Tensor& x, const Tensor& mask, const Tensor& source);

/// @}
}  // namespace metagrad
