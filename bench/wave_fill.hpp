#pragma once

// The input fill that the benchmarks share with their PyTorch counterparts (bench_common.py's
// wave), so both sides compute on the same numbers and their checksums agree.
#include <cmath>
#include <vector>

#include "metagrad.hpp"

namespace bench {

/// float32 values sin(0.37 i + phase) * scale in row-major order.
inline metagrad::Tensor wave(const metagrad::Dims& shape, double phase, double scale) {
  std::vector<double> values(static_cast<size_t>(metagrad::numel_of(shape)));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = std::sin(0.37 * static_cast<double>(i) + phase) * scale;
  return metagrad::tensor(values, shape, metagrad::kFloat32);
}

}  // namespace bench
