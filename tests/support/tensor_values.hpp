#pragma once

// Small value helpers of the engine's tests.
#include <vector>

#include "metagrad.hpp"

namespace metagrad::testing {

/// The elements of `t` in row-major order, as float64.
inline std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

/// 0, 1, ..., n-1 in float64 with `shape` (no grad).
inline Tensor iota(const Dims& shape) {
  return arange(static_cast<double>(numel_of(shape)), kFloat64).reshape(shape);
}

}  // namespace metagrad::testing
