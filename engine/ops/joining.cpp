// NumPy-style joins, splits and dim-order aliases (joining.hpp), composed of views and cat.
#include "engine/ops/joining.hpp"

#include <algorithm>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// Each tensor through `promote`, checked as defined; errors name `op`.
TensorList promoted(const TensorList& tensors, Tensor (*promote)(const Tensor&), const char* op) {
  MG_CHECK(!tensors.empty(), "{}: expected a non-empty list of tensors", op);
  TensorList out;
  out.reserve(tensors.size());
  for (const Tensor& t : tensors) {
    detail::check_defined(t, op, "tensor");
    out.push_back(promote(t));
  }
  return out;
}

// The dim a split of `op` works along, checked against x's rank.
int64_t split_dim(const Tensor& x, int64_t dim, int64_t min_rank, const char* op) {
  detail::check_defined(x, op);
  MG_CHECK(x.dim() >= min_rank,
           "{}: expected a tensor of at least {} dims, got shape {}; reshape it first", op,
           min_rank, shape_str(x.shape()));
  return dim;
}

// tensor_split into equal `sections` that must divide the size along dim.
TensorList equal_split(const Tensor& x, int64_t sections, int64_t dim, const char* op) {
  MG_CHECK(sections > 0, "{}: the number of sections must be positive, got {}", op, sections);
  const int64_t size = x.size(dim);
  MG_CHECK(size % sections == 0,
           "{}: the size {} of dim {} (shape {}) is not divisible by {} sections; pass split "
           "indices or use tensor_split for unequal parts",
           op, size, dim, shape_str(x.shape()), sections);
  return tensor_split(x, sections, dim);
}

}  // namespace

Tensor atleast_1d(const Tensor& x) {
  detail::check_defined(x, "atleast_1d");
  return x.dim() == 0 ? reshape(x, {1}) : x;
}

Tensor atleast_2d(const Tensor& x) {
  detail::check_defined(x, "atleast_2d");
  if (x.dim() == 0) return reshape(x, {1, 1});
  return x.dim() == 1 ? unsqueeze(x, 0) : x;
}

Tensor atleast_3d(const Tensor& x) {
  detail::check_defined(x, "atleast_3d");
  if (x.dim() == 0) return reshape(x, {1, 1, 1});
  if (x.dim() == 1) return reshape(x, {1, x.size(0), 1});
  return x.dim() == 2 ? unsqueeze(x, 2) : x;
}

Tensor hstack(const TensorList& tensors) {
  const TensorList parts = promoted(tensors, atleast_1d, "hstack");
  const bool all_vectors =
      std::all_of(parts.begin(), parts.end(), [](const Tensor& t) { return t.dim() == 1; });
  return cat(parts, all_vectors ? 0 : 1);
}

Tensor vstack(const TensorList& tensors) { return cat(promoted(tensors, atleast_2d, "vstack"), 0); }

Tensor row_stack(const TensorList& tensors) {
  return cat(promoted(tensors, atleast_2d, "row_stack"), 0);
}

Tensor dstack(const TensorList& tensors) { return cat(promoted(tensors, atleast_3d, "dstack"), 2); }

Tensor column_stack(const TensorList& tensors) {
  const TensorList parts = promoted(
      tensors,
      [](const Tensor& t) {
        return t.dim() <= 1 ? reshape(t, {t.numel(), 1}) : t;
      },
      "column_stack");
  return cat(parts, 1);
}

TensorList tensor_split(const Tensor& x, int64_t sections, int64_t dim) {
  detail::check_defined(x, "tensor_split");
  MG_CHECK(x.dim() >= 1, "tensor_split: expected a tensor of at least 1 dim, got a 0-d tensor");
  MG_CHECK(sections > 0, "tensor_split: the number of sections must be positive, got {}", sections);
  const int64_t d = normalize_dim(dim, x.dim(), "tensor_split");
  const int64_t size = x.size(d), base = size / sections, extra = size % sections;
  TensorList out;
  out.reserve(static_cast<size_t>(sections));
  int64_t start = 0;
  for (int64_t i = 0; i < sections; ++i) {
    const int64_t length = base + (i < extra ? 1 : 0);
    out.push_back(narrow(x, d, start, length));
    start += length;
  }
  return out;
}

TensorList tensor_split(const Tensor& x, const std::vector<int64_t>& indices, int64_t dim) {
  detail::check_defined(x, "tensor_split");
  MG_CHECK(x.dim() >= 1, "tensor_split: expected a tensor of at least 1 dim, got a 0-d tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "tensor_split");
  const int64_t size = x.size(d);
  // A Python slice bound: negative counts from the end, then clamped into [0, size].
  auto bound = [size](int64_t i) { return std::clamp(i < 0 ? i + size : i, int64_t{0}, size); };
  TensorList out;
  out.reserve(indices.size() + 1);
  int64_t start = 0;
  for (const int64_t index : indices) {
    const int64_t end = bound(index);
    out.push_back(narrow(x, d, start, std::max<int64_t>(end - start, 0)));
    start = end;
  }
  out.push_back(narrow(x, d, start, size - start));
  return out;
}

TensorList hsplit(const Tensor& x, int64_t sections) {
  split_dim(x, 0, 1, "hsplit");
  return equal_split(x, sections, x.dim() == 1 ? 0 : 1, "hsplit");
}

TensorList hsplit(const Tensor& x, const std::vector<int64_t>& indices) {
  split_dim(x, 0, 1, "hsplit");
  return tensor_split(x, indices, x.dim() == 1 ? 0 : 1);
}

TensorList vsplit(const Tensor& x, int64_t sections) {
  return equal_split(x, sections, split_dim(x, 0, 2, "vsplit"), "vsplit");
}

TensorList vsplit(const Tensor& x, const std::vector<int64_t>& indices) {
  return tensor_split(x, indices, split_dim(x, 0, 2, "vsplit"));
}

TensorList dsplit(const Tensor& x, int64_t sections) {
  return equal_split(x, sections, split_dim(x, 2, 3, "dsplit"), "dsplit");
}

TensorList dsplit(const Tensor& x, const std::vector<int64_t>& indices) {
  return tensor_split(x, indices, split_dim(x, 2, 3, "dsplit"));
}

TensorList unbind(const Tensor& x, int64_t dim) {
  detail::check_defined(x, "unbind");
  MG_CHECK(x.dim() >= 1, "unbind: expected a tensor of at least 1 dim, got a 0-d tensor");
  const int64_t d = normalize_dim(dim, x.dim(), "unbind");
  TensorList out;
  out.reserve(static_cast<size_t>(x.size(d)));
  for (int64_t i = 0; i < x.size(d); ++i) out.push_back(select(x, d, i));
  return out;
}

Tensor swapaxes(const Tensor& x, int64_t axis0, int64_t axis1) {
  return transpose(x, axis0, axis1);
}

Tensor swapdims(const Tensor& x, int64_t dim0, int64_t dim1) { return transpose(x, dim0, dim1); }

Tensor moveaxis(const Tensor& x, int64_t source, int64_t destination) {
  return movedim(x, source, destination);
}

Tensor fliplr(const Tensor& x) {
  split_dim(x, 1, 2, "fliplr");
  return flip(x, {1});
}

Tensor flipud(const Tensor& x) {
  split_dim(x, 0, 1, "flipud");
  return flip(x, {0});
}

Tensor diag(const Tensor& x, int64_t diagonal_index) {
  detail::check_defined(x, "diag");
  MG_CHECK(x.dim() == 1 || x.dim() == 2,
           "diag: expected a 1-D tensor (to make a matrix) or a 2-D one (to read a diagonal), got "
           "shape {}",
           shape_str(x.shape()));
  if (x.dim() == 1) return diag_embed(x, diagonal_index);
  return diagonal(x, diagonal_index, 0, 1).contiguous();
}

Tensor diagflat(const Tensor& x, int64_t offset) {
  detail::check_defined(x, "diagflat");
  return diag_embed(reshape(x, {x.numel()}), offset);
}

}  // namespace metagrad
