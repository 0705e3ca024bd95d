#include <cmath>
#include <limits>
#include <vector>

#include "engine/error.hpp"
#include "engine/ops.hpp"
#include "engine/ops/dense_linalg.hpp"
#include "engine/ops/linalg_support.hpp"
#include "engine/ops/op_support.hpp"

// torch.linalg's norms and products, composed of differentiable ops: vector_norm, matrix_norm,
// multi_dot (in the cheapest order), matrix_power and cross.
namespace metagrad::linalg {
namespace {

// The cheapest parenthesization of a chain of matrices with dims[i] x dims[i + 1] (the classic
// O(count³) dynamic program); split[i][j] is where the product of i..j splits.
std::vector<std::vector<int64_t>> chain_splits(const std::vector<int64_t>& dims) {
  const size_t count = dims.size() - 1;
  std::vector<std::vector<double>> cost(count, std::vector<double>(count, 0.0));
  std::vector<std::vector<int64_t>> split(count, std::vector<int64_t>(count, 0));
  for (size_t length = 2; length <= count; ++length) {
    for (size_t i = 0; i + length <= count; ++i) {
      const size_t j = i + length - 1;
      cost[i][j] = std::numeric_limits<double>::infinity();
      for (size_t k = i; k < j; ++k) {
        const double c = cost[i][k] + cost[k + 1][j] +
                         static_cast<double>(dims[i]) * static_cast<double>(dims[k + 1]) *
                             static_cast<double>(dims[j + 1]);
        if (c < cost[i][j]) {
          cost[i][j] = c;
          split[i][j] = static_cast<int64_t>(k);
        }
      }
    }
  }
  return split;
}

Tensor chain_product(const TensorList& matrices, const std::vector<std::vector<int64_t>>& split,
                     size_t i, size_t j) {
  if (i == j) return matrices[i];
  const size_t k = static_cast<size_t>(split[i][j]);
  return matmul(chain_product(matrices, split, i, k), chain_product(matrices, split, k + 1, j));
}

}  // namespace

Tensor vector_norm(const Tensor& x, double ord, const Dims& dims, bool keepdim) {
  metagrad::detail::check_floating(x, "linalg::vector_norm");
  return norm(x, ord, dims, keepdim);
}

namespace {

// A [*] result as [*, 1, 1] when keepdim.
Tensor keep_matrix_dims(const Tensor& x, bool keepdim) {
  return keepdim ? x.unsqueeze(-1).unsqueeze(-1) : x;
}

}  // namespace

Tensor matrix_norm(const Tensor& A, const std::string& ord, bool keepdim) {
  detail::check_matrix(A, "linalg::matrix_norm");
  MG_CHECK(ord == "fro" || ord == "nuc",
           "linalg::matrix_norm: ord must be \"fro\", \"nuc\" or a number (2, -2, 1, -1, inf, "
           "-inf), got \"{}\"",
           ord);
  if (ord == "nuc") return keep_matrix_dims(sum(svdvals(A), {-1}), keepdim);
  return norm(A, 2.0, {-2, -1}, keepdim);
}

Tensor matrix_norm(const Tensor& A, double ord, bool keepdim) {
  detail::check_matrix(A, "linalg::matrix_norm");
  if (ord == 2.0 || ord == -2.0) {
    const Tensor s = svdvals(A);
    return keep_matrix_dims(ord > 0 ? amax(s, {-1}) : amin(s, {-1}), keepdim);
  }
  const bool columns = ord == 1.0 || ord == -1.0;
  const bool rows = std::isinf(ord);
  MG_CHECK(columns || rows,
           "linalg::matrix_norm: ord must be 2, -2, 1, -1, inf, -inf, \"fro\" or \"nuc\", got {}",
           ord);
  // 1-norms: the largest (smallest) column sum of |A|; inf-norms: the largest (smallest) row sum.
  const int64_t summed = columns ? -2 : -1;
  const int64_t compared = columns ? -1 : -2;
  Tensor sums = sum(abs(A), {summed}, /*keepdim=*/true);
  sums = ord > 0 ? amax(sums, {compared}, true) : amin(sums, {compared}, true);
  return keepdim ? sums : sums.squeeze(-1).squeeze(-1);
}

Tensor multi_dot(const TensorList& matrices) {
  MG_CHECK(matrices.size() >= 2, "linalg::multi_dot: expected at least 2 tensors, got {}",
           matrices.size());
  TensorList operands = matrices;
  for (size_t i = 0; i < operands.size(); ++i) {
    metagrad::detail::check_floating(operands[i], "linalg::multi_dot");
    metagrad::detail::check_same_kind(operands[0], operands[i], "linalg::multi_dot");
    const bool may_be_vector = i == 0 || i + 1 == operands.size();
    MG_CHECK(operands[i].dim() == 2 || (may_be_vector && operands[i].dim() == 1),
             "linalg::multi_dot: tensor {} must be 2-D{}, got shape {}", i,
             may_be_vector ? " or 1-D" : "", shape_str(operands[i].shape()));
  }
  const bool row_vector = operands.front().dim() == 1;
  const bool column_vector = operands.back().dim() == 1;
  if (row_vector) operands.front() = operands.front().unsqueeze(0);
  if (column_vector) operands.back() = operands.back().unsqueeze(-1);
  std::vector<int64_t> dims{operands[0].size(0)};
  for (size_t i = 0; i < operands.size(); ++i) {
    MG_CHECK(operands[i].size(0) == dims.back(),
             "linalg::multi_dot: tensors {} and {} cannot be multiplied: shapes {} and {}", i - 1,
             i, shape_str(matrices[i - 1].shape()), shape_str(matrices[i].shape()));
    dims.push_back(operands[i].size(1));
  }
  Tensor product = chain_product(operands, chain_splits(dims), 0, operands.size() - 1);
  if (column_vector) product = product.squeeze(-1);
  if (row_vector) product = product.squeeze(0);
  return product;
}

Tensor matrix_power(const Tensor& A, int64_t n) {
  detail::check_square(A, "linalg::matrix_power");
  const int64_t size = A.size(-1);
  if (n == 0)
    return eye(size, size, TensorOptions(A.dtype(), A.device())).expand(A.shape()).clone();
  Tensor base = n < 0 ? detail::inverse(A, "linalg::matrix_power") : A;
  // Repeated squaring: |n| = Σ bits, A^|n| = Π A^(2^bit).
  uint64_t remaining = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  Tensor result;
  while (true) {
    if (remaining & 1U) result = result.defined() ? matmul(result, base) : base;
    remaining >>= 1U;
    if (remaining == 0) break;
    base = matmul(base, base);
  }
  return result;
}

Tensor cross(const Tensor& a, const Tensor& b, int64_t dim) {
  metagrad::detail::check_floating(a, "linalg::cross");
  metagrad::detail::check_same_kind(a, b, "linalg::cross");
  const Dims shape = broadcast_shapes(a.shape(), b.shape(), "linalg::cross");
  const int64_t rank = static_cast<int64_t>(shape.size());
  MG_CHECK(dim >= -rank && dim < rank && shape[dim < 0 ? dim + rank : dim] == 3,
           "linalg::cross: dim {} must have size 3 in the broadcast shape {} of {} and {}", dim,
           shape_str(shape), shape_str(a.shape()), shape_str(b.shape()));
  const int64_t d = dim < 0 ? dim + rank : dim;
  const Tensor x = a.expand(shape), y = b.expand(shape);
  // (a × b)[i] = a[i+1] b[i+2] - a[i+2] b[i+1], indices mod 3.
  return roll(x, {-1}, {d}) * roll(y, {-2}, {d}) - roll(x, {-2}, {d}) * roll(y, {-1}, {d});
}

}  // namespace metagrad::linalg
