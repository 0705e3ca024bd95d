#pragma once

#include <cstdint>
#include <vector>

#include "engine/tensor.hpp"

// Numerical integration and differentiation of sampled functions (torch.trapezoid,
// torch.cumulative_trapezoid, torch.gradient), composed of narrow, diff, cumsum and elementwise
// arithmetic: differentiable to every order in the samples and the coordinates.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// The trapezoidal rule along `dim` with uniform spacing dx (torch.trapezoid):
/// dx sum_i (y_i + y_{i+1}) / 2, that dim removed (0 for a single sample).
Tensor trapezoid(const Tensor& y, double dx = 1.0, int64_t dim = -1);
/// The trapezoidal rule along `dim` at coordinates x (torch.trapezoid(y, x)): x 1-D with the
/// size of that dim, or of y's shape; sum_i (x_{i+1} - x_i) (y_i + y_{i+1}) / 2.
Tensor trapezoid(const Tensor& y, const Tensor& x, int64_t dim = -1);
/// The running trapezoidal integrals along `dim` (torch.cumulative_trapezoid): size - 1 entries,
/// the k-th the integral over the first k + 1 intervals.
Tensor cumulative_trapezoid(const Tensor& y, double dx = 1.0, int64_t dim = -1);
/// cumulative_trapezoid at coordinates x (1-D with the size of that dim, or of y's shape).
Tensor cumulative_trapezoid(const Tensor& y, const Tensor& x, int64_t dim = -1);
/// The derivative estimates of f along each dim of `dims` (every dim when empty), one tensor per
/// dim (torch.gradient): central differences inside, one-sided ones of order edge_order (1 or 2)
/// at the ends. `spacing` holds one step for every dim or one per dim of `dims` (1 when empty).
/// Each dim needs at least edge_order + 1 samples.
TensorList gradient(const Tensor& f, const std::vector<double>& spacing = {},
                    const std::vector<int64_t>& dims = {}, int64_t edge_order = 1);
/// torch.gradient at coordinates: one 1-D tensor of sample positions per dim of `dims` (every dim
/// when empty), each as long as that dim; the second-order accurate differences of NumPy's
/// gradient for uneven steps inside, one-sided ones of order edge_order at the ends.
TensorList gradient(const Tensor& f, const TensorList& coordinates,
                    const std::vector<int64_t>& dims = {}, int64_t edge_order = 1);

/// @}
}  // namespace metagrad
