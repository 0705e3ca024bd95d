// pad with PyTorch's non-constant modes (reflect, replicate, circular): each padded dim becomes an
// index_select of the input cells that the output cells copy, so the backward is index_add (the
// adjoint: a border cell's gradient is the sum over its copies) and every order of derivative
// and every backend come with it. PyTorch's rules: 1 to 3 padded (trailing) dims of an input with
// one or two more dims (batched or not); reflect pads below the size, circular pads at most the
// size; negative pads crop (reflect and replicate index the uncropped dim, circular wraps over
// the cropped one, as PyTorch).
#include <algorithm>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

namespace detail {
std::string_view pad_mode_name(PadMode mode) {
  switch (mode) {
    case PadMode::Constant:
      return "constant";
    case PadMode::Reflect:
      return "reflect";
    case PadMode::Replicate:
      return "replicate";
    case PadMode::Circular:
      return "circular";
  }
  return "?";
}
}  // namespace detail

namespace {

// The input cell that output cell j of a dim of `size` padded by (before, after) copies.
int64_t source_cell(PadMode mode, int64_t j, int64_t size, int64_t before, int64_t after) {
  if (mode == PadMode::Circular) {
    // Crop first, then wrap over the kept cells [crop_before, size - crop_after).
    const int64_t crop_before = std::max<int64_t>(-before, 0);
    const int64_t kept = size - crop_before - std::max<int64_t>(-after, 0);
    const int64_t k = j - std::max<int64_t>(before, 0);
    return crop_before + ((k % kept) + kept) % kept;
  }
  const int64_t i = j - before;
  if (mode == PadMode::Replicate) return std::clamp<int64_t>(i, 0, size - 1);
  // Reflect about the first and the last cell (neither is repeated).
  if (i < 0) return -i;
  if (i >= size) return 2 * (size - 1) - i;
  return i;
}

}  // namespace

Tensor pad(const Tensor& x, const std::vector<int64_t>& pad, PadMode mode, double value) {
  if (mode == PadMode::Constant) return metagrad::pad(x, pad, value);
  detail::check_defined(x, "pad");
  const size_t dims = pad.size() / 2;
  MG_CHECK(pad.size() % 2 == 0 && dims >= 1 && dims <= 3,
           "pad: {} mode pads 1 to 3 trailing dims, given as (before, after) pairs, got {} "
           "values",
           detail::pad_mode_name(mode), pad.size());
  MG_CHECK(x.dim() == static_cast<int>(dims) + 1 || x.dim() == static_cast<int>(dims) + 2,
           "pad: {} mode padding {} dims needs a {}-D (unbatched) or {}-D (batched) input, got "
           "shape {}",
           detail::pad_mode_name(mode), dims, dims + 1, dims + 2, shape_str(x.shape()));
  Tensor out = x;
  for (size_t p = 0; p < dims; ++p) {
    const int d = x.dim() - 1 - static_cast<int>(p);
    const int64_t size = x.size(d), before = pad[2 * p], after = pad[2 * p + 1];
    if (mode == PadMode::Reflect)
      MG_CHECK(before < size && after < size,
               "pad: reflect padding ({}, {}) of dim {} must be smaller than its size {} (input "
               "shape {})",
               before, after, d, size, shape_str(x.shape()));
    const int64_t padded = checked_add(checked_add(size, before, "pad", "the padded size"), after,
                                       "pad", "the padded size");
    MG_CHECK(padded > 0 && size > 0,
             "pad: {} padding ({}, {}) of dim {} of size {} leaves no cell (input shape {})",
             detail::pad_mode_name(mode), before, after, d, size, shape_str(x.shape()));
    if (mode == PadMode::Circular) {
      const int64_t kept = size - std::max<int64_t>(-before, 0) - std::max<int64_t>(-after, 0);
      MG_CHECK(before <= kept && after <= kept,
               "pad: circular padding ({}, {}) of dim {} wraps around more than once: the dim "
               "keeps {} cells (input shape {}); pad at most the size",
               before, after, d, kept, shape_str(x.shape()));
    }
    if (before == 0 && after == 0) continue;
    Tensor index = make_empty({padded}, kInt64, kCPU, "pad");
    int64_t* cells = index.data_ptr<int64_t>();
    for (int64_t j = 0; j < padded; ++j) cells[j] = source_cell(mode, j, size, before, after);
    out = index_select(out, d, index.to(x.device()));
  }
  return out.is_same(x) ? x.clone() : out;
}

}  // namespace metagrad
