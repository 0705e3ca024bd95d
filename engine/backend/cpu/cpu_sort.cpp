// CpuBackend::sort_indices: the order of each line along a dim (Note [sort]).
#include <algorithm>
#include <cstdint>
#include <numeric>
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
// allow. Each line is copied once into a buffer of (value, position) pairs, sorted there (a
// partial sort when only the first k ranks are asked for, as top-k), and the positions are written
// out. Lines are independent and run in parallel.

namespace metagrad::cpu {
namespace {

template <typename T>
void sort_lines(const View& in, const View& out, int dim, bool descending) {
  const int64_t length = in.shape[dim], k = out.shape[dim];
  View in_lines = in, out_lines = out;
  in_lines.shape[dim] = 1;
  out_lines.shape[dim] = 1;
  const int64_t in_step = in.strides[dim], out_step = out.strides[dim];
  StridedLoop<2>({&out_lines, &in_lines}).run([&](char** p, const int64_t* s, int64_t n) {
    int64_t* o = reinterpret_cast<int64_t*>(p[0]);
    const T* a = reinterpret_cast<const T*>(p[1]);
    const int64_t os = s[0] / static_cast<int64_t>(sizeof(int64_t));
    const int64_t is = s[1] / static_cast<int64_t>(sizeof(T));
    std::vector<SortKey<T>> keys(length);
    for (int64_t line = 0; line < n; ++line) {
      for (int64_t i = 0; i < length; ++i) keys[i] = {a[line * is + i * in_step], i};
      const auto before = [descending](const SortKey<T>& x, const SortKey<T>& y) {
        return ranks_before(x, y, descending);
      };
      if (k < length) {
        std::partial_sort(keys.begin(), keys.begin() + k, keys.end(), before);
      } else {
        std::sort(keys.begin(), keys.end(), before);
      }
      for (int64_t r = 0; r < k; ++r) o[line * os + r * out_step] = keys[r].position;
    }
  });
}

}  // namespace

void CpuBackend::sort_indices(const View& in, const View& out_indices, int dim, bool descending) {
  if (out_indices.numel() == 0) return;
  MG_DISPATCH_ALL(in.dtype,
                  [&](auto tag) { sort_lines<decltype(tag)>(in, out_indices, dim, descending); });
}

}  // namespace metagrad::cpu
