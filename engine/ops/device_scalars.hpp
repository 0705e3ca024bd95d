#pragma once

// Internal: the 0-d device tensors that carry a binary op's number operand (Note [device scalar
// constants]). Not public API.
#include "engine/tensor.hpp"

namespace metagrad::detail {

/// A 0-d tensor of like's dtype on like's device (not the CPU) holding `value`, shared with the
/// earlier calls that asked for the same value, dtype and device while the same backend serves
/// that device. Callers use it only as an operand: never write to it (an entry written to is
/// noticed by its version counter and replaced, but what read it meanwhile saw the new value).
Tensor shared_device_scalar(double value, const Tensor& like);

}  // namespace metagrad::detail
