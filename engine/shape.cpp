#include "engine/shape.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace metagrad {

std::string shape_str(const Dims& dims) { return fmt::format("[{}]", fmt::join(dims, ", ")); }

// Note [size overflow]
// Every product of sizes (element counts, strides, byte counts) is computed with an overflow check:
// an unchecked product that wraps allocates a few bytes and then writes past them. The limits are
// PyTorch's: an element count fits int64, a storage fits kMaxTensorBytes (PTRDIFF_MAX) bytes, and
// contiguous strides (products of max(size, 1)) fit int64. A shape with a zero size has no
// elements whatever its other sizes, so [2^63 - 1, 0] and [0, 2^63 - 1] are both valid empty
// shapes; only their strides can overflow (PyTorch's "Stride calculation overflowed").

int64_t numel_of(const Dims& shape, const char* op) {
  int64_t n = 1;
  bool overflow = false;
  for (int64_t s : shape) {
    if (s == 0) return 0;
    overflow |= __builtin_mul_overflow(n, s, &n);
  }
  MG_CHECK(!overflow,
           "{}: shape {} has more elements than fit in int64 (the product of the sizes exceeds "
           "{}); use smaller sizes",
           op, shape_str(shape), INT64_MAX);
  return n;
}

int64_t checked_mul(int64_t a, int64_t b, const char* op, const char* what) {
  int64_t out;
  MG_CHECK(!__builtin_mul_overflow(a, b, &out), "{}: {} overflows int64 ({} * {} > {})", op, what,
           a, b, INT64_MAX);
  return out;
}

int64_t checked_add(int64_t a, int64_t b, const char* op, const char* what) {
  int64_t out;
  MG_CHECK(!__builtin_add_overflow(a, b, &out), "{}: {} overflows int64 ({} + {} > {})", op, what,
           a, b, INT64_MAX);
  return out;
}

int64_t storage_nbytes(const Dims& shape, int64_t element_size, std::string_view dtype,
                       const char* op) {
  const int64_t n = numel_of(shape, op);
  int64_t bytes;
  const bool overflow = __builtin_mul_overflow(n, element_size, &bytes);
  MG_CHECK(!overflow && bytes <= kMaxTensorBytes,
           "{}: a {} tensor of shape {} needs {} elements * {} bytes{}, more than the largest "
           "tensor storage ({} bytes, PTRDIFF_MAX); use smaller sizes",
           op, dtype, shape_str(shape), n, element_size,
           overflow ? std::string(" (overflows int64)") : fmt::format(" = {} bytes", bytes),
           kMaxTensorBytes);
  return bytes;
}

Dims contiguous_strides(const Dims& shape, const char* op) {
  Dims strides(shape.size(), 1);
  for (int i = shape.size() - 2; i >= 0; --i) {
    MG_CHECK(
        !__builtin_mul_overflow(strides[i + 1], std::max<int64_t>(shape[i + 1], 1), &strides[i]),
        "{}: stride calculation overflowed for shape {} (the product of the sizes after "
        "dimension {}, counting 0 as 1, exceeds {}); use smaller sizes",
        op, shape_str(shape), i, INT64_MAX);
  }
  return strides;
}

int normalize_dim(int64_t dim, int ndim, const char* op) {
  const int64_t wrapped = dim < 0 ? dim + ndim : dim;
  if (wrapped >= 0 && wrapped < ndim) [[likely]]
    return static_cast<int>(wrapped);
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
  for (int64_t d : dims)
    out.push_back(ndim == 0 ? (normalize_dim(d, 0, op), 0) : normalize_dim(d, ndim, op));
  std::sort(out.begin(), out.end());
  for (int i = 1; i < out.size(); ++i)
    MG_CHECK(out[i] != out[i - 1], "{}: dim {} appears multiple times in the list of dims", op,
             out[i]);
  if (ndim == 0) out = Dims{};
  return out;
}

}  // namespace metagrad
