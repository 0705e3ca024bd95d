#pragma once

// Internal: what meta_batch, meta_batch_vectorized and distributed::meta_batch share. Not public
// API.
#include "engine/nn/module.hpp"
#include "engine/tensor.hpp"

namespace metagrad::detail {

/// The leaves that receive a meta-batch's gradient: `requested` (MetaBatchOptions::inputs), each
/// checked to be a leaf that requires grad (throws naming `who` and the index otherwise), or, when
/// it is empty, net's parameters that require grad.
TensorList meta_gradient_inputs(const nn::Module& net, const TensorList& requested,
                                const char* who);

/// Adds grads[k] into inputs[k].grad for every defined grads[k] (one backward call, so .grad
/// accumulates as a backward into those leaves does).
void accumulate_meta_gradient(const TensorList& inputs, const TensorList& grads);

}  // namespace metagrad::detail
