// CpuBackend::sort_indices: the order of each line along a dim (Note [sort]).
#include <algorithm>
#include <bit>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"

// Note [sort]
// sort_indices ranks the elements of each line by one total order (engine/backend/sort_order.hpp):
// by value, NaN above every number, and equal values by position. Since no two elements tie, the
// first k ranks are one answer, found by any correct sort on any backend; PyTorch's stable sort
// gives the same order, and its unstable sorts and top-k one of the orders that equal values
// allow. Each line is copied once into a buffer of rank keys, (value mapped to an unsigned integer
// of the same order, position), so that sorting compares integers only (a selection of the
// first k ranks and a sort of them when only those are asked for, as top-k), and the positions are
// written out. Lines are independent and split among the threads when the work is
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

// An element's rank key: its value mapped to an unsigned integer whose order is the total
// order's (NaN above +inf, -0.0 equal to 0.0; complemented for descending), then its position.
// Comparing two keys is two integer comparisons, with no NaN cases.
struct RankKey {
  uint64_t value;
  uint64_t position;
  bool operator<(const RankKey& other) const {
    return value != other.value ? value < other.value : position < other.position;
  }
};

template <typename T>
uint64_t ordered_bits(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v ? 1 : 0;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return static_cast<uint64_t>(v) ^ (uint64_t{1} << 63);
  } else {
    using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
    constexpr Bits kSign = Bits{1} << (8 * sizeof(T) - 1);
    if (v != v) return ~uint64_t{0};  // every NaN above every number
    const Bits bits = std::bit_cast<Bits>(static_cast<T>(v + T(0)));  // -0.0 + 0.0 = +0.0
    return (bits & kSign) ? static_cast<Bits>(~bits) : static_cast<Bits>(bits | kSign);
  }
}

// Up to this many ranks of a longer line are kept by insertion in one pass instead of a selection.
constexpr int64_t kSmallK = 16;

// Fills keys with line a (length elements, `step` apart) and puts its first k ranks first, in
// order: a partial selection and a sort of the k when only the first ranks are asked for (top-k).
template <typename T>
void order_line(const T* a, int64_t length, int64_t step, int64_t k, bool descending,
                std::vector<RankKey>& keys) {
  const uint64_t flip = descending ? ~uint64_t{0} : 0;
  if (k <= kSmallK && k < length) {
    // A few ranks of a long line: one pass keeping the best k in order; an element enters only
    // when it beats the k-th (rarely, after the first ones), so the pass is one comparison each.
    // Positions only grow, so an element equal in value to the k-th never beats it: the test is
    // one integer comparison against the k-th value.
    int64_t kept = 0;
    uint64_t threshold = ~uint64_t{0};
    for (int64_t i = 0; i < length; ++i) {
      const uint64_t value = ordered_bits(a[i * step]) ^ flip;
      if (kept == k && value >= threshold) continue;
      const RankKey key{value, static_cast<uint64_t>(i)};
      int64_t slot = kept < k ? kept++ : k - 1;
      while (slot > 0 && key < keys[static_cast<size_t>(slot - 1)]) {
        keys[static_cast<size_t>(slot)] = keys[static_cast<size_t>(slot - 1)];
        --slot;
      }
      keys[static_cast<size_t>(slot)] = key;
      if (kept == k) threshold = keys[static_cast<size_t>(k - 1)].value;
    }
    return;
  }
  for (int64_t i = 0; i < length; ++i)
    keys[static_cast<size_t>(i)] = {ordered_bits(a[i * step]) ^ flip, static_cast<uint64_t>(i)};
  if (k < length) {
    std::nth_element(keys.begin(), keys.begin() + (k - 1), keys.end());
    std::sort(keys.begin(), keys.begin() + (k - 1));
  } else {
    std::sort(keys.begin(), keys.end());
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
    std::vector<RankKey> keys(static_cast<size_t>(length));
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
