#pragma once

#include <cstdint>
#include <optional>
#include <tuple>

#include "engine/tensor.hpp"

// Order statistics: sorting, top-k, k-th values, medians and quantiles (torch.sort and friends).
// Every one orders its lines by one total order (Note [sort] in engine/backend/cpu/cpu_sort.cpp):
// by value, NaN above every number, and equal values by position, so results are the same on
// every backend and run. The values are gathered from the input at the indices found, so they
// are differentiable to every order: the gradient flows to the elements chosen (scatter_add, the
// adjoint of gather); indices are int64 and carry none.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// torch.sort: (values, indices) of x's lines along `dim` in ascending order (descending with
/// `descending`), NaN last (first when descending). Equal values keep their order of position,
/// whatever `stable` says (PyTorch's unstable sort may order them either way). Float, int64 and
/// bool tensors; a 0-d x gives itself and index 0 (dim 0 or -1).
std::tuple<Tensor, Tensor> sort(const Tensor& x, int64_t dim = -1, bool descending = false,
                                bool stable = false);

/// torch.argsort: the indices of sort(x, dim, descending, stable).
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false, bool stable = false);

/// torch.topk: (values, indices) of the k largest (smallest with !largest) elements of each line
/// along `dim`, in order (the first is the largest); NaN counts as the largest. Ties go to the
/// earlier position. `sorted` is accepted for PyTorch's signature: the result is always in order.
/// Throws metagrad::Error unless 0 <= k <= x.size(dim).
std::tuple<Tensor, Tensor> topk(const Tensor& x, int64_t k, int64_t dim = -1, bool largest = true,
                                bool sorted = true);

/// torch.kthvalue: (values, indices) of the k-th smallest element (k from 1) of each line along
/// `dim`, NaN above every number; `dim` dropped unless keepdim. Throws metagrad::Error unless
/// 1 <= k <= x.size(dim).
std::tuple<Tensor, Tensor> kthvalue(const Tensor& x, int64_t k, int64_t dim = -1,
                                    bool keepdim = false);

/// torch.median(x, dim): (values, indices) of the lower median of each line along `dim` (of n
/// elements, the one of rank (n - 1) / 2); a line holding NaN gives its first NaN. `dim` dropped
/// unless keepdim. Throws metagrad::Error for a dim of size 0.
std::tuple<Tensor, Tensor> median(const Tensor& x, int64_t dim, bool keepdim = false);

/// torch.median(x): the lower median of all of x's elements as a 0-d tensor (NaN if any is NaN,
/// and for an empty float x).
Tensor median(const Tensor& x);

/// torch.nanmedian(x, dim): as median(x, dim) over each line's elements that are not NaN (a line
/// of NaNs only gives NaN, at its first position).
std::tuple<Tensor, Tensor> nanmedian(const Tensor& x, int64_t dim, bool keepdim = false);

/// torch.nanmedian(x): the lower median of x's elements that are not NaN, as a 0-d tensor.
Tensor nanmedian(const Tensor& x);

/// How quantile picks a value between the two elements around a fractional rank (PyTorch's
/// `interpolation`).
enum class QuantileInterpolation : uint8_t {
  Linear,    ///< below + (rank - floor(rank)) (above - below)
  Lower,     ///< the element at floor(rank)
  Higher,    ///< the element at ceil(rank)
  Midpoint,  ///< (below + above) / 2
  Nearest,   ///< the element at round(rank), ties to even
};

/// torch.quantile: the q-th quantile (0 <= q <= 1) of each line of float x along `dim` (of all
/// elements when dim is unset), at rank q (n - 1) of the sorted line, computed in x's dtype as
/// PyTorch does (float32 results are PyTorch's CPU ones bit for bit; float64 ones may differ in
/// the last bit, since PyTorch rounds the interpolation once with an FMA); a line holding NaN
/// gives NaN. `dim` is dropped unless keepdim (with dim unset
/// and keepdim, every dim stays with size 1). Differentiable in x to every order. Throws
/// metagrad::Error for q outside [0, 1], a non-float x or an empty line.
Tensor quantile(const Tensor& x, double q, std::optional<int64_t> dim = std::nullopt,
                bool keepdim = false,
                QuantileInterpolation interpolation = QuantileInterpolation::Linear);

/// torch.quantile with several q: a 1-D q (float, on any device; its values are read on the
/// host and get no gradient) stacks the quantiles along a new first dim; a 0-d q is one q.
Tensor quantile(const Tensor& x, const Tensor& q, std::optional<int64_t> dim = std::nullopt,
                bool keepdim = false,
                QuantileInterpolation interpolation = QuantileInterpolation::Linear);

/// torch.nanquantile: quantile over each line's elements that are not NaN, at rank q (m - 1) of
/// the m numbers (NaN when a line has none).
Tensor nanquantile(const Tensor& x, double q, std::optional<int64_t> dim = std::nullopt,
                   bool keepdim = false,
                   QuantileInterpolation interpolation = QuantileInterpolation::Linear);

/// torch.nanquantile with several q, stacked along a new first dim as quantile's.
Tensor nanquantile(const Tensor& x, const Tensor& q, std::optional<int64_t> dim = std::nullopt,
                   bool keepdim = false,
                   QuantileInterpolation interpolation = QuantileInterpolation::Linear);

/// @}

}  // namespace metagrad
