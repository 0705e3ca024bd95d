#pragma once

// Internal: the forward of a BatchNorm layer over given slots, shared by BatchNorm1d/2d and the
// task-batched BatchNorm of nn::task_batched (engine/nn/task_batched.cpp). Not public API.
#include "engine/nn/layers.hpp"

namespace metagrad::nn::detail {

/// PyTorch's _BatchNorm.forward on already checked input: in training with running statistics,
/// adds 1 to `counter` (in place) and, for momentum None, uses 1 / counter as the factor; then
/// metagrad::batch_norm with batch statistics in training (or without running statistics) and the
/// running ones otherwise, updating the running statistics in place in training.
Tensor batch_norm_layer(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                        const Tensor& counter, const Tensor& weight, const Tensor& bias,
                        const BatchNormOptions& options, bool training);

}  // namespace metagrad::nn::detail
