#pragma once

#include <optional>
#include <string_view>

#include "engine/tensor.hpp"

// Searching sorted sequences and membership (torch.searchsorted, bucketize, isin). The insertion
// points come from one stable sort of the values merged with the sequence: a value's place in
// the merged order, less the number of values ahead of it, is the number of sequence entries
// ahead of it. Results are int64 or bool and carry no gradient.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// torch.searchsorted: for each value, the index at which it would be inserted into the last dim
/// of `sorted_sequence` to keep it sorted: the number of entries < value (`right` false: the
/// first such index) or <= value (`right` true: the last). A 1-D sequence serves values of any
/// shape; otherwise the sequence and the values share every dim but the last. `sorter` (int64,
/// the sequence's shape) gives the ascending order of an unsorted sequence, as argsort does. A NaN
/// value gives the sequence's length; NaN entries of the sequence count as above every number
/// (where they sit when sorted). Values and sequence may differ in dtype (compared in float64).
/// Throws for mismatched leading dims, a 0-d sequence or an invalid sorter.
Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, bool right = false,
                    const Tensor& sorter = {});

/// torch.searchsorted with PyTorch's `side` ("left" or "right", which overrides `right`).
Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, std::string_view side,
                    const Tensor& sorter = {});

/// torch.searchsorted with `side` a string literal (which would otherwise convert to the bool
/// `right`).
inline Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, const char* side,
                           const Tensor& sorter = {}) {
  return searchsorted(sorted_sequence, values, std::string_view(side), sorter);
}

/// torch.searchsorted of one scalar value in a 1-D sequence: a 0-d int64 tensor.
Tensor searchsorted(const Tensor& sorted_sequence, double value, bool right = false,
                    const Tensor& sorter = {});

/// torch.bucketize: the bucket of each entry of `input` among the 1-D ascending `boundaries`:
/// i with boundaries[i - 1] < x <= boundaries[i] (`right` false) or boundaries[i - 1] <= x <
/// boundaries[i] (`right` true); searchsorted(boundaries, input, right). Int64, input's shape.
Tensor bucketize(const Tensor& input, const Tensor& boundaries, bool right = false);

/// torch.isin: for each entry of `elements`, whether it equals some entry of `test_elements`
/// (bool, elements' shape; NaN is in no set); the opposite with `invert`. `assume_unique` is
/// accepted for PyTorch's signature (the result does not depend on it).
Tensor isin(const Tensor& elements, const Tensor& test_elements, bool assume_unique = false,
            bool invert = false);

/// torch.isin with one scalar test element.
Tensor isin(const Tensor& elements, double test_element, bool assume_unique = false,
            bool invert = false);

/// @}
}  // namespace metagrad
