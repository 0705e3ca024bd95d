// adaptive_max_pool2d / 1d (PyTorch's adaptive windows, engine/ops/adaptive_window.hpp). The
// windows differ in start and size, so no fixed window geometry (max_pool2d's backend argmax)
// fits them. Instead each window is gathered whole: rows by an index_select of up to kh cells per
// output row, then columns of up to kw cells, windows shorter than the longest repeating their
// last cell (a repeat never changes a maximum, and comes after the cell it repeats, so the first
// maximum in row-major order is still the original: PyTorch's choice). argmax over each gathered
// window picks a slot; a table maps it to the input cell h W + w; the values are a gather of the
// input at those cells, whose backward (scatter_add) sends each output's gradient to its maximum.
// Differentiable to every order in the input; the indices carry no gradient.
#include <algorithm>
#include <tuple>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/adaptive_window.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// The longest window when `in` cells are pooled to `out`.
int64_t longest_window(int64_t in, int64_t out) {
  int64_t longest = 0;
  for (int64_t i = 0; i < out; ++i) {
    const auto [start, end] = detail::adaptive_window(i, in, out);
    longest = std::max(longest, end - start);
  }
  return longest;
}

// Cell k of output cell i's window, its last cell repeated past the end: [out * longest].
Tensor window_cells(int64_t in, int64_t out, int64_t longest) {
  Tensor cells = empty({out * longest}, kInt64);
  int64_t* cell = cells.data_ptr<int64_t>();
  for (int64_t i = 0; i < out; ++i) {
    const auto [start, end] = detail::adaptive_window(i, in, out);
    for (int64_t k = 0; k < longest; ++k) cell[i * longest + k] = std::min(start + k, end - 1);
  }
  return cells;
}

// The input cell h W + w of each window slot (a, b) of output cell (i, j): rows[i kh + a] W +
// cols[j kw + b], as [oh, ow, kh kw].
Tensor window_slot_cells(const Tensor& rows, const Tensor& cols, int64_t oh, int64_t ow, int64_t kh,
                         int64_t kw, int64_t width) {
  Tensor cells = empty({oh, ow, kh * kw}, kInt64);
  int64_t* cell = cells.data_ptr<int64_t>();
  const int64_t* row = rows.data_ptr<int64_t>();
  const int64_t* col = cols.data_ptr<int64_t>();
  for (int64_t i = 0; i < oh; ++i)
    for (int64_t j = 0; j < ow; ++j)
      for (int64_t a = 0; a < kh; ++a)
        for (int64_t b = 0; b < kw; ++b) *cell++ = row[i * kh + a] * width + col[j * kw + b];
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
  const Tensor rows = window_cells(height, oh, kh), cols = window_cells(width, ow, kw);
  Tensor indices;
  {
    NoGradGuard no_grad;
    // [N, C, oh kh, W] -> [N, C, oh kh, ow kw] -> [N, C, oh, ow, kh kw]
    const Tensor picked =
        index_select(index_select(x.detach(), 2, rows.to(x.device())), 3, cols.to(x.device()));
    const Tensor windows =
        reshape(permute(reshape(picked, {n, channels, oh, kh, ow, kw}), {0, 1, 2, 4, 3, 5}),
                {n, channels, oh, ow, kh * kw});
    const Tensor slot_cells = window_slot_cells(rows, cols, oh, ow, kh, kw, width).to(x.device());
    const Tensor slot = argmax(windows, -1, true);  // [N, C, oh, ow, 1]
    indices = squeeze(gather(expand(slot_cells, {n, channels, oh, ow, kh * kw}), 4, slot), 4);
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
