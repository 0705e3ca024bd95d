#pragma once

#include "engine/tensor.hpp"

namespace metagrad::detail {

/// log(1 + e^z) without a threshold, exact for every finite z and to every derivative order: one
/// backend pass (UnaryOp::Softplus, max(z, 0) + log1p(e^-|z|), which never overflows), whose
/// gradient is sigmoid(z), finite everywhere too (Note [saturated branches] in
/// engine/nn/elementwise_activations.cpp).
Tensor log1p_exp(const Tensor& z);

}  // namespace metagrad::detail
