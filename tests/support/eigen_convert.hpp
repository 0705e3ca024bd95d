#pragma once

// Tensors to and from Eigen, for tests that check results against a dense Eigen reference.
#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "metagrad.hpp"

namespace metagrad::testing {

using Matrix = Eigen::MatrixXd;
using Vector = Eigen::VectorXd;

/// A 1-D or 2-D tensor's values as a matrix (a 1-D tensor as one column); no history.
inline Matrix to_matrix(const Tensor& t) {
  const Tensor c = t.detach().contiguous();
  const int64_t rows = c.shape()[0];
  const int64_t cols = c.dim() == 2 ? c.shape()[1] : 1;
  const std::vector<double> v = c.to_vector<double>();
  Matrix m(rows, cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) m(i, j) = v[i * cols + j];
  return m;
}

/// A tensor's values, flattened in row-major order; no history.
inline Vector to_vec(const Tensor& t) {
  const std::vector<double> v = t.detach().contiguous().to_vector<double>();
  return Eigen::Map<const Vector>(v.data(), static_cast<Eigen::Index>(v.size()));
}

/// A 1-D float64 tensor of the vector's values.
inline Tensor from_vec(const Vector& v) {
  return tensor(std::vector<double>(v.data(), v.data() + v.size()), kFloat64);
}

}  // namespace metagrad::testing
