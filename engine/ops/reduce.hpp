#pragma once

#include <optional>
#include <tuple>

#include "engine/tensor.hpp"

// Reductions over a set of dims (empty = all dims), with keepdim. Float inputs for the
// differentiable ones; sum also accepts int64/bool (int64 result, not differentiable).
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// Sum over `dims`; gradient: expand the incoming gradient back.
Tensor sum(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
/// Mean over `dims` (NaN for an empty reduction, as PyTorch).
Tensor mean(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
/// Max over `dims`; tied maxima share the gradient equally (as PyTorch's amax).
Tensor amax(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
/// Min over `dims`; tied minima share the gradient equally.
Tensor amin(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
/// (values, int64 indices) of the max along `dim`; the gradient goes to the chosen index.
std::tuple<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
/// (values, int64 indices) of the min along `dim`.
std::tuple<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
/// int64 index of the max along `dim` (the first on ties; NaN counts as the max), or of the
/// flattened x when dim is nullopt (a 0-d result), as torch.argmax. Not differentiable.
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
/// int64 index of the min along `dim`, or of the flattened x; as argmax.
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
/// Max of all elements (0-d); same as amax(x).
Tensor max(const Tensor& x);
/// Min of all elements (0-d).
Tensor min(const Tensor& x);
/// Product over one dim (or all when none); gradient correct with zeros present.
Tensor prod(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
/// p-norm over `dims`: p = 1, 2, inf (INFINITY), -inf, 0, or any real p. Subgradient 0 at 0 for
/// p = 2 (as PyTorch).
Tensor norm(const Tensor& x, double p = 2.0, const Dims& dims = {}, bool keepdim = false);
/// Variance over `dims` (unbiased divides by N - 1).
Tensor var(const Tensor& x, const Dims& dims = {}, bool unbiased = true, bool keepdim = false);
/// Standard deviation over `dims`: sqrt(var).
Tensor std(const Tensor& x, const Dims& dims = {}, bool unbiased = true, bool keepdim = false);
/// log(sum(exp(x))) over `dims`, computed stably (max subtracted).
Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim = false);
/// Bool 0-d (or reduced) tensor: every element non-zero. Not differentiable.
Tensor all(const Tensor& x, const Dims& dims = {}, bool keepdim = false);
/// Bool: some element non-zero. Not differentiable.
Tensor any(const Tensor& x, const Dims& dims = {}, bool keepdim = false);

/// @}

}  // namespace metagrad
