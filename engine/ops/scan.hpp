#pragma once

#include <tuple>

#include "engine/tensor.hpp"

// Scans: running sums, products, log-sum-exps, maxima and minima along a dim.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// Running sum along `dim` (torch.cumsum): out[.., i, ..] = x[.., 0, ..] + ... + x[.., i, ..],
/// summed in order (floats in double, each output rounded to the dtype). Float tensors keep their
/// dtype and are differentiable to every order (the gradient is the reversed running sum of the
/// incoming one); int64 and bool tensors give int64. A 0-d x is one element (dim 0 or -1).
Tensor cumsum(const Tensor& x, int64_t dim);

/// Running product along `dim` (torch.cumprod): out[.., i, ..] = x[.., 0, ..] * ... *
/// x[.., i, ..]. Computed as log2(n) rounds of products of shifted slices (Hillis-Steele), so
/// it is differentiable to every order, zeros included; int and bool tensors give int64. A 0-d
/// x is one element.
Tensor cumprod(const Tensor& x, int64_t dim);

/// Running log-sum-exp along `dim` (torch.logcumsumexp): out[.., i, ..] = log(sum_{j <= i}
/// exp(x[.., j, ..])), log2(n) rounds of logaddexp of shifted slices; float tensors,
/// differentiable to every order. A 0-d x is one element.
Tensor logcumsumexp(const Tensor& x, int64_t dim);

/// torch.cummax: (values, indices) of the running maximum along `dim`: indices[i] is the position
/// of the largest of x[0..i], the latest one among equal values, and NaN counts as above every
/// number (a NaN, once met, is the maximum; a later NaN takes over). The values are gathered from
/// x at the indices, so they are differentiable to every order (the gradient goes to the element
/// chosen). Float, int64 and bool tensors (values keep x's dtype); a 0-d x is one element.
std::tuple<Tensor, Tensor> cummax(const Tensor& x, int64_t dim);

/// torch.cummin: as cummax for the running minimum (NaN again wins).
std::tuple<Tensor, Tensor> cummin(const Tensor& x, int64_t dim);

/// @}

}  // namespace metagrad
