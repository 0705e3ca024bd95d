#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/backend/backend.hpp"
#include "engine/tensor.hpp"

// What the dense linalg functions (engine/ops/dense_linalg.hpp) share: operand checks, batches
// of matrices as the [B, m, n] views the backend factorizes, and messages that name a failing
// batch element.
namespace metagrad::linalg::detail {

/// Throws unless A is a defined float tensor with at least 2 dims whose last two are equal,
/// naming `op`.
void check_square(const Tensor& A, const char* op);
/// Throws unless A is a defined float tensor with at least 2 dims (a batch of matrices), naming
/// `op`.
void check_matrix(const Tensor& A, const char* op);
/// Throws unless a and b share a float dtype and a device, naming `op`.
void check_operand_pair(const Tensor& a, const Tensor& b, const char* op);

/// The matrices' transposes: x with its last two dims swapped.
Tensor mT(const Tensor& x);
/// All dims of x but the last `trailing`.
Dims batch_shape(const Tensor& x, int trailing = 2);
/// `batch` followed by `trailing`.
Dims concat_shape(const Dims& batch, const Dims& trailing);

/// The factors of Backend::decompose for the batch A [*, n, n], shaped [*, ...] (history-free).
struct Factorization {
  TensorList factors;
  /// One status per matrix, flattened over the batch dims.
  std::vector<int64_t> info;
};
/// Runs `kind` on every matrix of A; `factor_shapes` are the trailing shapes of the factors
/// and `factor_dtypes` their dtypes.
Factorization factorize(Decomposition kind, const Tensor& A, const std::vector<Dims>& factor_shapes,
                        const std::vector<DType>& factor_dtypes);

/// "" for a single matrix, else " (batch element (i, j))" for the flat index `flat` of `batch`.
std::string batch_element(const Dims& batch, int64_t flat);

/// inv(A) for A [*, n, n] (a solve against the identity, differentiable), a singular matrix an
/// error naming `op` (defined in linalg_lu.cpp).
Tensor inverse(const Tensor& A, const char* op);

/// The first index with a nonzero status, or -1.
int64_t first_failure(const std::vector<int64_t>& info);

}  // namespace metagrad::linalg::detail
