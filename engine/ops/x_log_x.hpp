#pragma once

#include "engine/ops.hpp"

namespace metagrad::detail {

/// p log p with 0 log 0 = 0 (PyTorch's xlogy(p, p)): the log sees 1 where p is 0, so no
/// 0 * -inf reaches the value or the gradient. Differentiable to every order.
inline Tensor x_log_x(const Tensor& p) {
  const Tensor positive = gt(p, 0.0);
  return where(positive, p * log(where(positive, p, 1.0)), 0.0);
}

}  // namespace metagrad::detail
