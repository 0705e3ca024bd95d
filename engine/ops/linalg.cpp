#include "engine/ops/linalg.hpp"

#include <algorithm>

#include "engine/ops.hpp"
#include "engine/ops/binary_support.hpp"
#include "engine/ops/op_support.hpp"

// Every product here reduces to one primitive, `bmm`: a (batched) product of 2-D or 3-D tensors,
// [m, k] or [Ba, m, k] times [k, n] or [Bb, k, n], where a 2-D operand or a batch of size 1 is
// broadcast over the other operand's batch through a 0 batch stride (no copy). It is the only op
// in this file with a backward; matmul, dot, outer, mv and mm wrap it in views (reshape, expand,
// unsqueeze), so all of them have derivatives of every order.
namespace metagrad {
namespace {

using detail::backend_of;
using detail::Needs;
using detail::needs_of;
using detail::view_of;

// The 3-D kernel view [batch, rows, cols] of a 2-D or 3-D operand (0 batch stride when broadcast).
View batched_view(const Tensor& x, int64_t batch) {
  const bool batched = x.dim() == 3 && x.size(0) != 1;
  return View{x.raw_data(),
              x.dtype(),
              {batch, x.size(-2), x.size(-1)},
              {batched ? x.stride(0) : 0, x.stride(-2), x.stride(-1)}};
}

// True when x's matrices are stored column-major (a transposed view: stride 1 down a column),
// so that a gradient of x's shape is best produced in that layout too.
bool column_major(const Tensor& x) {
  return x.size(-2) > 1 && x.size(-1) > 1 && x.stride(-2) == 1 && x.stride(-1) >= x.size(-2);
}

Tensor bmm(const Tensor& a, const Tensor& b);

// The gradient of bmm's operand x (shape `shape`) from the product `lhs rhs`, where x's gradient
// sums it over broadcast batches. A column-major x (a transposed view) gets its gradient in the
// same layout, as (rhs^T lhs^T)^T: the transpose's backward then yields a contiguous tensor, and
// adding it to the other gradients of x does not walk memory across the grain.
Tensor operand_grad(const Tensor& lhs, const Tensor& rhs, const Tensor& x, const Dims& shape) {
  const auto batch = [](const Tensor& t) { return t.dim() == 3 ? t.size(0) : int64_t{-1}; };
  const bool unbroadcast = batch(lhs) == batch(x) && batch(rhs) == batch(x);
  if (unbroadcast && column_major(x))
    return transpose(bmm(transpose(rhs, -2, -1), transpose(lhs, -2, -1)), -2, -1);
  return sum_to(bmm(lhs, rhs), shape);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  const int64_t batch = a.dim() == 3 && a.size(0) != 1 ? a.size(0) : b.dim() == 3 ? b.size(0) : 1;
  const int64_t m = a.size(-2), n = b.size(-1);
  Tensor out = make_empty(a.dim() == 2 && b.dim() == 2 ? Dims{m, n} : Dims{batch, m, n}, a.dtype(),
                          a.device(), "matmul");
  const View out_view{out.raw_data(), out.dtype(), {batch, m, n}, {m * n, n, 1}};
  backend_of(a).matmul(batched_view(a, batch), batched_view(b, batch), out_view);
  if (needs_grad(a, b)) {
    // d(A B) = dA B + A dB  =>  grad_A = G B^T, grad_B = A^T G (summed over broadcast batches)
    record("MatmulBackward", {a, b}, {out},
           [sa = SavedTensor(a, false), sb = SavedTensor(b, false), shape_a = a.shape(),
            shape_b = b.shape()](const TensorList& g, Node& self) -> TensorList {
             const Needs need = needs_of(self);
             const Tensor a = sa.unpack(self), b = sb.unpack(self);
             Tensor ga, gb;
             if (need.a) ga = operand_grad(g[0], transpose(b, -2, -1), a, shape_a);
             if (need.b) gb = operand_grad(transpose(a, -2, -1), g[0], b, shape_b);
             return {ga, gb};
           });
  }
  return out;
}

// True when dims 0..ndim-2 of x merge into one without a copy (the reshape is a view).
bool leading_dims_merge(const Tensor& x) {
  if (x.numel() == 0) return true;
  int64_t expected = -1;
  for (int d = x.dim() - 2; d >= 0; --d) {
    if (x.size(d) == 1) continue;
    if (expected >= 0 && x.stride(d) != expected) return false;
    expected = x.stride(d) * x.size(d);
  }
  return true;
}

// The operand of bmm for x = [batch_x..., rows, cols] in a product with batch dims `batch`: x
// itself when 2-D or already [batch_numel, rows, cols]; [rows, cols] when x has a single batch
// (bmm broadcasts it); else x expanded to the full batch (0 strides) and flattened.
Tensor as_batched(const Tensor& x, const Dims& batch, int64_t batch_numel) {
  const int64_t rows = x.size(-2), cols = x.size(-1);
  if (x.dim() == 2 || (x.dim() == 3 && x.size(0) == batch_numel)) return x;
  Dims x_batch_shape = x.shape();
  x_batch_shape.resize(x.dim() - 2);
  const int64_t x_batch = numel_of(x_batch_shape, "matmul");
  if (x_batch == 1) return reshape(x, {rows, cols});
  Dims full = batch;
  full.push_back(rows);
  full.push_back(cols);
  return reshape(expand(x, full), {batch_numel, rows, cols});
}

// Broadcast of the batch dims (all but the last two) of a and b, naming op and both shapes.
Dims batch_shape(const Tensor& a, const Tensor& b, const Tensor& a2, const Tensor& b2,
                 const char* op) {
  const int na = a2.dim() - 2, nb = b2.dim() - 2, lead = std::max(na, nb);
  Dims batch;
  for (int i = 0; i < lead; ++i) {
    const int ia = i - (lead - na), ib = i - (lead - nb);
    const int64_t sa = ia >= 0 ? a2.size(ia) : 1, sb = ib >= 0 ? b2.size(ib) : 1;
    MG_CHECK(sa == sb || sa == 1 || sb == 1,
             "{}: the batch dims of shapes {} and {} do not broadcast ({} vs {} at batch dim {}); "
             "batch dims must be equal or 1",
             op, shape_str(a.shape()), shape_str(b.shape()), sa, sb, i);
    batch.push_back(sa == 1 ? sb : sa);
  }
  return batch;
}

Tensor matmul_impl(const Tensor& a, const Tensor& b, const char* op) {
  detail::check_same_kind(a, b, op);
  MG_CHECK(a.dim() >= 1 && b.dim() >= 1,
           "{}: both arguments need to be at least 1D, got shapes {} and {}", op,
           shape_str(a.shape()), shape_str(b.shape()));
  detail::check_floating(a, op);
  const bool a_vec = a.dim() == 1, b_vec = b.dim() == 1;
  const int64_t k = a.size(-1), k_b = b_vec ? b.size(0) : b.size(-2);
  MG_CHECK(
      k == k_b,
      "{}: shapes {} and {} cannot be multiplied ({} != {}); the last dim of the first operand "
      "must equal the {} of the second",
      op, shape_str(a.shape()), shape_str(b.shape()), k, k_b,
      b_vec ? "length" : "second-to-last dim");

  // A 1-D operand is a row vector on the left and a column vector on the right.
  const Tensor a2 = a_vec ? unsqueeze(a, 0) : a;
  const Tensor b2 = b_vec ? unsqueeze(b, -1) : b;
  if (a2.dim() == 2 && b2.dim() == 2) {
    const Tensor out = bmm(a2, b2);
    if (a_vec && b_vec) return reshape(out, {});
    return a_vec ? squeeze(out, 0) : b_vec ? squeeze(out, 1) : out;
  }

  // N-D x (1-D or 2-D): fold the batch into the rows and run one large product.
  if (a.dim() >= 3 && b2.dim() == 2 && leading_dims_merge(a)) {
    Dims shape = a.shape();
    shape.pop_back();
    const Tensor rows = reshape(a, {numel_of(shape, op), k});
    if (!b_vec) shape.push_back(b.size(-1));
    return reshape(bmm(rows, b2), shape);
  }

  const Dims batch = batch_shape(a, b, a2, b2, op);
  const int64_t batch_numel = numel_of(batch, op);
  const Tensor out = bmm(as_batched(a2, batch, batch_numel), as_batched(b2, batch, batch_numel));
  Dims shape = batch;
  if (!a_vec) shape.push_back(a2.size(-2));
  if (!b_vec) shape.push_back(b2.size(-1));
  return out.shape() == shape ? out : reshape(out, shape);
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) { return matmul_impl(a, b, "matmul"); }

Tensor dot(const Tensor& a, const Tensor& b) {
  detail::check_same_kind(a, b, "dot");
  MG_CHECK(a.dim() == 1 && b.dim() == 1, "dot: expected two 1-D tensors, got shapes {} and {}",
           shape_str(a.shape()), shape_str(b.shape()));
  MG_CHECK(a.size(0) == b.size(0),
           "dot: the two vectors must have the same length, got shapes {} and {}",
           shape_str(a.shape()), shape_str(b.shape()));
  return matmul_impl(a, b, "dot");
}

Tensor outer(const Tensor& a, const Tensor& b) {
  detail::check_same_kind(a, b, "outer");
  MG_CHECK(a.dim() == 1 && b.dim() == 1, "outer: expected two 1-D tensors, got shapes {} and {}",
           shape_str(a.shape()), shape_str(b.shape()));
  detail::check_floating(a, "outer");
  return matmul_impl(unsqueeze(a, 1), unsqueeze(b, 0), "outer");
}

Tensor mv(const Tensor& mat, const Tensor& vec) {
  detail::check_same_kind(mat, vec, "mv");
  MG_CHECK(mat.dim() == 2 && vec.dim() == 1,
           "mv: expected a 2-D matrix and a 1-D vector, got shapes {} and {}",
           shape_str(mat.shape()), shape_str(vec.shape()));
  return matmul_impl(mat, vec, "mv");
}

Tensor mm(const Tensor& a, const Tensor& b) {
  detail::check_same_kind(a, b, "mm");
  MG_CHECK(a.dim() == 2 && b.dim() == 2, "mm: expected two 2-D tensors, got shapes {} and {}",
           shape_str(a.shape()), shape_str(b.shape()));
  return matmul_impl(a, b, "mm");
}

}  // namespace metagrad
