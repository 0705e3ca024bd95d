#pragma once

#include <optional>

#include "engine/tensor.hpp"

// torch.unique and torch.unique_consecutive: distinct values (or slices along a dim), where
// each input entry's value sits among them, and how often each occurs. Results carry no
// gradient (as in PyTorch). The number of distinct values is read on the host.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// The three results of unique / unique_consecutive (PyTorch returns those its flags ask for;
/// here all three come back: `auto [values, inverse, counts] = unique(x);`).
struct UniqueResult {
  /// The distinct values: 1-D, or x's shape with `dim` sized by the number of distinct slices.
  Tensor values;
  /// int64: for each entry of x (x's shape), or each slice along `dim` ([x.size(dim)]), its index
  /// in `values`.
  Tensor inverse;
  /// int64 [number of distinct values]: how many entries (slices) each stands for.
  Tensor counts;
};

/// torch.unique: x's distinct values in ascending order (with `dim`: the distinct slices along
/// dim in lexicographic order). NaN is distinct from everything, itself included, and sorts
/// last. Float, int64 and bool tensors.
UniqueResult unique(const Tensor& x, std::optional<int64_t> dim = std::nullopt);

/// torch.unique_consecutive: x with each run of equal consecutive values (slices along `dim`)
/// collapsed to one, in order.
UniqueResult unique_consecutive(const Tensor& x, std::optional<int64_t> dim = std::nullopt);

/// @}
}  // namespace metagrad
