#pragma once

#include <tuple>

#include "engine/tensor.hpp"

// Statistics of PyTorch's torch namespace beyond the plain reductions: NaN-ignoring sums and
// means, var_mean / std_mean, covariance and correlation matrices, nonzero counts and
// elementwise closeness. The float results are composed of differentiable ops (every derivative
// order); counts and closeness are int64 and bool.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// torch.nansum: the sum over `dims` (all when empty) treating NaN as zero; NaN entries get a
/// zero gradient. Float tensors.
Tensor nansum(const Tensor& x, const Dims& dims = {}, bool keepdim = false);

/// torch.nanmean: the mean over `dims` of the entries that are not NaN (NaN where all are).
/// Float tensors.
Tensor nanmean(const Tensor& x, const Dims& dims = {}, bool keepdim = false);

/// torch.var_mean: (var(x, dims, unbiased, keepdim), mean(x, dims, keepdim)).
std::tuple<Tensor, Tensor> var_mean(const Tensor& x, const Dims& dims = {}, bool unbiased = true,
                                    bool keepdim = false);

/// torch.std_mean: (std(x, dims, unbiased, keepdim), mean(x, dims, keepdim)).
std::tuple<Tensor, Tensor> std_mean(const Tensor& x, const Dims& dims = {}, bool unbiased = true,
                                    bool keepdim = false);

/// torch.cov: the covariance matrix of the variables in the rows of x [V, N] (a 1-D x is one
/// variable; the result is then 0-d) over its N observations, with integer frequency weights
/// `fweights` [N] and float `aweights` [N] (both optional) and the normaliser sum(w) -
/// correction * sum(w aweights) / sum(w) (sum(w) - correction without aweights), clamped at 0.
/// Float x; differentiable in x and aweights. Throws for more than 2 dims, weights of another
/// length or negative weights.
Tensor cov(const Tensor& x, int64_t correction = 1, const Tensor& fweights = {},
           const Tensor& aweights = {});

/// torch.corrcoef: Pearson correlation coefficients cov(x)[i, j] / sqrt(cov[i, i] cov[j, j]),
/// clipped to [-1, 1]. Float x [V, N] or [N].
Tensor corrcoef(const Tensor& x);

/// torch.count_nonzero: the int64 number of nonzero entries over `dims` (all when empty).
Tensor count_nonzero(const Tensor& x, const Dims& dims = {});

/// torch.isclose: |a - b| <= atol + rtol |b| elementwise (broadcast), equal infinities close and
/// NaN close to NaN only with equal_nan. A bool tensor. Throws for negative tolerances.
Tensor isclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8,
               bool equal_nan = false);

/// @}
}  // namespace metagrad
