// tril, triu, diagonal and trace, composed of where, permute, reshape, slice and sum, so each has
// derivatives of every order from theirs and runs on every backend.
#include <algorithm>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// x with the entries of its last two dims outside the band zeroed: keeps col - row <= diagonal
// (lower) or col - row >= diagonal (upper).
Tensor triangle(const Tensor& x, int64_t diagonal, bool lower, const char* op) {
  detail::check_defined(x, op);
  MG_CHECK(x.dim() >= 2,
           "{}: input must have at least 2 dimensions (a matrix or a batch of them), "
           "got shape {}",
           op, shape_str(x.shape()));
  const TensorOptions index_options(kInt64, x.device());
  const Tensor rows = reshape(arange(static_cast<double>(x.size(-2)), index_options), {-1, 1});
  const Tensor cols = arange(static_cast<double>(x.size(-1)), index_options);
  const Tensor offset = cols - rows;
  const Tensor keep =
      lower ? le(offset, static_cast<double>(diagonal)) : ge(offset, static_cast<double>(diagonal));
  return where(keep, x, zeros_like(x));
}

}  // namespace

Tensor tril(const Tensor& x, int64_t diagonal) { return triangle(x, diagonal, true, "tril"); }

Tensor triu(const Tensor& x, int64_t diagonal) { return triangle(x, diagonal, false, "triu"); }

Tensor diagonal(const Tensor& x, int64_t offset, int64_t dim1, int64_t dim2) {
  detail::check_defined(x, "diagonal");
  MG_CHECK(x.dim() >= 2, "diagonal: input must have at least 2 dimensions, got shape {}",
           shape_str(x.shape()));
  const int d1 = normalize_dim(dim1, x.dim(), "diagonal");
  const int d2 = normalize_dim(dim2, x.dim(), "diagonal");
  MG_CHECK(d1 != d2, "diagonal: dim1 and dim2 must differ, both are {} (input shape {})", d1,
           shape_str(x.shape()));
  // The two dims last, as [..., n, m]; then the diagonal is every (m + 1)-th element of the
  // flattened matrix, from (0, offset) or (-offset, 0).
  Dims order;
  for (int d = 0; d < x.dim(); ++d)
    if (d != d1 && d != d2) order.push_back(d);
  order.push_back(d1);
  order.push_back(d2);
  const Tensor matrices = permute(x, order);
  const int64_t n = x.size(d1), m = x.size(d2);
  const int64_t length =
      std::max<int64_t>(0, offset >= 0 ? std::min(n, m - offset) : std::min(n + offset, m));
  Dims flat_shape = matrices.shape();
  flat_shape.pop_back();
  flat_shape.back() = n * m;
  const Tensor flat = reshape(matrices, flat_shape);
  if (length == 0) return slice(flat, -1, 0, 0);
  const int64_t start = offset >= 0 ? offset : -offset * m;
  return slice(flat, -1, start, start + (length - 1) * (m + 1) + 1, m + 1);
}

Tensor trace(const Tensor& x) {
  detail::check_defined(x, "trace");
  MG_CHECK(x.dim() == 2, "trace: expected a matrix (2-D input), got shape {}",
           shape_str(x.shape()));
  return sum(diagonal(x));
}

}  // namespace metagrad
