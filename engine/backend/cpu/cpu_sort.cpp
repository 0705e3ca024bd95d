// CpuBackend::sort_indices: the order of each line along a dim (Note [sort]).
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"
#include "engine/backend/sort_order.hpp"

// Note [sort]
// sort_indices ranks the elements of each line by one total order (engine/backend/sort_order.hpp):
// by value, NaN above every number, and equal values by position. Since no two elements tie, the
// first k ranks are one answer, found by any correct sort on any backend; PyTorch's stable sort
// gives the same order, and its unstable sorts and top-k one of the orders that equal values
// allow. Each line is copied once into a buffer of (value, position) pairs with its NaNs already
// at their end of the order (in position order), so that the sort of the numbers compares plain
// values (a partial sort when only the first k ranks are asked for, as top-k), and the positions
// are written out. Lines are independent and split among the threads when the work is
// large.

namespace metagrad::cpu {
namespace {

// Element offsets (in elements) of line `line` of a view whose `dim` has been set to size 1.
int64_t line_offset(const View& lines, int64_t line) {
  int64_t offset = 0;
  for (int d = lines.ndim() - 1; d >= 0; --d) {
    const int64_t size = lines.shape[d];
    if (size == 1) continue;
    offset += (line % size) * lines.strides[d];
    line /= size;
  }
  return offset;
}

// Fills keys with line a (length elements, `step` apart) and orders its first k ranks. NaNs rank
// above every number, so they go straight to their end of the order (last ascending, first
// descending) in position order, and only the numbers are sorted, by plain comparisons.
template <typename T>
void order_line(const T* a, int64_t length, int64_t step, int64_t k, bool descending,
                std::vector<SortKey<T>>& keys) {
  int64_t nans = 0;
  if constexpr (std::is_floating_point_v<T>) {
    for (int64_t i = 0; i < length; ++i) nans += a[i * step] != a[i * step] ? 1 : 0;
  }
  const int64_t numbers = length - nans;
  int64_t next_number = descending ? nans : 0, next_nan = descending ? 0 : numbers;
  for (int64_t i = 0; i < length; ++i) {
    const T v = a[i * step];
    keys[v == v ? next_number++ : next_nan++] = {v, i};
  }
  const auto first = keys.begin() + (descending ? nans : 0), last = first + numbers;
  const int64_t wanted = std::min(k - (descending ? nans : 0), numbers);
  if (wanted <= 0) return;
  const auto before = [descending](const SortKey<T>& x, const SortKey<T>& y) {
    if (x.value != y.value) return descending ? x.value > y.value : x.value < y.value;
    return x.position < y.position;
  };
  if (wanted < numbers) {
    std::partial_sort(first, first + wanted, last, before);
  } else {
    std::sort(first, last, before);
  }
}

template <typename T>
void sort_lines(const View& in, const View& out, int dim, bool descending) {
  const int64_t length = in.shape[dim], k = out.shape[dim];
  View in_lines = in, out_lines = out;
  in_lines.shape[dim] = 1;
  out_lines.shape[dim] = 1;
  const int64_t lines = in_lines.numel();
  const int64_t in_step = in.strides[dim], out_step = out.strides[dim];
  const T* src = static_cast<const T*>(in.data);
  int64_t* dst = static_cast<int64_t*>(out.data);
  const auto sort_range = [&](int64_t begin, int64_t end) {
    std::vector<SortKey<T>> keys(static_cast<size_t>(length));
    for (int64_t line = begin; line < end; ++line) {
      int64_t* o = dst + line_offset(out_lines, line);
      order_line(src + line_offset(in_lines, line), length, in_step, k, descending, keys);
      for (int64_t r = 0; r < k; ++r) o[r * out_step] = keys[r].position;
    }
  };
  if (lines > 1 && lines * length >= kParallelThreshold) {
    StridedLoop<1>::parallel_range(lines, sort_range);
  } else {
    sort_range(0, lines);
  }
}

}  // namespace

void CpuBackend::sort_indices(const View& in, const View& out_indices, int dim, bool descending) {
  if (out_indices.numel() == 0) return;
  MG_DISPATCH_ALL(in.dtype,
                  [&](auto tag) { sort_lines<decltype(tag)>(in, out_indices, dim, descending); });
}

}  // namespace metagrad::cpu
