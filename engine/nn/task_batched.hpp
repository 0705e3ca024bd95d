#pragma once

// Many copies of one network, run side by side as one network: the task dimension that a
// meta-batch vectorised over tasks (metagrad::meta_batch_vectorized) runs through the kernels.
#include <cstdint>
#include <memory>

#include "engine/nn/module.hpp"

namespace metagrad::nn {
/// \addtogroup nn
/// @{

/// torch.func.stack_module_state + vmap, for the layers of torch.nn that MAML networks are made
/// of: a module that runs `tasks` copies of `net` at once. Every parameter and floating buffer of
/// the result is net's, copied `tasks` times along a new leading dim ([T, ...]; parameters are new
/// leaves with net's requires_grad), with net's dotted names, in net's order (so set_parameters()
/// with T-stacked tensors works in either direction). Integer buffers (num_batches_tracked) stay
/// single counters. The module's input is [T, ...], task t's slice being what one copy of net
/// takes (with its batch dim: Conv2d and the pooling layers need [T, N, C, H, W]); its output is
/// [T, ...] likewise, and task t's output depends only on task t's input and parameters, so the
/// gradient of a sum of per-task losses is each task's own gradient in its slice.
///
/// Each layer gets a task-batched form computing what T copies would: Linear as batched matrix
/// products (metagrad::linear with per-task weights), Conv2d and ConvTranspose2d as one
/// convolution with per-task weights (batched GEMMs over tasks, groups and padding modes kept),
/// BatchNorm1d/2d normalising each task's channels over that task's batch only (its running
/// statistics [T, C] updated per task; the counter advances by one per call), MaxPool2d,
/// AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, Upsample, PixelShuffle, PixelUnshuffle and
/// Flatten on the tasks' batches folded into one, Dropout, Identity and the elementwise activations
/// (ReLU Tanh Sigmoid GELU SiLU Mish Softplus LogSigmoid ELU SELU LeakyReLU) as they are,
/// LayerNorm with per-task weight and bias, MultiheadAttention's self-attention forward(x) with
/// per-task projections (input [T, L, N, E], [T, N, L, E] with batch_first, [T, L, E] unbatched;
/// each task attends within its own batch), Sequential layer by layer, and TransformerEncoderLayer,
/// TransformerEncoder and ModuleList as themselves over task-batched submodules (forward(x)
/// without masks). Training mode is net's.
///
/// Throws metagrad::Error when tasks < 1, and naming the submodule's dotted path and type for a
/// module with no task-batched form (any other layer with parameters or buffers, or a custom
/// module: build it from the supported layers), or one whose tensor is shared with another slot.
std::shared_ptr<Module> task_batched(const Module& net, int64_t tasks);

/// @}

}  // namespace metagrad::nn
