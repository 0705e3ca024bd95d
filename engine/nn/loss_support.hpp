#pragma once

// Helpers shared by the losses (loss_functional.cpp, margin_losses.cpp). Internal, not part of the
// public API.
#include "engine/nn/functional.hpp"

namespace metagrad::detail {

/// The per-element losses reduced as `reduction` asks: kept, averaged or summed.
Tensor reduce_loss(const Tensor& loss, Reduction reduction);

/// Throws, naming `op`, unless input and target are defined, float, of one dtype and device, and
/// of one shape (losses do not broadcast their operands).
void check_loss_operands(const Tensor& input, const Tensor& target, const char* op);

}  // namespace metagrad::detail
