// Backward of every differentiable op of the table (op_cases.hpp) on the CUDA device against the
// CPU's, double backward (the gradient of a gradient norm), and gradcheck / gradgradcheck in
// float64 on device tensors for a representative set.
#include <algorithm>
#include <string>
#include <vector>

#include "tests/cuda/cuda_test_device.hpp"
#include "tests/cuda/op_cases.hpp"
#include "tests/cuda/op_gradients.hpp"
#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

void check_backward(const OpCase& c, DType dtype, Device device, bool second_order) {
  const std::string what = c.name + " (" + std::string(dtype_name(dtype)) +
                           (second_order ? ", double backward)" : ", backward)");
  try {
    const TensorList cpu_in = c.inputs(dtype);
    const TensorList cpu_grads = gradients(c, cpu_in, second_order);
    const TensorList device_grads = gradients(c, leaves_on(cpu_in, device), second_order);
    if (device_grads.size() != cpu_grads.size()) {
      FAIL_CHECK(what << ": " << device_grads.size() << " gradients on the device, "
                      << cpu_grads.size() << " on the CPU");
      return;
    }
    const int64_t reduction = backward_reduction(c, c.fn(cpu_in)) * (second_order ? 4 : 1);
    for (size_t i = 0; i < cpu_grads.size(); ++i)
      check_matches(device_grads[i], cpu_grads[i], device, tolerance_for(dtype, reduction),
                    what + ", gradient " + std::to_string(i));
  } catch (const std::exception& e) {
    FAIL_CHECK(what << " threw: " << e.what());
  }
}

void check_family(const std::vector<OpCase>& cases, bool second_order) {
  CudaTestDevice device;
  for (const OpCase& c : cases) {
    if (!c.differentiable) continue;
    for (DType dtype : {kFloat64, kFloat32})
      check_backward(c, dtype, device.device(), second_order);
  }
}

}  // namespace

TEST_CASE("cuda backward: elementwise ops", "[cuda][backward][elementwise]") {
  check_family(elementwise_cases(), false);
}
TEST_CASE("cuda backward: reductions and matrix products", "[cuda][backward][reduce]") {
  check_family(reduction_and_linalg_cases(), false);
}
TEST_CASE("cuda backward: shape and index ops", "[cuda][backward][index]") {
  check_family(shape_and_index_cases(), false);
}
TEST_CASE("cuda backward: convolution, pooling and nn functional ops", "[cuda][backward][nn]") {
  check_family(nn_cases(), false);
}

TEST_CASE("cuda double backward: elementwise ops", "[cuda][double_backward][elementwise]") {
  check_family(elementwise_cases(), true);
}
TEST_CASE("cuda double backward: reductions and matrix products",
          "[cuda][double_backward][reduce]") {
  check_family(reduction_and_linalg_cases(), true);
}
TEST_CASE("cuda double backward: shape and index ops", "[cuda][double_backward][index]") {
  check_family(shape_and_index_cases(), true);
}
TEST_CASE("cuda double backward: convolution, pooling and nn functional ops",
          "[cuda][double_backward][nn]") {
  check_family(nn_cases(), true);
}

namespace {

// A small float64 case for gradcheck on the device: inputs (made on the CPU) and the function.
struct GradcheckCase {
  std::string name;
  TensorList inputs;
  CheckedFunction fn;
};

Tensor u64(const Dims& shape, uint64_t seed, double low = -1.5, double high = 1.5) {
  return uniform(shape, kFloat64, seed, low, high);
}

std::vector<GradcheckCase> gradcheck_cases() {
  using L = const TensorList&;
  return {
      {"mul, div with broadcasting",
       {u64({2, 3}, 1), u64({3}, 2, 0.5, 2)},
       [](L x) { return TensorList{x[0] * x[1] / (x[1] + 1.0)}; }},
      {"exp, log, tanh, sigmoid",
       {u64({2, 3}, 3, 0.2, 2)},
       [](L x) { return TensorList{exp(x[0]) + log(x[0]) * tanh(x[0]) - sigmoid(x[0])}; }},
      {"pow(a, b), sqrt",
       {u64({4}, 4, 0.3, 2), u64({4}, 5)},
       [](L x) { return TensorList{pow(x[0], x[1]) + sqrt(x[0])}; }},
      {"sum, mean, amax over dims",
       {u64({2, 3, 2}, 6)},
       [](L x) {
         return TensorList{sum(x[0], {1}) * mean(x[0], {1}), amax(x[0], {0, 2}, true)};
       }},
      {"max along a dim, prod, norm",
       {u64({3, 3}, 7)},
       [](L x) {
         return TensorList{std::get<0>(max(x[0], 1)), prod(x[0], 0), norm(x[0], 3.0, {1})};
       }},
      {"var, logsumexp",
       {u64({3, 4}, 8)},
       [](L x) {
         return TensorList{var(x[0], {1}), logsumexp(x[0], {0})};
       }},
      {"batched matmul with broadcasting",
       {u64({2, 1, 2, 3}, 9), u64({3, 2}, 10)},
       [](L x) { return TensorList{matmul(x[0], x[1])}; }},
      {"gather, scatter_add",
       {u64({3, 3}, 11), integers({2, 3}, 0, 3, 12), u64({2, 3}, 13)},
       [](L x) {
         return TensorList{gather(x[0], 0, x[1]) * scatter_add(x[0], 0, x[1], x[2]).sum()};
       }},
      {"index_select, index_add",
       {u64({3, 2}, 14), integers({4}, 0, 3, 15), u64({4, 2}, 16)},
       [](L x) {
         return TensorList{index_select(x[0], 0, x[1]) * x[2],
                           index_add(x[0], 0, x[1], x[2] * x[2])};
       }},
      {"cat, pad, strided slice",
       {u64({2, 3}, 17), u64({1, 3}, 18)},
       [](L x) {
         const Tensor joined = cat({x[0], x[1] * x[1]});
         return TensorList{pad(joined, {1, -1, 0, 1}) * 2.0, joined.slice(1, 0, 3, 2)};
       }},
      {"conv2d",
       {u64({1, 2, 4, 4}, 19), u64({2, 2, 2, 2}, 20), u64({2}, 21)},
       [](L x) { return TensorList{conv2d(x[0], x[1], x[2], 1, 1)}; }},
      {"conv2d per task and grouped",
       {u64({2, 1, 2, 4, 4}, 23), u64({2, 2, 2, 2, 2}, 24), u64({2, 2}, 25)},
       [](L x) {
         return TensorList{
             conv2d(x[0], x[1], x[2], 1, 1),
             conv2d(x[0].select(0, 0), x[1].select(0, 1).slice(1, 0, 1), {}, 1, 0, 1, 2)};
       }},
      {"max_pool2d, avg_pool2d",
       {u64({1, 1, 4, 4}, 22)},
       [](L x) {
         return TensorList{max_pool2d(x[0], 2) * 1.0, avg_pool2d(x[0], 3, 1, 1)};
       }},
      {"softmax, cross_entropy",
       {u64({3, 4}, 23), integers({3}, 0, 4, 24)},
       [](L x) {
         return TensorList{softmax(x[0], 1), cross_entropy(x[0], x[1], {.label_smoothing = 0.1})};
       }},
      {"batch_norm in training",
       {u64({4, 2, 2}, 25), u64({2}, 26, 0.5, 1.5), u64({2}, 27)},
       [](L x) { return TensorList{batch_norm(x[0], {}, {}, x[1], x[2], true)}; }},
      {"linalg::solve",
       {(u64({3, 3}, 29) + 3.0 * eye(3, -1, kFloat64)).detach().requires_grad_(), u64({3, 2}, 30)},
       [](L x) { return TensorList{linalg::solve(x[0], x[1])}; }},
      {"to(cpu) and back",
       {u64({2, 2}, 28)},
       [](L x) {
         const Device here = x[0].device();
         return TensorList{(exp(x[0].to(kCPU)) * 2.0).to(here) * x[0]};
       }},
  };
}

}  // namespace

TEST_CASE("cuda gradcheck and gradgradcheck in float64 on device tensors",
          "[cuda][backward][gradcheck]") {
  CudaTestDevice device;
  for (const GradcheckCase& c : gradcheck_cases()) {
    INFO(c.name);
    try {
      const TensorList inputs = leaves_on(c.inputs, device.device());
      const TensorList out = c.fn(inputs);
      for (const Tensor& o : out) CHECK(o.device() == device.device());
      check_grads(c.fn, inputs);
    } catch (const std::exception& e) {
      FAIL_CHECK(c.name << " threw: " << e.what());
    }
  }
}
