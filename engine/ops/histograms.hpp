#pragma once

#include <optional>
#include <utility>

#include "engine/tensor.hpp"

// Counting: torch.bincount, torch.histc and torch.histogram. The bin of each entry is computed
// elementwise (PyTorch's formulas, in the input's dtype), and the counts or weights are summed
// with index_add; the bounds of a data-dependent range are read on the host.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// torch.bincount: out[v] = the number of entries equal to v of the 1-D non-negative int64
/// `input` (the sum of their `weights` when given: a 1-D float tensor of input's length, whose
/// dtype the result takes; int64 weights give float64), over max(max(input) + 1, minlength)
/// bins. Differentiable in float weights. Throws for negative entries or a negative minlength.
Tensor bincount(const Tensor& input, const Tensor& weights = {}, int64_t minlength = 0);

/// torch.histc: counts of the float `input`'s entries in `bins` equal bins over [min, max] (x
/// goes to bin floor((x - min) bins / (max - min)), computed in input's dtype; max to the last
/// bin). Entries outside the range and NaN are not counted. min == max uses the data's minimum
/// and maximum, widened by 1 on each side if they are equal. The result has input's dtype.
/// Throws for bins < 1, min > max or a range that is not finite.
Tensor histc(const Tensor& input, int64_t bins = 100, double min = 0.0, double max = 0.0);

/// The two results of torch.histogram.
struct HistogramResult {
  /// The count (or the sum of the weights, or the density) of each bin: 1-D, input's dtype.
  Tensor hist;
  /// The bins' edges, one more than the bins, ascending.
  Tensor bin_edges;
};

/// torch.histogram with `bins` equal bins over `range` (the data's minimum and maximum when
/// unset, widened by 0.5 on each side if they are equal; [0, 1] for an empty input): a bin holds
/// [edge_i, edge_i+1), the last one its right edge too. The edges are linspace's, rounded once to
/// input's dtype (PyTorch's float32 edges come from float32 arithmetic and may be an ulp away, so
/// a value on an edge may land in the neighbouring bin there). `weight` (input's shape and dtype)
/// sums weights instead of counting; `density` divides by the total and by each bin's width. Float
/// input.
HistogramResult histogram(const Tensor& input, int64_t bins = 100,
                          std::optional<std::pair<double, double>> range = std::nullopt,
                          const Tensor& weight = {}, bool density = false);

/// torch.histogram with the 1-D ascending edges `bins` of input's dtype (at least two).
HistogramResult histogram(const Tensor& input, const Tensor& bins, const Tensor& weight = {},
                          bool density = false);

/// @}
}  // namespace metagrad
