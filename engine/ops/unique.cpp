// unique and unique_consecutive (unique.hpp): the slices are put in order (a stable sort per
// column from the last to the first gives the lexicographic order; unique_consecutive keeps the
// input's), and each slice that differs from the one before starts a new group.
#include "engine/ops/unique.hpp"

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/selection_support.hpp"

namespace metagrad {
namespace {

// The stable lexicographic order of the rows of rows [n, m]: a stable sort by each column, the
// last column first, so that earlier columns decide.
Tensor lexicographic_order(const Tensor& rows) {
  Tensor order = arange(static_cast<double>(rows.size(0)), TensorOptions(kInt64, rows.device()));
  for (int64_t c = rows.size(1) - 1; c >= 0; --c) {
    const Tensor key = index_select(select(rows, 1, c), 0, order);
    order = index_select(order, 0, argsort(key, 0));
  }
  return order;
}

// Groups of equal consecutive rows of rows [n, m] taken in `order` (undefined: as they are).
// Returns the first row of each group [k, m], each row's group [n] and the group sizes [k].
UniqueResult group_rows(const Tensor& rows, const Tensor& order) {
  const int64_t n = rows.size(0);
  const TensorOptions int_options(kInt64, rows.device());
  if (n == 0) return {rows, empty({0}, int_options), empty({0}, int_options)};
  const Tensor ordered = order.defined() ? index_select(rows, 0, order) : rows;
  const Tensor differs = any(ne(slice(ordered, 0, 1, n), slice(ordered, 0, 0, n - 1)), Dims{1});
  const Tensor starts = cat({ones({1}, TensorOptions(kBool, rows.device())), differs}, 0);
  const Tensor group = cumsum(starts, 0) - 1.0;
  const Tensor inverse =
      order.defined() ? scatter_add(zeros({n}, int_options), 0, order, group) : group;
  const Tensor first = detail::true_positions(starts);
  const Tensor counts = diff(cat({first, full({1}, static_cast<double>(n), int_options)}, 0));
  return {index_select(ordered, 0, first), inverse, counts};
}

// unique / unique_consecutive: over the flattened x, or over the slices of x along dim.
UniqueResult distinct(const Tensor& x, std::optional<int64_t> dim, bool sorted, const char* op) {
  detail::check_defined(x, op);
  NoGradGuard no_grad;
  if (!dim.has_value()) {
    const Tensor flat = reshape(x, {-1});
    const Tensor order = sorted ? argsort(flat, 0) : Tensor();
    UniqueResult out = group_rows(reshape(flat, {flat.numel(), 1}), order);
    out.values = reshape(out.values, {-1});
    out.inverse = reshape(out.inverse, x.shape());
    return out;
  }
  MG_CHECK(x.dim() > 0, "{}: dim {} given for a 0-d input; leave dim unset", op, *dim);
  const int d = normalize_dim(*dim, x.dim(), op);
  const Tensor leading = movedim(x, d, 0);
  const int64_t n = leading.size(0);
  int64_t width = 1;
  for (int i = 1; i < leading.dim(); ++i) width *= leading.size(i);
  const Tensor rows = reshape(contiguous(leading), {n, width});
  UniqueResult out = group_rows(rows, sorted ? lexicographic_order(rows) : Tensor());
  Dims shape = leading.shape();
  shape[0] = out.values.size(0);
  out.values = movedim(reshape(out.values, shape), 0, d);
  return out;
}

}  // namespace

UniqueResult unique(const Tensor& x, std::optional<int64_t> dim) {
  return distinct(x, dim, true, "unique");
}

UniqueResult unique_consecutive(const Tensor& x, std::optional<int64_t> dim) {
  return distinct(x, dim, false, "unique_consecutive");
}

}  // namespace metagrad
