// beta * input + alpha * product forms and inner products (fused_arithmetic.hpp), composed of
// the product ops and elementwise arithmetic.
#include "engine/ops/fused_arithmetic.hpp"

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// Throws naming `op` unless `t` is defined with `rank` dims.
void check_rank(const Tensor& t, int64_t rank, const char* op, const char* what) {
  detail::check_defined(t, op, what);
  MG_CHECK(t.dim() == rank, "{}: {} must be {}-D, got shape {}", op, what, rank,
           shape_str(t.shape()));
}

// beta input + alpha product, input broadcast to the product's shape; input ignored at beta = 0
// (PyTorch's rule, so NaN or inf there does not leak).
Tensor scaled_sum(const Tensor& input, const Tensor& product, double beta, double alpha,
                  const char* op) {
  detail::check_defined(input, op, "input");
  detail::check_same_kind(input, product, op);
  const Dims shape = broadcast_shapes(input.shape(), product.shape(), op);
  MG_CHECK(shape == product.shape(),
           "{}: input of shape {} does not broadcast to the product's shape {}", op,
           shape_str(input.shape()), shape_str(product.shape()));
  const Tensor scaled = alpha == 1.0 ? product : product * alpha;
  if (beta == 0.0) return scaled;
  return (beta == 1.0 ? input : input * beta) + scaled;
}

}  // namespace

Tensor addmm(const Tensor& input, const Tensor& mat1, const Tensor& mat2, double beta,
             double alpha) {
  check_rank(mat1, 2, "addmm", "mat1");
  check_rank(mat2, 2, "addmm", "mat2");
  return scaled_sum(input, mm(mat1, mat2), beta, alpha, "addmm");
}

Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, double beta, double alpha) {
  check_rank(mat, 2, "addmv", "mat");
  check_rank(vec, 1, "addmv", "vec");
  return scaled_sum(input, mv(mat, vec), beta, alpha, "addmv");
}

Tensor baddbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, double beta,
               double alpha) {
  check_rank(batch1, 3, "baddbmm", "batch1");
  check_rank(batch2, 3, "baddbmm", "batch2");
  MG_CHECK(batch1.size(0) == batch2.size(0),
           "baddbmm: batch1 (shape {}) and batch2 (shape {}) must hold the same number of "
           "matrices",
           shape_str(batch1.shape()), shape_str(batch2.shape()));
  return scaled_sum(input, matmul(batch1, batch2), beta, alpha, "baddbmm");
}

Tensor addbmm(const Tensor& input, const Tensor& batch1, const Tensor& batch2, double beta,
              double alpha) {
  check_rank(batch1, 3, "addbmm", "batch1");
  check_rank(batch2, 3, "addbmm", "batch2");
  MG_CHECK(batch1.size(0) == batch2.size(0),
           "addbmm: batch1 (shape {}) and batch2 (shape {}) must hold the same number of matrices",
           shape_str(batch1.shape()), shape_str(batch2.shape()));
  return scaled_sum(input, sum(matmul(batch1, batch2), {0}), beta, alpha, "addbmm");
}

Tensor addr(const Tensor& input, const Tensor& vec1, const Tensor& vec2, double beta,
            double alpha) {
  check_rank(vec1, 1, "addr", "vec1");
  check_rank(vec2, 1, "addr", "vec2");
  return scaled_sum(input, outer(vec1, vec2), beta, alpha, "addr");
}

Tensor addcmul(const Tensor& input, const Tensor& tensor1, const Tensor& tensor2, double value) {
  detail::check_defined(input, "addcmul", "input");
  const Tensor product = tensor1 * tensor2;
  return input + (value == 1.0 ? product : product * value);
}

Tensor addcdiv(const Tensor& input, const Tensor& tensor1, const Tensor& tensor2, double value) {
  detail::check_defined(input, "addcdiv", "input");
  detail::check_floating(tensor1, "addcdiv");
  const Tensor quotient = tensor1 / tensor2;
  return input + (value == 1.0 ? quotient : quotient * value);
}

Tensor inner(const Tensor& a, const Tensor& b) {
  detail::check_defined(a, "inner", "a");
  detail::check_defined(b, "inner", "b");
  if (a.dim() == 0 || b.dim() == 0) return a * b;
  MG_CHECK(a.size(-1) == b.size(-1),
           "inner: the last dims of a (shape {}) and b (shape {}) must have the same size",
           shape_str(a.shape()), shape_str(b.shape()));
  return tensordot(a, b, {-1}, {-1});
}

Tensor vdot(const Tensor& a, const Tensor& b) {
  check_rank(a, 1, "vdot", "a");
  check_rank(b, 1, "vdot", "b");
  return dot(a, b);
}

}  // namespace metagrad
