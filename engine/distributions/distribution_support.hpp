#pragma once

#include "engine/tensor.hpp"

namespace metagrad::detail {

/// sample_shape + batch_shape, or an error naming `distribution` when it has too many dims.
Dims distribution_sample_shape(const Dims& sample_shape, const Dims& batch_shape,
                               const char* distribution);

/// p clamped into [eps, 1 - eps], eps the dtype's machine epsilon (PyTorch's clamp_probs), so
/// that logs of probabilities stay finite.
Tensor clamp_probs(const Tensor& p);

}  // namespace metagrad::detail
