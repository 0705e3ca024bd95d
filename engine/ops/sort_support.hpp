#pragma once

#include <cstdint>

#include "engine/tensor.hpp"

// The order of lines, shared by sort.cpp and quantile.cpp (not public).
namespace metagrad::detail {

/// int64 positions of the first k ranks of each line of x along `dim` (normalized; x not 0-d), in
/// the order of Backend::sort_indices: x's shape with k at dim.
Tensor line_order(const Tensor& x, int dim, int64_t k, bool descending);

}  // namespace metagrad::detail
