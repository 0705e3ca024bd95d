// normalize, cosine_similarity, pairwise_distance and cdist, composed of public differentiable ops
// (norm, clamp, matmul) as PyTorch composes them, so they have derivatives of every order.
#include <algorithm>

#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {

Tensor normalize(const Tensor& input, double p, int64_t dim, double eps) {
  detail::check_floating(input, "normalize");
  const int d = normalize_dim(dim, std::max(input.dim(), 1), "normalize");
  // x / max(||x||_p, eps) along dim
  return input / clamp(norm(input, p, Dims{d}, true), eps, std::nullopt);
}

Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim, double eps) {
  detail::check_floating(x1, "cosine_similarity");
  detail::check_same_kind(x1, x2, "cosine_similarity");
  const Dims shape = broadcast_shapes(x1.shape(), x2.shape(), "cosine_similarity");
  const int d = normalize_dim(dim, std::max(shape.size(), 1), "cosine_similarity");
  const Tensor a = expand(x1, shape), b = expand(x2, shape);
  // Σ (x1 / max(||x1||, eps)) (x2 / max(||x2||, eps)): each divided by its norm first, as
  // PyTorch, which keeps the result within [-1, 1]
  const Tensor a_unit = a / clamp(norm(a, 2.0, Dims{d}, true), eps, std::nullopt);
  const Tensor b_unit = b / clamp(norm(b, 2.0, Dims{d}, true), eps, std::nullopt);
  return sum(a_unit * b_unit, Dims{d});
}

Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p, double eps, bool keepdim) {
  detail::check_floating(x1, "pairwise_distance");
  detail::check_same_kind(x1, x2, "pairwise_distance");
  const int last = std::max({x1.dim(), x2.dim(), 1}) - 1;
  // ||x1 - x2 + eps||_p over the last dim
  return norm(x1 - x2 + eps, p, Dims{last}, keepdim);
}

Tensor cdist(const Tensor& x1, const Tensor& x2, double p, CdistComputeMode compute_mode) {
  const char* op = "cdist";
  detail::check_floating(x1, op);
  detail::check_same_kind(x1, x2, op);
  MG_CHECK(x1.dim() >= 2 && x2.dim() >= 2,
           "cdist: x1 and x2 must have at least 2 dims ([*, P, M] and [*, R, M]), got shapes {} "
           "and {}",
           shape_str(x1.shape()), shape_str(x2.shape()));
  MG_CHECK(x1.size(-1) == x2.size(-1),
           "cdist: x1 and x2 must have the same number of columns M, got shapes {} and {}",
           shape_str(x1.shape()), shape_str(x2.shape()));
  MG_CHECK(p >= 0.0, "cdist: p must be non-negative, got {}", p);
  const int64_t rows1 = x1.size(-2), rows2 = x2.size(-2);
  const bool use_mm =
      p == 2.0 && (compute_mode == CdistComputeMode::UseMmForEuclidDist ||
                   (compute_mode == CdistComputeMode::UseMmForEuclidDistIfNecessary &&
                    (rows1 > 25 || rows2 > 25)));
  if (use_mm) {
    // ||a - b||^2 = -2 a.b + ||a||^2 + ||b||^2 as one product of [a, ||a||^2, 1] and
    // [b, 1, ||b||^2]; clamped at 0 before the square root (PyTorch's _euclidean_dist)
    const Tensor sq1 = sum(square(x1), Dims{-1}, true), sq2 = sum(square(x2), Dims{-1}, true);
    const Tensor left = cat({x1 * -2.0, sq1, ones_like(sq1)}, -1);
    const Tensor right = cat({x2, ones_like(sq2), sq2}, -1);
    return sqrt(clamp(matmul(left, transpose(right, -1, -2)), 0.0, std::nullopt));
  }
  // ||x1[.., i, :] - x2[.., j, :]||_p for every pair
  return norm(unsqueeze(x1, -2) - unsqueeze(x2, -3), p, Dims{-1}, false);
}

}  // namespace metagrad
