// Mask selections (masking.hpp) and the shared helpers of the data-dependent selections
// (selection_support.hpp): a running count of the true places gives each its slot in the
// result, so the selections are index_select / where of the inputs (differentiable to every
// order) and run on any device through existing ops.
#include "engine/ops/masking.hpp"

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/selection_support.hpp"

namespace metagrad {

Tensor detail::true_positions(const Tensor& flags) {
  NoGradGuard no_grad;
  const int64_t n = flags.numel();
  const TensorOptions positions_options(kInt64, flags.device());
  if (n == 0) return empty({0}, positions_options);
  const Tensor running = cumsum(flags, 0);  // int64: the number of true entries up to each
  const int64_t count = select(running, 0, n - 1).item<int64_t>();
  // A true entry goes to slot running - 1, a false one to the spare slot `count`.
  const Tensor slot = where(flags, running - 1.0, static_cast<double>(count));
  const Tensor position = where(flags, arange(static_cast<double>(n), positions_options), 0.0);
  const Tensor slots = scatter_add(zeros({count + 1}, positions_options), 0, slot, position);
  return slice(slots, 0, 0, count);
}

Tensor detail::exact_quotient(const Tensor& numerator, int64_t divisor) {
  if (divisor == 1) return numerator;
  return round(numerator.to(kFloat64) / static_cast<double>(divisor)).to(kInt64);
}

Tensor detail::last_writers(const Tensor& index, int dim) {
  NoGradGuard no_grad;
  if (index.dim() == 0) return full({}, 1.0, TensorOptions(kBool, index.device()));
  const int64_t n = index.size(dim);
  if (index.numel() == 0) return empty(index.shape(), TensorOptions(kBool, index.device()));
  const Tensor order = argsort(index, dim);  // stable: equal values in order of position
  const Tensor sorted = gather(index, dim, order);
  Dims last_shape = index.shape();
  last_shape[dim] = 1;
  // In sorted order, an entry writes last when the next one targets another place.
  const Tensor next_differs =
      cat({ne(slice(sorted, dim, 0, n - 1), slice(sorted, dim, 1, n)).to(kInt64),
           ones(last_shape, TensorOptions(kInt64, index.device()))},
          dim);
  return ne(scatter_add(zeros_like(index), dim, order, next_differs), 0.0);
}

namespace {

// mask checked to be bool and to broadcast to x's shape (masked_fill, masked_scatter).
void check_mask_for(const Tensor& x, const Tensor& mask, const char* op) {
  detail::check_defined(x, op);
  detail::check_defined(mask, op, "mask");
  MG_CHECK(mask.dtype() == kBool,
           "{}: expected a bool mask, got {} (mask shape {}); build it with a comparison or "
           ".to(kBool)",
           op, dtype_name(mask.dtype()), shape_str(mask.shape()));
  MG_CHECK(mask.device() == x.device(), "{}: the mask is on {} but the input is on {}", op,
           mask.device().str(), x.device().str());
  MG_CHECK(broadcast_shapes(x.shape(), mask.shape(), op) == x.shape(),
           "{}: the mask of shape {} does not broadcast to the input's shape {}", op,
           shape_str(mask.shape()), shape_str(x.shape()));
}

// The flat positions of x's nonzero entries.
Tensor nonzero_positions(const Tensor& x) {
  detail::check_defined(x, "nonzero");
  NoGradGuard no_grad;
  const Tensor flags = x.dtype() == kBool ? x : ne(x, 0.0);
  return detail::true_positions(reshape(flags, {-1}));
}

// Row-major coordinates of the flat `positions` in `shape`, one 1-D tensor per dim.
TensorList coordinates_of(const Tensor& positions, const Dims& shape) {
  NoGradGuard no_grad;
  TensorList out(shape.size());
  if (positions.numel() == 0) {
    for (Tensor& coordinate : out) coordinate = positions;
    return out;
  }
  int64_t stride = 1;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    // (p mod (size stride) - p mod stride) / stride = the coordinate along d
    const Tensor within =
        shape[d] == 0 ? positions : remainder(positions, double(shape[d] * stride));
    const Tensor offset = stride == 1 ? within : within - remainder(within, double(stride));
    out[d] = detail::exact_quotient(offset, stride);
    stride *= shape[d];
  }
  return out;
}

}  // namespace

Tensor nonzero(const Tensor& x) {
  const Tensor positions = nonzero_positions(x);
  if (x.dim() == 0) return empty({positions.numel(), 0}, TensorOptions(kInt64, x.device()));
  return stack(coordinates_of(positions, x.shape()), 1);
}

TensorList nonzero_tuple(const Tensor& x) {
  const Tensor positions = nonzero_positions(x);
  if (x.dim() == 0) return {positions};
  return coordinates_of(positions, x.shape());
}

Tensor argwhere(const Tensor& x) { return nonzero(x); }

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  check_mask_for(x, mask, "masked_fill");
  detail::check_value_fits(value, x.dtype(), "masked_fill", "value");
  return where(mask, full({}, value, TensorOptions(x.dtype(), x.device())), x);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value) {
  check_mask_for(x, mask, "masked_fill");
  detail::check_defined(value, "masked_fill", "value");
  MG_CHECK(value.dim() == 0,
           "masked_fill: the value must be a 0-d tensor, got shape {}; use where(mask, value, x) "
           "to fill from a tensor",
           shape_str(value.shape()));
  MG_CHECK(value.device() == x.device(), "masked_fill: the value is on {} but the input is on {}",
           value.device().str(), x.device().str());
  return where(mask, value.dtype() == x.dtype() ? value : value.to(x.dtype()), x);
}

Tensor masked_select(const Tensor& x, const Tensor& mask) {
  detail::check_defined(x, "masked_select");
  detail::check_defined(mask, "masked_select", "mask");
  MG_CHECK(mask.dtype() == kBool, "masked_select: expected a bool mask, got {} (mask shape {})",
           dtype_name(mask.dtype()), shape_str(mask.shape()));
  MG_CHECK(mask.device() == x.device(), "masked_select: the mask is on {} but the input is on {}",
           mask.device().str(), x.device().str());
  const Dims shape = broadcast_shapes(x.shape(), mask.shape(), "masked_select");
  const Tensor positions = detail::true_positions(reshape(broadcast_to(mask, shape), {-1}));
  return index_select(reshape(broadcast_to(x, shape), {-1}), 0, positions);
}

Tensor masked_scatter(const Tensor& x, const Tensor& mask, const Tensor& source) {
  check_mask_for(x, mask, "masked_scatter");
  detail::check_defined(source, "masked_scatter", "source");
  detail::check_same_kind(x, source, "masked_scatter");
  const Tensor flags = reshape(broadcast_to(mask, x.shape()), {-1});
  if (flags.numel() == 0) return clone(x);
  Tensor slot;
  int64_t count = 0;
  {
    NoGradGuard no_grad;
    const Tensor running = cumsum(flags, 0);
    count = select(running, 0, flags.numel() - 1).item<int64_t>();
    slot = where(ge(running, 1.0), running - 1.0, 0.0);
  }
  MG_CHECK(source.numel() >= count,
           "masked_scatter: the mask has {} true places but the source (shape {}) holds only {} "
           "entries; pass a source with at least {}",
           count, shape_str(source.shape()), source.numel(), count);
  if (count == 0) return clone(x);
  const Tensor taken = index_select(reshape(source, {-1}), 0, slot);
  return where(mask, reshape(taken, x.shape()), x);
}

}  // namespace metagrad
