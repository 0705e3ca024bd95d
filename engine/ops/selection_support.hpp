#pragma once

#include <cstdint>

#include "engine/tensor.hpp"

// Building blocks of the data-dependent selections (masking, scatter and search ops; not public).
// Each is composed of existing ops on any device, reading at most one count on the host.
namespace metagrad::detail {

/// The int64 positions (ascending) of the true entries of the 1-D bool `flags`: a running count
/// gives each true entry its slot, and a scatter_add writes its position there. Reads the number
/// of true entries on the host (the result's size).
Tensor true_positions(const Tensor& flags);

/// numerator / divisor for int64 `numerator` holding exact multiples of `divisor` > 0, in int64
/// (through float64, exact below 2^53).
Tensor exact_quotient(const Tensor& numerator, int64_t divisor);

/// The number of entries of `index` that name each place of x along `dim` (int64, x's shape),
/// after the checks of a scatter: scatter_add's of the index against x, then, for a defined
/// `src`, x's dtype and device, index's number of dims and at least index's size in every dim.
/// Errors name `op`.
Tensor scatter_counts(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src,
                      const char* op);

/// src read over index's shape (its leading part in every dim), as scatter reads it.
Tensor over_index_shape(const Tensor& src, const Tensor& index);

/// Which entries of the int64 `index` write last among the entries of their line along `dim`
/// (normalized) holding the same value: a bool tensor of index's shape. Writes in order of
/// position, so a later duplicate wins (PyTorch's CPU scatter and index_put).
Tensor last_writers(const Tensor& index, int dim);

}  // namespace metagrad::detail
