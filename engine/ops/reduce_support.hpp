#pragma once

#include "engine/ops/op_support.hpp"

// Internal helpers for reductions.
namespace metagrad::detail {

/// `shape` with `dims` (sorted) removed, or set to 1 when keepdim.
Dims reduced_shape(const Dims& shape, const Dims& dims, bool keepdim);
/// Runs the backend reduction; the result has `reduced_shape(x.shape(), dims, keepdim)`.
Tensor reduce_forward(ReduceOp op, const Tensor& x, const Dims& dims, bool keepdim,
                      DType out_dtype);
/// Re-inserts the reduced dims (size 1) into a gradient of a keepdim=false reduction.
Tensor unsqueeze_reduced(const Tensor& g, const Dims& in_shape, const Dims& dims, bool keepdim);

}  // namespace metagrad::detail
