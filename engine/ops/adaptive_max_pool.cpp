// adaptive_max_pool2d / 1d (PyTorch's adaptive windows, engine/ops/adaptive_window.hpp). The
// windows differ in start and size, so no fixed window geometry (max_pool2d's backend argmax)
// fits them. The maximum of a window is found in two passes, columns first: an index_select
// gathers each output column's window columns (up to kw, a shorter window repeating its last
// column) and a max over them gives, for every input row, the row's maximum in the window and
// its first column; a second index_select and argmax over each output row's window rows give
// the first row holding the window's maximum. That is the first maximum in row-major order
// (PyTorch's choice): the first row that holds it, and its first column there (a repeated cell
// never comes before the cell it repeats). The values are then a gather of the input at those
// cells, whose backward (scatter_add) sends each output's gradient to its maximum.
// Differentiable to every order in the input; the indices carry no gradient.
#include <algorithm>
#include <tuple>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/adaptive_window.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// The longest window when `in` cells are pooled to `out` (at most 2 when out >= in: then no
// loop over a possibly huge out runs before the tables' allocation checks its size).
int64_t longest_window(int64_t in, int64_t out) {
  if (out >= in) return std::min<int64_t>(in, 2);
  int64_t longest = 0;
  for (int64_t i = 0; i < out; ++i) {
    const auto [start, end] = detail::adaptive_window(i, in, out);
    longest = std::max(longest, end - start);
  }
  return longest;
}

// Cell k of output cell i's window, its last cell repeated past the end, times `scale`:
// [out, longest].
Tensor window_cells(int64_t in, int64_t out, int64_t longest, int64_t scale) {
  Tensor cells = make_empty({out, longest}, kInt64, kCPU, "adaptive_max_pool2d");
  int64_t* cell = cells.data_ptr<int64_t>();
  for (int64_t i = 0; i < out; ++i) {
    const auto [start, end] = detail::adaptive_window(i, in, out);
    for (int64_t k = 0; k < longest; ++k)
      cell[i * longest + k] = std::min(start + k, end - 1) * scale;
  }
  return cells;
}

}  // namespace

std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& input,
                                                            IntPair output_size) {
  detail::check_floating(input, "adaptive_max_pool2d");
  MG_CHECK(input.dim() == 3 || input.dim() == 4,
           "adaptive_max_pool2d: expected input [N, C, H, W] or unbatched [C, H, W], got shape {}",
           shape_str(input.shape()));
  MG_CHECK(output_size.h > 0 && output_size.w > 0,
           "adaptive_max_pool2d: output_size must be positive, got ({}, {})", output_size.h,
           output_size.w);
  const int64_t height = input.size(-2), width = input.size(-1);
  MG_CHECK(height > 0 && width > 0,
           "adaptive_max_pool2d: input shape {} has an empty spatial dim; pool a non-empty image",
           shape_str(input.shape()));
  const Tensor x = input.dim() == 3 ? unsqueeze(input, 0) : input;
  const int64_t n = x.size(0), channels = x.size(1), oh = output_size.h, ow = output_size.w;
  const int64_t kh = longest_window(height, oh), kw = longest_window(width, ow);
  const Device device = x.device();
  const Tensor cols = window_cells(width, ow, kw, 1).to(device);
  const Tensor rows = window_cells(height, oh, kh, 1).to(device);
  const Tensor row_starts = window_cells(height, oh, kh, width).to(device);  // rows times W
  Tensor indices;
  {
    NoGradGuard no_grad;
    // Columns: [N, C, H, ow kw] -> the max over each window's columns, [N, C, H, ow].
    const Tensor by_column = reshape(index_select(x.detach(), 3, reshape(cols, {ow * kw})),
                                     {n, channels, height, ow, kw});
    const auto [row_max, first_column] = max(by_column, 4);
    // Rows: [N, C, oh kh, ow] -> the first window row holding the maximum, [N, C, oh, 1, ow].
    const Tensor by_row =
        reshape(index_select(row_max, 2, reshape(rows, {oh * kh})), {n, channels, oh, kh, ow});
    const Tensor first_row = argmax(by_row, 3, true);
    const Dims row_table{n, channels, oh, kh, ow};
    const Tensor row =
        squeeze(gather(expand(reshape(rows, {1, 1, oh, kh, 1}), row_table), 3, first_row), 3);
    const Tensor row_start =
        squeeze(gather(expand(reshape(row_starts, {1, 1, oh, kh, 1}), row_table), 3, first_row), 3);
    // That row's first maximal column in window j, and the input column it stands for.
    const Tensor column_slot = gather(first_column, 2, row);  // [N, C, oh, ow]
    const Tensor column =
        squeeze(gather(expand(reshape(cols, {1, 1, 1, ow, kw}), {n, channels, oh, ow, kw}), 4,
                       unsqueeze(column_slot, 4)),
                4);
    indices = row_start + column;  // h W + w
  }
  const Tensor values = reshape(gather(reshape(x, {n, channels, height * width}), 2,
                                       reshape(indices, {n, channels, oh * ow})),
                                {n, channels, oh, ow});
  if (input.dim() == 3) return {squeeze(values, 0), squeeze(indices, 0)};
  return {values, indices};
}

Tensor adaptive_max_pool2d(const Tensor& input, IntPair output_size) {
  return std::get<0>(adaptive_max_pool2d_with_indices(input, output_size));
}

std::tuple<Tensor, Tensor> adaptive_max_pool1d_with_indices(const Tensor& input,
                                                            int64_t output_size) {
  detail::check_floating(input, "adaptive_max_pool1d");
  MG_CHECK(input.dim() == 2 || input.dim() == 3,
           "adaptive_max_pool1d: expected input [N, C, L] or unbatched [C, L], got shape {}",
           shape_str(input.shape()));
  MG_CHECK(output_size > 0, "adaptive_max_pool1d: output_size must be positive, got {}",
           output_size);
  MG_CHECK(input.size(-1) > 0, "adaptive_max_pool1d: input shape {} has length 0",
           shape_str(input.shape()));
  // A line is an image of height 1, whose flat cell index h L + l is l.
  const auto [values, indices] =
      adaptive_max_pool2d_with_indices(unsqueeze(input, -2), {1, output_size});
  return {squeeze(values, -2), squeeze(indices, -2)};
}

Tensor adaptive_max_pool1d(const Tensor& input, int64_t output_size) {
  return std::get<0>(adaptive_max_pool1d_with_indices(input, output_size));
}

}  // namespace metagrad
