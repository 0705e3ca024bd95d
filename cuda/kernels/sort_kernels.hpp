#pragma once

// KernelBackend::sort_indices (Note [sort] in engine/backend/cpu/cpu_sort.cpp): one thread per
// element, which counts the elements of its line ranked before it (the total order of
// engine/backend/sort_order.hpp, in which no two elements tie) and, when that rank is below k,
// writes its position there. Every rank is written exactly once, by one thread, with no
// synchronisation and the CPU's indices bit for bit. The work is O(n^2) per line of n: lines of
// a few thousand (the classes of a top-k, the samples of a quantile) cost one pass of n reads
// per thread; a segmented merge sort would be the next step for long lines.
#include <cstdint>
#include <type_traits>

#include "cuda/kernel_backend.hpp"
#include "engine/backend/sort_order.hpp"

namespace metagrad {
namespace kernels {

// out[line, rank(e)] = e's position, for each element e of rank below k.
template <typename T>
struct RankKernel {
  int64_t* out;
  const T* in;
  Indexer<2> lines;  // out, in with dim of size 1
  int64_t length, k, out_step, in_step;
  bool descending;
  MG_HD void operator()(int64_t element) const {
    const int64_t line = element / length, i = element - line * length;
    int64_t off[2];
    lines.offsets(line, off);
    const T* values = in + off[1];
    const SortKey<T> mine{values[i * in_step], i};
    int64_t rank = 0;
    for (int64_t j = 0; j < length; ++j)
      rank += ranks_before(SortKey<T>{values[j * in_step], j}, mine, descending) ? 1 : 0;
    if (rank < k) out[off[0] + rank * out_step] = i;
  }
};

}  // namespace kernels

template <typename Executor>
void KernelBackend<Executor>::sort_indices(const View& in, const View& out_indices, int dim,
                                           bool descending) {
  if (out_indices.numel() == 0) return;
  const kernels::Indexer<2> lines = kernels::line_indexer(out_indices, in, dim);
  const int64_t length = in.shape[dim];
  kernels::dispatch_all(in.dtype, [&](auto tag) {
    using T = std::decay_t<decltype(tag)>;
    executor_.for_each(in.numel(),
                       kernels::RankKernel<T>{static_cast<int64_t*>(out_indices.data),
                                              static_cast<const T*>(in.data), lines, length,
                                              out_indices.shape[dim], out_indices.strides[dim],
                                              in.strides[dim], descending});
  });
}

}  // namespace metagrad
