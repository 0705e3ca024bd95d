#pragma once

#include "engine/tensor.hpp"

// torch's scaled-sum forms of the products: addmm addmv addbmm baddbmm addr addcmul addcdiv, and
// the products inner and vdot. Each is beta * input + alpha * product, with PyTorch's rule that
// beta = 0 ignores input (NaN and inf in it included); composed of matmul, mv, outer and the
// elementwise ops, so dtype and device follow the operands and every derivative order exists.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// beta input + alpha mat1 @ mat2 (torch.addmm): mat1 [n, m], mat2 [m, p], input broadcast to
/// [n, p].
Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, double beta = 1.0,
             double alpha = 1.0);
/// beta input + alpha mat @ vec (torch.addmv): mat [n, m], vec [m], input broadcast to [n].
Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, double beta = 1.0,
             double alpha = 1.0);
/// beta input + alpha sum_b batch1[b] @ batch2[b] (torch.addbmm): batch1 [B, n, m], batch2
/// [B, m, p], input broadcast to [n, p].
Tensor addbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, double beta = 1.0,
              double alpha = 1.0);
/// beta input + alpha batch1 @ batch2 (torch.baddbmm): [B, n, m] @ [B, m, p], input broadcast to
/// [B, n, p].
Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, double beta = 1.0,
               double alpha = 1.0);
/// beta input + alpha vec1 vec2ᵀ (torch.addr): vec1 [n], vec2 [m], input broadcast to [n, m].
Tensor addr(const Tensor& input, const Tensor& vec1, const Tensor& vec2, double beta = 1.0,
            double alpha = 1.0);
/// input + value tensor1 tensor2, all three broadcast (torch.addcmul).
Tensor addcmul(const Tensor& input, const Tensor& tensor1, const Tensor& tensor2,
               double value = 1.0);
/// input + value tensor1 / tensor2, all three broadcast (torch.addcdiv); float tensors only.
Tensor addcdiv(const Tensor& input, const Tensor& tensor1, const Tensor& tensor2,
               double value = 1.0);
/// The sum over the last dims of a and b of their products (torch.inner): shape
/// a.shape[:-1] + b.shape[:-1]; a 0-d operand multiplies the other.
Tensor inner(const Tensor& a, const Tensor& b);
/// The dot product of two 1-D tensors of equal length (torch.vdot; real tensors, so dot).
Tensor vdot(const Tensor& a, const Tensor& b);

/// @}
}  // namespace metagrad
