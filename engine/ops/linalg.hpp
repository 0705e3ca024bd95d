#pragma once

#include <string>

#include "engine/tensor.hpp"

// Matrix products (float32/float64, CPU via Eigen GEMM, CUDA via cuBLAS), and the parts of
// matrices: triangles, diagonals, traces (any dtype).
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
/// The lower triangle of the matrices in x's last two dims (torch.tril): entries with col - row
/// <= diagonal kept, the others 0. Backward: tril.
Tensor tril(const Tensor& x, int64_t diagonal = 0);
/// The upper triangle (torch.triu): entries with col - row >= diagonal kept, the others 0.
Tensor triu(const Tensor& x, int64_t diagonal = 0);
/// The diagonal of the matrices spanned by dims dim1 and dim2 (torch.diagonal), shifted above
/// (offset > 0) or below (offset < 0) the main one, as the last dim of a tensor with the other
/// dims in order. A view of x when x is contiguous across those dims, else a copy: read it,
/// do not write into it. Backward: zeros with the gradient on that diagonal.
Tensor diagonal(const Tensor& x, int64_t offset = 0, int64_t dim1 = 0, int64_t dim2 = 1);
/// The sum of a matrix's diagonal (torch.trace; 2-D input, 0-d result).
Tensor trace(const Tensor& x);
/// Einstein summation (torch.einsum): `equation` names each operand's dims with letters
/// ("ij,jk->ik"); a letter repeated within one operand takes that diagonal, letters missing from
/// the output are summed over, and "..." stands for broadcast dims. Without "->" the output holds
/// the letters that appear once, in alphabetical order (after the "..." dims). Operands share a
/// dtype and device. Computed by pairwise contractions, left to right, each one batched matmul,
/// so it is differentiable to every order.
Tensor einsum(const std::string& equation, const TensorList& operands);

/// @}

}  // namespace metagrad
