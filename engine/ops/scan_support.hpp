#pragma once

#include <optional>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

// The Hillis-Steele scan shared by the scans built of differentiable ops (not public).
namespace metagrad::detail {

/// The inclusive scan of x along dim with the associative `combine(later, earlier)`: round k
/// combines each element with the one 2^k before it, so after ceil(log2 n) rounds element i holds
/// the combination of elements 0..i. A new tensor (a clone for fewer than two elements).
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

}  // namespace metagrad::detail
