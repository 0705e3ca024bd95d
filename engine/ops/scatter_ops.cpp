// Replacing writes at indices (scatter_ops.hpp), composed of scatter_add / index_add and where:
// only the last writer of each place adds its value (selection_support.hpp's last_writers), a
// count of the writers marks the places written, and where keeps x elsewhere.
#include "engine/ops/scatter_ops.hpp"

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/selection_support.hpp"

namespace metagrad {
namespace {

// The shape that broadcasts a 1-D tensor of `size` along `dim` of a tensor of `rank` dims.
Dims along(int64_t size, int dim, int rank) {
  Dims shape(rank, 1);
  if (rank > 0) shape[dim] = size;
  return shape;
}

// Whether each place along `dim` of a tensor of `size` places is named by the 1-D `index`,
// shaped to broadcast along dim of a tensor of `rank` dims.
Tensor named_places(const Tensor& index, int64_t size, int dim, int rank, const Tensor& weight) {
  NoGradGuard no_grad;
  const TensorOptions int_options(kInt64, index.device());
  const Tensor flat = reshape(index, {-1});
  const Tensor writes = weight.defined() ? weight.to(kInt64) : ones(flat.shape(), int_options);
  const Tensor count = index_add(zeros({size}, int_options), 0, flat, writes);
  return reshape(ne(count, 0.0), along(size, dim, rank));
}

void check_index_1d(const Tensor& index, const Tensor& x, const char* op) {
  detail::check_defined(index, op, "index");
  MG_CHECK(index.dtype() == kInt64 && index.dim() <= 1,
           "{}: the index must be a 0-d or 1-D int64 tensor, got {} of shape {}", op,
           dtype_name(index.dtype()), shape_str(index.shape()));
  MG_CHECK(index.device() == x.device(),
           "{}: the index is on {} but the input is on {}; move it with .to(device)", op,
           index.device().str(), x.device().str());
}

}  // namespace

Tensor detail::scatter_counts(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src,
                              const char* op) {
  check_defined(x, op);
  check_defined(index, op, "index");
  Tensor counts;
  {
    // scatter_add checks the index against x (dtype, device, dims, sizes and range).
    NoGradGuard no_grad;
    counts = scatter_add(zeros(x.shape(), TensorOptions(kInt64, x.device())), dim, index,
                         ones(index.shape(), TensorOptions(kInt64, index.device())));
  }
  if (!src.defined()) return counts;
  check_same_kind(x, src, op);
  MG_CHECK(src.dim() == index.dim(),
           "{}: src (shape {}) and index (shape {}) must have the same number of dims", op,
           shape_str(src.shape()), shape_str(index.shape()));
  for (int e = 0; e < index.dim(); ++e)
    MG_CHECK(index.size(e) <= src.size(e),
             "{}: the index of shape {} exceeds src's shape {} in dim {}", op,
             shape_str(index.shape()), shape_str(src.shape()), e);
  return counts;
}

Tensor detail::over_index_shape(const Tensor& src, const Tensor& index) {
  Tensor out = src;
  for (int e = 0; e < index.dim(); ++e)
    if (out.size(e) != index.size(e)) out = slice(out, e, 0, index.size(e));
  return out;
}

Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  detail::check_defined(src, "scatter", "src");
  const Tensor marks = ne(detail::scatter_counts(x, dim, index, src, "scatter"), 0.0);
  if (index.numel() == 0) return clone(x);
  const int d = normalize_dim(dim, std::max(x.dim(), 1), "scatter");
  const Tensor winners = detail::last_writers(index, x.dim() == 0 ? 0 : d);
  const Tensor source = where(winners, detail::over_index_shape(src, index), 0.0);
  const Tensor written = scatter_add(zeros_like(x), d, index, source);
  return where(marks, written, x);
}

Tensor scatter(const Tensor& x, int64_t dim, const Tensor& index, double value) {
  detail::check_value_fits(value, x.dtype(), "scatter", "value");
  const Tensor marks = ne(detail::scatter_counts(x, dim, index, Tensor(), "scatter"), 0.0);
  return where(marks, full({}, value, TensorOptions(x.dtype(), x.device())), x);
}

Tensor index_fill(const Tensor& x, int64_t dim, const Tensor& index, double value) {
  detail::check_defined(x, "index_fill");
  check_index_1d(index, x, "index_fill");
  detail::check_value_fits(value, x.dtype(), "index_fill", "value");
  const int d = normalize_dim(dim, std::max(x.dim(), 1), "index_fill");
  const int64_t size = x.dim() == 0 ? 1 : x.size(d);
  const Tensor filled = named_places(index, size, d, x.dim(), Tensor());
  return where(filled, full({}, value, TensorOptions(x.dtype(), x.device())), x);
}

Tensor index_copy(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& source) {
  detail::check_defined(x, "index_copy");
  detail::check_defined(source, "index_copy", "source");
  check_index_1d(index, x, "index_copy");
  // index_add checks the source's shape and dtype against x's.
  const int d = normalize_dim(dim, std::max(x.dim(), 1), "index_copy");
  const Tensor flat = reshape(index, {-1});
  const Tensor winners = detail::last_writers(flat, 0);
  const Tensor kept = where(reshape(winners, along(flat.numel(), d, source.dim())), source, 0.0);
  const Tensor written = index_add(zeros_like(x), d, index, kept);
  const int64_t size = x.dim() == 0 ? 1 : x.size(d);
  return where(named_places(index, size, d, x.dim(), winners), written, x);
}

}  // namespace metagrad
