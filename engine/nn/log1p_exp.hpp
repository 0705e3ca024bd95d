#pragma once

#include "engine/tensor.hpp"

namespace metagrad::detail {

/// log(1 + e^z) without a threshold, exact for every finite z and to every derivative order:
/// z + log1p(e^-z) for z > 0, log1p(e^z) otherwise. Each branch sees only the inputs it is used
/// for (the others are replaced by 0), so neither exp overflows, not even in the backward of the
/// branch not taken (Note [saturated branches] in engine/nn/elementwise_activations.cpp).
Tensor log1p_exp(const Tensor& z);

}  // namespace metagrad::detail
