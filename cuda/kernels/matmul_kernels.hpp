#pragma once

// KernelBackend::matmul: a batched GEMM on the executor (cuBLAS gemmStridedBatched on the GPU).
// cuBLAS is column-major, the views row-major: row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ, so
// the GEMM gets (m ← n, n ← m), first operand b, second a, and writes C with ldc = n. Each
// operand is passed in place when one of its matrix strides is 1 and the other is a valid leading
// dimension (op N for a unit column stride, op T for a unit row stride, e.g. a transposed view);
// otherwise it is first copied to a contiguous scratch buffer (once when its batch is broadcast).
#include <algorithm>

#include "cuda/kernel_backend.hpp"
#include "engine/backend/view_checks.hpp"

namespace metagrad {
namespace kernels {

/// How one row-major operand X [rows, cols] (strides sr, sc) enters cuBLAS as the column-major
/// matrix Xᵀ [cols, rows]: as is (op N, Xᵀ(c, r) at c + r ld) or as the transpose of a stored
/// column-major X (op T, X(r, c) at r + c ld).
struct GemmOperand {
  bool transposed = false;
  int64_t ld = 1;
};

/// The in-place form of X, or false when X must be copied first. A size-1 dim's stride does not
/// matter; a leading dimension below the stored matrix's rows (which cuBLAS rejects) does.
inline bool gemm_operand(int64_t rows, int64_t cols, int64_t sr, int64_t sc, GemmOperand& op) {
  if (cols == 1 || sc == 1) {
    const int64_t ld = rows == 1 ? std::max<int64_t>(cols, 1) : sr;
    if (ld >= std::max<int64_t>(cols, 1)) {
      op = {false, ld};
      return true;
    }
  }
  if (rows == 1 || sr == 1) {
    const int64_t ld = cols == 1 ? std::max<int64_t>(rows, 1) : sc;
    if (ld >= std::max<int64_t>(rows, 1)) {
      op = {true, ld};
      return true;
    }
  }
  return false;
}

}  // namespace kernels

template <typename Executor>
void KernelBackend<Executor>::matmul(const View& a, const View& b, const View& out) {
  check_matmul_views(a, b, out);
  const int64_t batch = out.shape[0], m = out.shape[1], n = out.shape[2], k = a.shape[2];
  if (batch == 0 || m == 0 || n == 0) return;
  if (k == 0) {
    fill(out, 0.0);
    return;
  }
  const size_t item = element_size(a.dtype);
  // An operand in gemm form: its data (the view's or a contiguous copy's), op and strides.
  struct Prepared {
    const void* data;
    kernels::GemmOperand op;
    int64_t batch_stride;
    ScratchBuffer buffer;
  };
  auto prepare = [&](const View& v) {
    const int64_t rows = v.shape[1], cols = v.shape[2];
    const int64_t batch_stride = v.shape[0] == 1 ? 0 : v.strides[0];
    kernels::GemmOperand op;
    if (kernels::gemm_operand(rows, cols, v.strides[1], v.strides[2], op))
      return Prepared{v.data, op, batch_stride, ScratchBuffer(allocator_, 0)};
    const int64_t copies = batch_stride == 0 ? 1 : v.shape[0];
    ScratchBuffer buffer = scratch(static_cast<size_t>(copies * rows * cols) * item);
    const View src{
        v.data, v.dtype, {copies, rows, cols}, {batch_stride, v.strides[1], v.strides[2]}};
    const View dense{buffer.as<void>(), v.dtype, {copies, rows, cols}, {rows * cols, cols, 1}};
    copy(src, dense);
    const void* data = buffer.as<void>();
    return Prepared{data, {false, cols}, batch_stride == 0 ? 0 : rows * cols, std::move(buffer)};
  };
  const Prepared pa = prepare(a), pb = prepare(b);
  kernels::dispatch_float(a.dtype, "matmul", [&](auto tag) {
    using T = decltype(tag);
    GemmBatch<T> g;
    g.m = n;
    g.n = m;
    g.k = k;
    g.trans_a = pb.op.transposed;
    g.a = static_cast<const T*>(pb.data);
    g.lda = pb.op.ld;
    g.stride_a = pb.batch_stride;
    g.trans_b = pa.op.transposed;
    g.b = static_cast<const T*>(pa.data);
    g.ldb = pa.op.ld;
    g.stride_b = pa.batch_stride;
    g.c = static_cast<T*>(out.data);
    g.ldc = n;
    g.stride_c = m * n;
    g.batch = batch;
    executor_.gemm(g);
  });
}

}  // namespace metagrad
