#pragma once

#include "engine/tensor.hpp"

// Copies and conversions (also available as Tensor methods).
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// A contiguous copy that stays in the graph (gradient: identity).
Tensor clone(const Tensor& x);
/// x when contiguous, else a contiguous copy in the graph.
Tensor contiguous(const Tensor& x);
/// x converted to `dtype`; differentiable between float dtypes (gradient converted back).
Tensor to_dtype(const Tensor& x, DType dtype);
/// x copied to `device`; differentiable (gradient copied back).
Tensor to_device(const Tensor& x, Device device);

/// @}

}  // namespace metagrad
