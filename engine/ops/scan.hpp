#pragma once

#include "engine/tensor.hpp"

// Scans: running sums along a dim.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// Running sum along `dim` (torch.cumsum): out[.., i, ..] = x[.., 0, ..] + ... + x[.., i, ..],
/// summed in order (floats in double, each output rounded to the dtype). Float tensors keep their
/// dtype and are differentiable to every order (the gradient is the reversed running sum of the
/// incoming one); int64 and bool tensors give int64. A 0-d x is one element (dim 0 or -1).
Tensor cumsum(const Tensor& x, int64_t dim);

/// @}

}  // namespace metagrad
