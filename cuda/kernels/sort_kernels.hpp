#pragma once

// KernelBackend::sort_indices (Note [sort] in engine/backend/cpu/cpu_sort.cpp), in the total
// order of engine/backend/sort_order.hpp, in which no two elements of a line tie. Two ways:
//   - short lines (up to kRankSortMaxLength): one thread per element counts the elements of its
//     line ranked before it and, when that rank is below k, writes its position there: one launch,
//     n reads per thread;
//   - longer lines: a merge sort of positions, every line at once. Pass w merges pairs of sorted
//     runs of w: an element's place in the merged run is its place in its own run plus the number
//     of the partner run's elements ranked before it, found by binary search, so each thread
//     writes one slot and no two threads the same one (the order is strict). log2(n) passes of
//     O(log n) reads per element: O(n log^2 n) work per line instead of O(n^2).
// Both write every rank exactly once, with no synchronisation inside a launch, and give the CPU's
// indices bit for bit.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "cuda/kernel_backend.hpp"
#include "engine/backend/sort_order.hpp"

namespace metagrad {
namespace kernels {

/// The longest line sorted by counting ranks; longer ones are merge-sorted.
inline constexpr int64_t kRankSortMaxLength = 128;

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

// order[line, i] = i: every line as runs of one element.
struct IdentityOrderKernel {
  int64_t* order;
  int64_t length;
  MG_HD void operator()(int64_t element) const { order[element] = element % length; }
};

// One merge pass: the runs of `width` in `from` (positions into each line of `in`, every run
// sorted) merged pairwise into runs of 2 * width in `to`.
template <typename T>
struct MergePassKernel {
  int64_t* to;
  const int64_t* from;
  const T* in;
  Indexer<2> lines;  // out, in with dim of size 1 (only in's offset is used)
  int64_t length, width, in_step;
  bool descending;
  MG_HD void operator()(int64_t element) const {
    const int64_t line = element / length, p = element - line * length;
    int64_t off[2];
    lines.offsets(line, off);
    const T* values = in + off[1];
    const int64_t* line_from = from + line * length;
    const int64_t run = p / width, own_begin = run * width;
    const bool left = run % 2 == 0;
    const int64_t pair_begin = left ? own_begin : own_begin - width;
    const int64_t partner_begin = left ? own_begin + width : pair_begin;
    const int64_t partner_end = partner_begin + width < length ? partner_begin + width : length;
    const int64_t position = line_from[p];
    const SortKey<T> mine{values[position * in_step], position};
    // The partner run's elements ranked before `mine` form a prefix of it: find its end.
    int64_t lo = partner_begin, hi = partner_end > partner_begin ? partner_end : partner_begin;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      const int64_t other = line_from[mid];
      if (ranks_before(SortKey<T>{values[other * in_step], other}, mine, descending))
        lo = mid + 1;
      else
        hi = mid;
    }
    to[line * length + pair_begin + (p - own_begin) + (lo - partner_begin)] = position;
  }
};

// out[line, r] = order[line, r] for r < k.
struct TakeRanksKernel {
  int64_t* out;
  const int64_t* order;
  Indexer<2> lines;  // out, in with dim of size 1 (only out's offset is used)
  int64_t length, k, out_step;
  MG_HD void operator()(int64_t element) const {
    const int64_t line = element / k, r = element - line * k;
    int64_t off[2];
    lines.offsets(line, off);
    out[off[0] + r * out_step] = order[line * length + r];
  }
};

}  // namespace kernels

template <typename Executor>
void KernelBackend<Executor>::sort_indices(const View& in, const View& out_indices, int dim,
                                           bool descending) {
  if (out_indices.numel() == 0) return;
  const kernels::Indexer<2> lines = kernels::line_indexer(out_indices, in, dim);
  const int64_t length = in.shape[dim], k = out_indices.shape[dim];
  const int64_t out_step = out_indices.strides[dim], in_step = in.strides[dim];
  auto* out = static_cast<int64_t*>(out_indices.data);
  if (length <= kernels::kRankSortMaxLength) {
    kernels::dispatch_all(in.dtype, [&](auto tag) {
      using T = std::decay_t<decltype(tag)>;
      executor_.for_each(
          in.numel(), kernels::RankKernel<T>{out, static_cast<const T*>(in.data), lines, length, k,
                                             out_step, in_step, descending});
    });
    return;
  }
  const size_t bytes = static_cast<size_t>(in.numel()) * sizeof(int64_t);
  ScratchBuffer first = scratch(bytes), second = scratch(bytes);
  int64_t* from = first.as<int64_t>();
  int64_t* to = second.as<int64_t>();
  executor_.for_each(in.numel(), kernels::IdentityOrderKernel{from, length});
  kernels::dispatch_all(in.dtype, [&](auto tag) {
    using T = std::decay_t<decltype(tag)>;
    for (int64_t width = 1; width < length; width *= 2) {
      executor_.for_each(
          in.numel(), kernels::MergePassKernel<T>{to, from, static_cast<const T*>(in.data), lines,
                                                  length, width, in_step, descending});
      std::swap(from, to);
    }
  });
  executor_.for_each(in.numel() / length * k,
                     kernels::TakeRanksKernel{out, from, lines, length, k, out_step});
}

}  // namespace metagrad
