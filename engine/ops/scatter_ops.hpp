#pragma once

#include <string_view>

#include "engine/tensor.hpp"

// Out-of-place writes at indices that replace what is there (torch.scatter, index_fill,
// index_copy). Where several entries write to one place, the last in order of position wins,
// as in PyTorch's CPU kernels (on which its docs call the result undefined), on every device
// here. Differentiable to every order in the input (zero gradient where overwritten) and in the
// written values (the gradient at the place each winner wrote; zero for the losers).
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// torch.scatter: x with out[..., index[i][j], ...] = src[i][j] along `dim` (dim 0 of a 2-d x:
/// out[index[i][j]][j] = src[i][j]). index is int64 with x's number of dims, no larger than src
/// in any dim and than x in the dims other than `dim`; src is read over index's shape. Same
/// dtype for x and src. Throws for an index out of range.
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);

/// torch.scatter with a scalar: x with `value` at the places `index` names along `dim`.
Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, double value);

/// torch.index_fill: x with every slice along `dim` named by the 1-D int64 `index` set to
/// `value`.
Tensor index_fill(const Tensor& x, int64_t dim, const Tensor& index, double value);

/// torch.index_copy: x with slice index[i] along `dim` replaced by slice i of `source` (x's shape
/// with dim sized index.numel()).
Tensor index_copy(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source);

/// torch.scatter_reduce: x with the entries of src that `index` sends to each place (as scatter
/// does) reduced into it by `reduce`: "sum", "prod", "mean", "amax" or "amin", x's own value
/// taking part when `include_self` (else only the entries sent; places no entry is sent to keep
/// x's value). "mean" divides by the number of values reduced (floor division for int64). NaN
/// wins amax and amin. Gradients as PyTorch's: sum, mean and prod are composed of differentiable
/// ops (prod as a segmented product scan, so zeros are fine and every order exists); amax and
/// amin split the gradient evenly among the values equal to the result. Throws for an unknown
/// reduce and as scatter does.
Tensor scatter_reduce(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src,
                      std::string_view reduce, bool include_self = true);

/// torch.index_reduce: x with slice i of `source` (x's shape with `dim` sized index.numel())
/// reduced into slice index[i] along `dim` by `reduce` ("prod", "mean", "amax", "amin", or
/// "sum"), as scatter_reduce.
Tensor index_reduce(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source,
                    std::string_view reduce, bool include_self = true);

/// @}
}  // namespace metagrad
