// Advanced indexing (advanced_indexing.hpp): the index tensors become one flat row index into x
// seen as [prod of the indexed dims, remaining dims...], so reading is index_select and writing
// is index_add (accumulate) or a replacing index_add of the last writers of each row.
#include "engine/ops/advanced_indexing.hpp"

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/selection_support.hpp"

namespace metagrad {
namespace {

// The rows of x named by the index tensors: x as [rows, remaining dims...], the flat row of each
// index entry, and the broadcast shape of the indices.
struct Rows {
  Tensor table;
  Tensor row;
  Dims index_shape;
};

// int64 index tensors for x's leading dims: bool masks replaced by their nonzero coordinates.
TensorList integer_indices(const Tensor& x, const TensorList& indices, const char* op) {
  MG_CHECK(!indices.empty(), "{}: expected at least one index tensor", op);
  TensorList out;
  for (size_t i = 0; i < indices.size(); ++i) {
    const Tensor& index = indices[i];
    detail::check_defined(index, op, "index");
    MG_CHECK(index.device() == x.device(),
             "{}: index {} is on {} but the input is on {}; move it with .to(device)", op, i,
             index.device().str(), x.device().str());
    if (index.dtype() == kBool) {
      const int first = static_cast<int>(out.size());
      MG_CHECK(first + index.dim() <= x.dim(),
               "{}: the bool mask {} of shape {} indexes past the input's dims (shape {})", op, i,
               shape_str(index.shape()), shape_str(x.shape()));
      for (int e = 0; e < index.dim(); ++e)
        MG_CHECK(index.size(e) == x.size(first + e),
                 "{}: the bool mask {} of shape {} does not match the input's shape {} at dim {}",
                 op, i, shape_str(index.shape()), shape_str(x.shape()), first + e);
      for (const Tensor& coordinate : nonzero_tuple(index)) out.push_back(coordinate);
      continue;
    }
    MG_CHECK(index.dtype() == kInt64,
             "{}: index {} must be an int64 or bool tensor, got {} of shape {}; convert it with "
             ".to(kInt64)",
             op, i, dtype_name(index.dtype()), shape_str(index.shape()));
    out.push_back(index);
  }
  MG_CHECK(out.size() <= static_cast<size_t>(x.dim()),
           "{}: too many indices ({}) for an input of {} dims (shape {})", op, out.size(), x.dim(),
           shape_str(x.shape()));
  return out;
}

Rows rows_of(const Tensor& x, const TensorList& indices, const char* op) {
  detail::check_defined(x, op);
  const TensorList integer = integer_indices(x, indices, op);
  const int k = static_cast<int>(integer.size());
  Dims index_shape = integer[0].shape();
  for (int i = 1; i < k; ++i) index_shape = broadcast_shapes(index_shape, integer[i].shape(), op);
  Tensor row = zeros(index_shape, TensorOptions(kInt64, x.device()));
  int64_t stride = 1;
  for (int i = k - 1; i >= 0; --i) {
    NoGradGuard no_grad;
    const int64_t size = x.size(i);
    const Tensor& at = integer[i];
    const bool outside = at.numel() > 0 && any(logical_or(lt(at, static_cast<double>(-size)),
                                                          ge(at, static_cast<double>(size))))
                                               .item<bool>();
    MG_CHECK(!outside, "{}: index {} holds a value out of range for dim {} of size {} (shape {})",
             op, i, i, size, shape_str(x.shape()));
    const Tensor wrapped = where(lt(at, 0.0), at + static_cast<double>(size), at);
    row = row + wrapped * static_cast<double>(stride);
    stride *= size;
  }
  Dims table_shape{stride};
  for (int e = k; e < x.dim(); ++e) table_shape.push_back(x.size(e));
  return {reshape(x, table_shape), reshape(row, {-1}), index_shape};
}

// index_shape followed by the table's dims after the first.
Dims result_shape(const Rows& rows) {
  Dims shape = rows.index_shape;
  for (int e = 1; e < rows.table.dim(); ++e) shape.push_back(rows.table.size(e));
  return shape;
}

// x[indices], naming `op` in errors.
Tensor read_rows(const Tensor& x, const TensorList& indices, const char* op) {
  const Rows rows = rows_of(x, indices, op);
  return reshape(index_select(rows.table, 0, rows.row), result_shape(rows));
}

}  // namespace

Tensor index(const Tensor& x, const TensorList& indices) { return read_rows(x, indices, "index"); }

Tensor index_put(const Tensor& x, const TensorList& indices, const Tensor& values,
                 bool accumulate) {
  detail::check_defined(values, "index_put", "values");
  const Rows rows = rows_of(x, indices, "index_put");
  detail::check_same_kind(x, values, "index_put");
  const Dims shape = result_shape(rows);
  MG_CHECK(broadcast_shapes(values.shape(), shape, "index_put") == shape,
           "index_put: values of shape {} do not broadcast to the indexed shape {}",
           shape_str(values.shape()), shape_str(shape));
  Dims source_shape = rows.table.shape();
  source_shape[0] = rows.row.numel();
  const Tensor source = reshape(broadcast_to(values, shape), source_shape);
  if (accumulate) return reshape(index_add(rows.table, 0, rows.row, source), x.shape());
  Tensor winners, written;
  {
    NoGradGuard no_grad;
    winners = detail::last_writers(rows.row, 0);
    const Tensor writes = index_add(zeros({rows.table.size(0)}, TensorOptions(kInt64, x.device())),
                                    0, rows.row, winners.to(kInt64));
    Dims mark_shape(rows.table.dim(), 1);
    mark_shape[0] = rows.table.size(0);
    written = reshape(ne(writes, 0.0), mark_shape);
  }
  Dims winner_shape(rows.table.dim(), 1);
  winner_shape[0] = rows.row.numel();
  const Tensor kept = where(reshape(winners, winner_shape), source, 0.0);
  const Tensor sums = index_add(zeros_like(rows.table), 0, rows.row, kept);
  return reshape(where(written, sums, rows.table), x.shape());
}

Tensor take(const Tensor& x, const Tensor& index) {
  detail::check_defined(x, "take");
  detail::check_defined(index, "take", "index");
  MG_CHECK(index.dtype() == kInt64, "take: the index must be int64, got {} of shape {}",
           dtype_name(index.dtype()), shape_str(index.shape()));
  return read_rows(reshape(x, {-1}), {index}, "take");
}

}  // namespace metagrad
