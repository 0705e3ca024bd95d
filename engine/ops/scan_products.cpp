// cumprod and logcumsumexp (scan.hpp) as Hillis-Steele scans: round k combines each element
// with the one 2^k before it, so after ceil(log2 n) rounds element i holds the combination of
// elements 0..i. Each round is one differentiable op on shifted slices (mul or logaddexp), so
// the scans inherit every derivative order, zeros and -inf included.
#include <optional>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// The Hillis-Steele inclusive scan of x along dim with the associative `combine`; a new tensor.
template <typename Combine>
Tensor inclusive_scan(const Tensor& x, int64_t dim, const char* op, Combine combine) {
  if (x.dim() == 0) {
    normalize_dim(dim, 1, op);
    return x.clone();
  }
  const int d = normalize_dim(dim, x.dim(), op);
  const int64_t n = x.size(d);
  if (n <= 1) return x.clone();
  Tensor y = x;
  for (int64_t shift = 1; shift < n; shift *= 2) {
    const Tensor combined = combine(slice(y, d, shift, std::nullopt), slice(y, d, 0, n - shift));
    y = cat({slice(y, d, 0, shift), combined}, d);
  }
  return y;
}

}  // namespace

Tensor cumprod(const Tensor& x, int64_t dim) {
  detail::check_defined(x, "cumprod");
  const Tensor values = is_floating(x.dtype()) ? x : x.to(kInt64);
  return inclusive_scan(values, dim, "cumprod",
                        [](const Tensor& later, const Tensor& earlier) { return later * earlier; });
}

Tensor logcumsumexp(const Tensor& x, int64_t dim) {
  detail::check_floating(x, "logcumsumexp");
  return inclusive_scan(x, dim, "logcumsumexp", [](const Tensor& later, const Tensor& earlier) {
    return logaddexp(later, earlier);
  });
}

}  // namespace metagrad
