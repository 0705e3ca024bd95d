// flip, roll and repeat, composed of index_select, slice, cat, expand and reshape, so each has
// derivatives of every order from theirs and runs on every backend.
#include <vector>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

Tensor flip(const Tensor& x, const Dims& dims) {
  detail::check_defined(x, "flip");
  Tensor out = x;
  std::vector<bool> seen(static_cast<size_t>(std::max(x.dim(), 1)), false);
  for (const int64_t dim_in : dims) {
    const int d = normalize_dim(dim_in, std::max(x.dim(), 1), "flip");
    MG_CHECK(!seen[static_cast<size_t>(d)], "flip: dim {} appears more than once in the dims {}", d,
             shape_str(dims));
    seen[static_cast<size_t>(d)] = true;
    if (x.dim() == 0) continue;  // one element: flipping leaves it
    const int64_t n = x.size(d);
    const Tensor reversed =
        arange(static_cast<double>(n - 1), -1.0, -1.0, TensorOptions(kInt64, x.device()));
    out = index_select(out, d, reversed);
  }
  return out.is_same(x) ? clone(x) : out;
}

Tensor roll(const Tensor& x, const std::vector<int64_t>& shifts, const Dims& dims) {
  detail::check_defined(x, "roll");
  if (dims.empty()) {
    // Over the flattened tensor, then back to its shape.
    MG_CHECK(shifts.size() == 1,
             "roll: without dims, give exactly one shift (the flattened tensor's); got {}",
             shifts.size());
    return reshape(roll(reshape(x, {-1}), shifts, {0}), x.shape());
  }
  MG_CHECK(shifts.size() == static_cast<size_t>(dims.size()),
           "roll: shifts and dims must have the same length, got {} shifts and dims {}",
           shifts.size(), shape_str(dims));
  Tensor out = x;
  for (int i = 0; i < dims.size(); ++i) {
    const int d = normalize_dim(dims[i], std::max(x.dim(), 1), "roll");
    if (x.dim() == 0 || x.size(d) == 0) continue;
    const int64_t n = x.size(d);
    const int64_t s = ((shifts[static_cast<size_t>(i)] % n) + n) % n;
    if (s == 0) continue;
    // The last s entries move to the front.
    out = cat({slice(out, d, n - s, n), slice(out, d, 0, n - s)}, d);
  }
  return out.is_same(x) ? clone(x) : out;
}

Tensor repeat(const Tensor& x, const Dims& repeats) {
  detail::check_defined(x, "repeat");
  MG_CHECK(repeats.size() >= x.dim(),
           "repeat: the number of repeats ({}) must not be smaller than the number of dimensions "
           "of the tensor ({}, shape {})",
           repeats.size(), x.dim(), shape_str(x.shape()));
  for (const int64_t r : repeats)
    MG_CHECK(r >= 0, "repeat: repeats must be non-negative, got {}", shape_str(repeats));
  // Leading 1s up to the number of repeats, then one dim at a time: [.., s, ..] -> [.., r, s, ..]
  // (a broadcast) -> [.., r s, ..].
  Dims shape(repeats.size() - x.dim(), 1);
  for (const int64_t s : x.shape()) shape.push_back(s);
  Tensor out = reshape(x, shape);
  for (int d = 0; d < repeats.size(); ++d) {
    if (repeats[d] == 1) continue;
    Dims expanded = out.shape();
    expanded.insert(d, repeats[d]);
    Dims merged = out.shape();
    merged[d] = checked_mul(merged[d], repeats[d], "repeat", "the repeated size");
    out = reshape(expand(unsqueeze(out, d), expanded), merged);
  }
  // A copy, as PyTorch's: reshapes and a repeat of a size-1 dim can leave a view of x.
  return out.storage() == x.storage() ? clone(out) : contiguous(out);
}

}  // namespace metagrad
