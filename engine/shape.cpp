#include "engine/shape.hpp"

#include <fmt/format.h>

namespace metagrad {

std::string shape_str(const Dims& dims) { return fmt::format("[{}]", fmt::join(dims, ", ")); }

int64_t numel_of(const Dims& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

Dims contiguous_strides(const Dims& shape) {
  Dims strides(shape.size(), 1);
  for (int i = shape.size() - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * std::max<int64_t>(shape[i + 1], 1);
  return strides;
}

int normalize_dim(int64_t dim, int ndim, const char* op) {
  const int64_t lo = -std::max(ndim, 1), hi = std::max(ndim, 1) - 1;
  MG_CHECK(dim >= lo && dim <= hi,
           "{}: dimension out of range (expected to be in range of [{}, {}], but got {})", op, lo,
           hi, dim);
  return static_cast<int>(dim < 0 ? dim + std::max(ndim, 1) : dim);
}

Dims broadcast_shapes(const Dims& a, const Dims& b, const char* op) {
  const int n = std::max(a.size(), b.size());
  Dims out(n, 1);
  for (int i = 0; i < n; ++i) {
    const int ia = a.size() - n + i, ib = b.size() - n + i;
    const int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
    MG_CHECK(sa == sb || sa == 1 || sb == 1,
             "{}: shapes {} and {} cannot be broadcast together (size {} vs {} at dimension {}); "
             "make the sizes equal or 1",
             op, shape_str(a), shape_str(b), sa, sb, i);
    out[i] = sa == 1 ? sb : sa;
  }
  return out;
}

Dims reduction_dims(const Dims& dims, int ndim, const char* op) {
  Dims out;
  if (dims.empty()) {
    for (int i = 0; i < ndim; ++i) out.push_back(i);
    return out;
  }
  for (int64_t d : dims) out.push_back(ndim == 0 ? (normalize_dim(d, 0, op), 0) : normalize_dim(d, ndim, op));
  std::sort(out.begin(), out.end());
  for (int i = 1; i < out.size(); ++i)
    MG_CHECK(out[i] != out[i - 1], "{}: dim {} appears multiple times in the list of dims", op,
             out[i]);
  if (ndim == 0) out = Dims{};
  return out;
}

}  // namespace metagrad
