#pragma once

#include "engine/tensor.hpp"

// Matrix products (float32/float64, CPU via Eigen GEMM, CUDA via cuBLAS).
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// torch.matmul: 1-D·1-D dot; 2-D·2-D matrix product; 1-D operands are promoted (a row vector on
/// the left, a column vector on the right) and the added dim removed; N-D operands are batched
/// with broadcast batch dims. Throws naming both shapes on an inner-dimension mismatch.
Tensor matmul(const Tensor& a, const Tensor& b);
/// Inner product of two 1-D tensors of equal length (0-d result).
Tensor dot(const Tensor& a, const Tensor& b);
/// Outer product of two 1-D tensors: [n] x [m] -> [n, m].
Tensor outer(const Tensor& a, const Tensor& b);
/// Matrix [n, m] times vector [m] -> [n].
Tensor mv(const Tensor& mat, const Tensor& vec);
/// Matrix product of two 2-D tensors.
Tensor mm(const Tensor& a, const Tensor& b);

/// @}

}  // namespace metagrad
