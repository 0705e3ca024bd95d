#pragma once

// The table of public ops the CUDA suite runs on both devices (forward in ops_test.cpp, backward
// and double backward in backward_test.cpp): each case makes CPU inputs of a float dtype, the test
// copies them to the device, runs the same function on both and compares the results.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "metagrad.hpp"

namespace metagrad::testing {

/// One op call of the table.
struct OpCase {
  std::string name;
  /// CPU inputs for float dtype `dtype` (float32 or float64): float inputs of that dtype (those
  /// to differentiate require grad), int64 indices and labels, bool masks.
  std::function<TensorList(DType dtype)> inputs;
  /// The op: the same code runs on CPU and device inputs.
  std::function<TensorList(const TensorList&)> fn;
  /// The longest sum that makes one output element (scales the float32 tolerance).
  int64_t reduction = 1;
  /// Whether backward and double backward are compared (at least one input requires grad).
  bool differentiable = true;
  /// Whether the op takes inputs of any layout (layout_invariance_test.cpp); false for view(),
  /// which rejects strides it cannot view as the new shape, as PyTorch's does.
  bool any_layout = true;
};

/// Elementwise unary and binary ops, comparisons, where, clamp, pow (op_cases_math.cpp).
std::vector<OpCase> elementwise_cases();
/// Reductions, matrix products (op_cases_math.cpp).
std::vector<OpCase> reduction_and_linalg_cases();
/// Shape, index, join/split ops, casts (op_cases_index.cpp).
std::vector<OpCase> shape_and_index_cases();
/// Convolution, pooling and nn functional ops (op_cases_nn.cpp).
std::vector<OpCase> nn_cases();
/// Every table above.
std::vector<OpCase> all_op_cases();

/// A CPU tensor of `shape` and `dtype` uniform in [low, high) from `seed`, requiring grad when
/// `requires_grad`.
Tensor uniform(const Dims& shape, DType dtype, uint64_t seed, double low = -2.0, double high = 2.0,
               bool requires_grad = true);
/// A CPU int64 tensor of `shape` with values uniform in [low, high) from `seed`.
Tensor integers(const Dims& shape, int64_t low, int64_t high, uint64_t seed);

}  // namespace metagrad::testing
