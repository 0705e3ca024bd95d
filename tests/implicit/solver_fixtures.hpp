#pragma once

// Systems for the solver tests (tests/implicit/{linalg,linear_solve}_test.cpp): seeded SPD and
// non-symmetric matrices, and a reference solve by Eigen's full-pivoting LU on float64 copies.
#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "tests/support/helpers.hpp"

namespace metagrad::testing {

/// A seeded SPD matrix Q Qᵀ / n + shift I, [n, n] float64, no history.
inline Tensor spd_matrix(int64_t n, uint64_t seed, double shift = 1.0) {
  NoGradGuard no_grad;
  Tensor q = randn64({n, n}, seed).detach();
  return (matmul(q, q.t()) / static_cast<double>(n) + eye(n, n, kFloat64) * shift).contiguous();
}

/// A seeded non-symmetric, well-conditioned matrix: I·shift + 0.5 R / √n, [n, n] float64.
inline Tensor nonsym_matrix(int64_t n, uint64_t seed, double shift = 2.0) {
  NoGradGuard no_grad;
  Tensor r = randn64({n, n}, seed).detach();
  return (r * (0.5 / std::sqrt(static_cast<double>(n))) + eye(n, n, kFloat64) * shift).contiguous();
}

/// A seeded float64 vector (or tensor of `shape`) without history.
inline Tensor vec64(const Dims& shape, uint64_t seed) { return randn64(shape, seed).detach(); }

/// The solution of A x = b (A [n, n], b with n elements, any shape) by Eigen, shaped like b.
inline Tensor reference_solve(const Tensor& A, const Tensor& b) {
  const int64_t n = A.size(0);
  const std::vector<double> a = A.to_vector<double>(), rhs = b.to_vector<double>();
  Eigen::MatrixXd m(n, n);
  Eigen::VectorXd v(n);
  for (int64_t i = 0; i < n; ++i) {
    v(i) = rhs[i];
    for (int64_t j = 0; j < n; ++j) m(i, j) = a[i * n + j];
  }
  const Eigen::VectorXd x = m.fullPivLu().solve(v);
  return tensor(std::vector<double>(x.data(), x.data() + n), b.shape(), kFloat64);
}

}  // namespace metagrad::testing
