#pragma once

// The total order of Backend::sort_indices (Note [sort] in engine/backend/cpu/cpu_sort.cpp): the
// CUDA kernels (cuda/kernels/sort_kernels.hpp) compare with ranks_before; the CPU sort compares
// integer keys of the same order (engine/backend/cpu/cpu_sort.cpp; the CUDA op table checks that
// both give the same indices).
#include <cstdint>
#include <type_traits>

#if defined(__CUDACC__)
#define MG_SORT_HD __host__ __device__
#else
#define MG_SORT_HD
#endif

namespace metagrad {

/// An element of a line being sorted: its value and its position along the line.
template <typename T>
struct SortKey {
  T value;
  int64_t position;
};

/// True when value a is above value b: NaN above every number, NaNs equal among themselves.
template <typename T>
MG_SORT_HD inline bool sorts_above(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    const bool a_nan = a != a, b_nan = b != b;
    return b_nan ? false : (a_nan || a > b);
  } else {
    return a > b;  // bool and integers: no NaN
  }
}

/// True when x comes before y in the order of sort_indices: by value (ascending, or descending
/// with `descending`), and equal values by position, so that no two elements of a line tie.
template <typename T>
MG_SORT_HD inline bool ranks_before(const SortKey<T>& x, const SortKey<T>& y, bool descending) {
  const bool x_above = sorts_above(x.value, y.value), y_above = sorts_above(y.value, x.value);
  if (x_above != y_above) return descending ? x_above : y_above;
  return x.position < y.position;
}

}  // namespace metagrad
