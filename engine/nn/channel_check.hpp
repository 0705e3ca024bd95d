#pragma once

#include "engine/ops/op_support.hpp"

// The check of the per-channel tensors (weight, bias, running statistics) of the normalisations
// (batch_norm, group_norm, instance_norm); not public.
namespace metagrad::detail {

/// Throws, naming `op`, unless the optional per-channel tensor `p` (`what`) is [C] for input
/// [N, C, *] and of input's dtype and device.
inline void check_channel_vector(const Tensor& p, const Tensor& input, const char* op,
                                 const char* what) {
  if (!p.defined()) return;
  check_same_kind(input, p, op);
  MG_CHECK(p.dim() == 1 && p.size(0) == input.size(1),
           "{}: {} must have shape [{}] (one value per channel of input shape {}), got shape {}",
           op, what, input.size(1), shape_str(input.shape()), shape_str(p.shape()));
}

}  // namespace metagrad::detail
