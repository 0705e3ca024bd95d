#pragma once

#include <vector>

#include "engine/tensor.hpp"

// Internal: a split whose backward is linear in the input's size (not public).
namespace metagrad::detail {

/// The pieces of x along `dim` (sizes summing to x.size(dim)) as fresh contiguous tensors with
/// one backward node: the gradient is the concatenation of the pieces' gradients (zeros for
/// pieces that got none). A split into views (split, chunk, select) gives each piece a backward
/// of its own that materialises a gradient of x's full size, so stepping through L pieces (the
/// time steps of a recurrent layer) costs L full-size gradients; this costs one (torch's unbind
/// for its LSTM does the same). Differentiable to every order (cat's backward is slicing).
TensorList split_copies(const Tensor& x, int dim, const std::vector<int64_t>& sizes);

}  // namespace metagrad::detail
