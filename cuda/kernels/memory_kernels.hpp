#pragma once

// KernelBackend::fill and ::copy. copy is also the engine's cross-device move (engine/ops/
// convert.cpp): two dense views of one dtype, one of them host memory, go through the executor's
// copy_bytes (cudaMemcpy with cudaMemcpyDefault on the GPU); everything else is a kernel over
// device memory.
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "cuda/kernel_backend.hpp"

namespace metagrad {
namespace kernels {

/// True when `v` is laid out densely in row-major order (dims of size 1 may have any stride).
inline bool is_dense(const View& v) {
  int64_t expected = 1;
  for (int d = v.ndim() - 1; d >= 0; --d) {
    if (v.shape[d] == 1) continue;
    if (v.strides[d] != expected) return false;
    expected *= v.shape[d];
  }
  return true;
}

// out[i] = value.
template <typename T>
struct FillKernel {
  T* out;
  Indexer<1> ix;
  T value;
  MG_HD void operator()(int64_t i) const {
    int64_t off[1];
    ix.offsets(i, off);
    out[off[0]] = value;
  }
};

// out[i] = O(src[i]).
template <typename O, typename S>
struct CopyKernel {
  O* out;
  const S* src;
  Indexer<2> ix;
  MG_HD void operator()(int64_t i) const {
    int64_t off[2];
    ix.offsets(i, off);
    out[off[0]] = static_cast<O>(src[off[1]]);
  }
};

}  // namespace kernels

template <typename Executor>
void KernelBackend<Executor>::fill(const View& out, double value) {
  const int64_t n = out.numel();
  if (n == 0) return;
  kernels::dispatch_all(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    const View* views[1] = {&out};
    executor_.for_each(
        n, kernels::FillKernel<T>{static_cast<T*>(out.data), kernels::make_indexer<1>(views),
                                  static_cast<T>(value)});
  });
}

template <typename Executor>
void KernelBackend<Executor>::copy(const View& src, const View& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  if (src.dtype == out.dtype && kernels::is_dense(src) && kernels::is_dense(out)) {
    if (executor_.copy_bytes(out.data, src.data, static_cast<size_t>(n) * element_size(out.dtype)))
      raise_deferred_kernel_error();  // the host now waits for the queue: report what it found
    return;
  }
  kernels::dispatch_all(out.dtype, [&](auto out_tag) {
    using O = std::decay_t<decltype(out_tag)>;
    kernels::dispatch_all(src.dtype, [&](auto src_tag) {
      using S = decltype(src_tag);
      const View* views[2] = {&out, &src};
      executor_.for_each(
          n, kernels::CopyKernel<O, S>{static_cast<O*>(out.data), static_cast<const S*>(src.data),
                                       kernels::make_indexer<2>(views)});
    });
  });
}

}  // namespace metagrad
