// Triangle indices, Cartesian products and combinations (combinatorics.hpp). The triangle
// indices are written on the host (their count has a closed form, so nothing loops over rows
// that hold none); products and combinations are index_select of their inputs at positions
// enumerated on the host.
#include "engine/ops/combinatorics.hpp"

#include <algorithm>
#include <vector>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// The sum of first, first + 1, ..., last (0 when last < first).
int64_t series(int64_t first, int64_t last) {
  if (last < first) return 0;
  const int64_t n = last - first + 1;
  return (n % 2 == 0) ? (n / 2) * (first + last) : n * ((first + last) / 2);
}

// The number of entries (r, c) of a row x col matrix with c - r <= offset.
int64_t tril_count(int64_t row, int64_t col, int64_t offset) {
  // Row r holds clamp(r + offset + 1, 0, col) entries: none while r + offset + 1 <= 0, then one
  // more per row until the row is full (r + offset + 1 >= col).
  const int64_t first_partial = std::clamp<int64_t>(-offset, 0, row);
  const int64_t first_full = std::clamp<int64_t>(col - offset - 1, first_partial, row);
  return series(first_partial + offset + 1, first_full + offset) + (row - first_full) * col;
}

void check_triangle(int64_t row, int64_t col, const TensorOptions& options, const char* op) {
  MG_CHECK(row >= 0 && col >= 0, "{}: row and col must be non-negative, got {} and {}", op, row,
           col);
  MG_CHECK(options.dtype == kInt64, "{}: the dtype must be int64, got {}", op,
           dtype_name(options.dtype));
  const int64_t cells = checked_mul(row, col, op, "row x col");
  MG_CHECK(cells <= (int64_t{1} << 60), "{}: a {} x {} matrix has too many entries to index", op,
           row, col);
}

// The [2, count] coordinates of the entries (r, c) of a row x col matrix with `lo(r) <= c <
// hi(r)`, in row-major order, on the device of `options`.
template <typename Lo, typename Hi>
Tensor triangle(int64_t row, int64_t count, int64_t first_row, int64_t end_row, Lo lo, Hi hi,
                const TensorOptions& options) {
  Tensor out = empty({2, count}, kInt64);
  int64_t* rows = out.data_ptr<int64_t>();
  int64_t* cols = rows + count;
  int64_t k = 0;
  for (int64_t r = first_row; r < std::min(end_row, row); ++r) {
    for (int64_t c = lo(r); c < hi(r); ++c, ++k) {
      rows[k] = r;
      cols[k] = c;
    }
  }
  return options.device.is_cpu() ? out : out.to(options.device);
}

}  // namespace

Tensor tril_indices(int64_t row, int64_t col, int64_t offset, TensorOptions options) {
  check_triangle(row, col, options, "tril_indices");
  const int64_t d = std::clamp<int64_t>(offset, -row - 1, col);
  return triangle(
      row, tril_count(row, col, d), std::clamp<int64_t>(-d, 0, row), row,
      [](int64_t) { return int64_t{0}; },
      [&](int64_t r) { return std::clamp<int64_t>(r + d + 1, 0, col); }, options);
}

Tensor triu_indices(int64_t row, int64_t col, int64_t offset, TensorOptions options) {
  check_triangle(row, col, options, "triu_indices");
  const int64_t d = std::clamp<int64_t>(offset, -row - 1, col + 1);
  // c - r >= d is the complement of c - r <= d - 1; rows past col - d hold none.
  const int64_t count = row * col - tril_count(row, col, d - 1);
  return triangle(
      row, count, 0, std::max<int64_t>(col - d, 0),
      [&](int64_t r) { return std::clamp<int64_t>(r + d, 0, col); }, [&](int64_t) { return col; },
      options);
}

Tensor cartesian_prod(const TensorList& tensors) {
  MG_CHECK(!tensors.empty(), "cartesian_prod: expected at least one tensor");
  for (size_t i = 0; i < tensors.size(); ++i) {
    detail::check_defined(tensors[i], "cartesian_prod");
    MG_CHECK(tensors[i].dim() == 1, "cartesian_prod: tensor {} must be 1-D, got shape {}", i,
             shape_str(tensors[i].shape()));
  }
  if (tensors.size() == 1) return tensors[0];
  TensorList columns;
  for (const Tensor& grid : meshgrid(tensors, "ij")) columns.push_back(reshape(grid, {-1}));
  return stack(columns, 1);
}

Tensor combinations(const Tensor& x, int64_t r, bool with_replacement) {
  detail::check_defined(x, "combinations");
  MG_CHECK(x.dim() == 1, "combinations: expected a 1-D tensor, got shape {}", shape_str(x.shape()));
  MG_CHECK(r >= 0, "combinations: r must be non-negative, got {}", r);
  if (r == 0) return empty({0}, TensorOptions(x.dtype(), x.device()));
  const int64_t n = x.size(0);
  // Enumerate the position tuples p_0 <= ... (< without replacement) in lexicographic order.
  std::vector<double> positions;
  std::vector<int64_t> tuple(r);
  const int64_t step = with_replacement ? 0 : 1;
  bool valid = true;
  for (int64_t i = 0; i < r; ++i) {
    tuple[i] = i * step;
    valid = valid && tuple[i] < n;
  }
  int64_t count = 0;
  while (valid) {
    MG_CHECK(count < (int64_t{1} << 28) / r,
             "combinations: {} entries taken {} at a time give too many combinations", n, r);
    positions.insert(positions.end(), tuple.begin(), tuple.end());
    ++count;
    // Advance the last position that can still move, and reset the ones after it.
    int64_t i = r - 1;
    while (i >= 0 && tuple[i] >= n - 1 - (r - 1 - i) * step) --i;
    valid = i >= 0;
    if (!valid) break;
    ++tuple[i];
    for (int64_t j = i + 1; j < r; ++j) tuple[j] = tuple[j - 1] + step;
  }
  const Tensor index = tensor(positions, {count * r}, TensorOptions(kInt64, x.device()));
  return reshape(index_select(x, 0, index), {count, r});
}

}  // namespace metagrad
