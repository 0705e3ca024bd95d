// Forward of every public op on the CUDA device against the CPU backend on the same inputs
// (the table in op_cases.hpp), factories with a device option, seeded random numbers and casts.
#include <string>
#include <vector>

#include "tests/cuda/cuda_test_device.hpp"
#include "tests/cuda/op_cases.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

// Runs `c` on CPU inputs of `dtype` and on their copies on `device` and compares every output.
void check_forward(const OpCase& c, DType dtype, Device device) {
  const std::string what = c.name + " (" + std::string(dtype_name(dtype)) + ")";
  try {
    const TensorList cpu_in = c.inputs(dtype);
    const TensorList cpu_out = c.fn(cpu_in);
    const TensorList device_out = c.fn(leaves_on(cpu_in, device));
    if (device_out.size() != cpu_out.size()) {
      FAIL_CHECK(what << ": " << device_out.size() << " outputs on the device, " << cpu_out.size()
                      << " on the CPU");
      return;
    }
    for (size_t k = 0; k < cpu_out.size(); ++k) {
      const std::string output = what + ", output " + std::to_string(k);
      check_matches(device_out[k], cpu_out[k], device,
                    tolerance_for(cpu_out[k].dtype(), c.reduction), output);
      if (cpu_out[k].defined() && device_out[k].defined()) {
        INFO(output);
        CHECK(device_out[k].requires_grad() == cpu_out[k].requires_grad());
      }
    }
  } catch (const std::exception& e) {
    FAIL_CHECK(what << " threw: " << e.what());
  }
}

void check_family(const std::vector<OpCase>& cases) {
  CudaTestDevice device;
  for (const OpCase& c : cases)
    for (DType dtype : {kFloat64, kFloat32}) check_forward(c, dtype, device.device());
}

}  // namespace

TEST_CASE("cuda forward: elementwise ops equal the CPU's", "[cuda][ops][elementwise]") {
  check_family(elementwise_cases());
}

TEST_CASE("cuda forward: reductions and matrix products equal the CPU's", "[cuda][ops][reduce]") {
  check_family(reduction_and_linalg_cases());
}

TEST_CASE("cuda forward: shape, index, cast and in-place ops equal the CPU's",
          "[cuda][ops][index]") {
  check_family(shape_and_index_cases());
}

TEST_CASE("cuda forward: convolution, pooling and nn functional ops equal the CPU's",
          "[cuda][ops][nn]") {
  check_family(nn_cases());
}

TEST_CASE("cuda factories: a device option gives the CPU's values on the device",
          "[cuda][ops][factory]") {
  CudaTestDevice device;
  const Device dev = device.device();
  for (DType d : {kFloat32, kFloat64, kInt64, kBool}) {
    INFO(dtype_name(d));
    const TensorOptions on_dev(d, dev), on_cpu(d, kCPU);
    const Tolerance exact{};
    try {
      check_matches(zeros({2, 3}, on_dev), zeros({2, 3}, on_cpu), dev, exact, "zeros");
      check_matches(ones({4}, on_dev), ones({4}, on_cpu), dev, exact, "ones");
      check_matches(full({3, 2}, 1.0, on_dev), full({3, 2}, 1.0, on_cpu), dev, exact, "full");
      check_matches(scalar_tensor(1.0, on_dev), scalar_tensor(1.0, on_cpu), dev, exact,
                    "scalar_tensor");
      check_matches(tensor({1, 0, 1, 1}, {2, 2}, on_dev), tensor({1, 0, 1, 1}, {2, 2}, on_cpu), dev,
                    exact, "tensor");
      check_matches(zeros({0, 3}, on_dev), zeros({0, 3}, on_cpu), dev, exact, "empty zeros");
      const Tensor e = empty({2, 5}, on_dev);
      CHECK(e.device() == dev);
      CHECK(e.shape() == Dims{2, 5});
      CHECK(e.dtype() == d);
      if (d == kBool) continue;
      check_matches(full({3, 2}, -3.0, on_dev), full({3, 2}, -3.0, on_cpu), dev, exact, "full");
      check_matches(arange(7, on_dev), arange(7, on_cpu), dev, exact, "arange(7)");
      check_matches(arange(-3, 9, 2, on_dev), arange(-3, 9, 2, on_cpu), dev, exact, "arange");
      check_matches(eye(3, -1, on_dev), eye(3, -1, on_cpu), dev, exact, "eye(3)");
      check_matches(eye(2, 4, on_dev), eye(2, 4, on_cpu), dev, exact, "eye(2, 4)");
      if (d == kInt64) continue;
      const Tolerance t = tolerance_for(d);
      check_matches(arange(1, 4, 0.25, on_dev), arange(1, 4, 0.25, on_cpu), dev, t, "arange 0.25");
      check_matches(linspace(-1, 2, 7, on_dev), linspace(-1, 2, 7, on_cpu), dev, t, "linspace");
      check_matches(full({2}, 0.1, on_dev), full({2}, 0.1, on_cpu), dev, exact, "full(0.1)");
      const Tensor x = uniform({2, 3}, d, 3, -1, 1, false);
      const Tensor xd = x.to(dev);
      check_matches(zeros_like(xd), zeros_like(x), dev, exact, "zeros_like");
      check_matches(ones_like(xd), ones_like(x), dev, exact, "ones_like");
      check_matches(full_like(xd, 2.5), full_like(x, 2.5), dev, exact, "full_like");
      check_matches(full_like(x, 2.5, TensorOptions(d, dev)), full_like(x, 2.5), dev, exact,
                    "full_like onto the device");
      check_matches(zeros_like(xd, TensorOptions(kInt64, dev)), zeros_like(x, kInt64), dev, exact,
                    "zeros_like int64");
      CHECK(empty_like(xd).device() == dev);
      const Tensor leaf = ones({2}, TensorOptions(d, dev, true));
      CHECK(leaf.requires_grad());
      CHECK(leaf.is_leaf());
      CHECK(leaf.device() == dev);
    } catch (const std::exception& e) {
      FAIL_CHECK("threw: " << e.what());
    }
  }
}

TEST_CASE("cuda random: a seed gives the CPU's numbers on the device", "[cuda][ops][random]") {
  CudaTestDevice device;
  const Device dev = device.device();
  for (const Dims& shape : {Dims{1}, Dims{7}, Dims{3, 5}, Dims{1001}}) {
    for (DType d : {kFloat32, kFloat64}) {
      INFO(dtype_name(d) << " " << shape_str(shape));
      const Tolerance t = tolerance_for(d);
      try {
        Generator gc(42), gd(42);
        check_matches(rand(shape, TensorOptions(d, dev), &gd), rand(shape, d, &gc), dev, t, "rand");
        check_matches(randn(shape, TensorOptions(d, dev), &gd), randn(shape, d, &gc), dev, t,
                      "randn");
        check_matches(randint(-3, 10, shape, TensorOptions(kInt64, dev), &gd),
                      randint(-3, 10, shape, kInt64, &gc), dev, {}, "randint");
        check_matches(randint(0, 5, shape, TensorOptions(d, dev), &gd),
                      randint(0, 5, shape, d, &gc), dev, {}, "randint as floats");
        const Tensor like_dev = zeros(shape, TensorOptions(d, dev)), like_cpu = zeros(shape, d);
        check_matches(rand_like(like_dev, &gd), rand_like(like_cpu, &gc), dev, t, "rand_like");
        check_matches(randn_like(like_dev, &gd), randn_like(like_cpu, &gc), dev, t, "randn_like");
        CHECK(gd.offset() == gc.offset());
        manual_seed(9);
        const Tensor from_default_dev = randn(shape, TensorOptions(d, dev));
        manual_seed(9);
        check_matches(from_default_dev, randn(shape, d), dev, t,
                      "randn from the default generator");
      } catch (const std::exception& e) {
        FAIL_CHECK("threw: " << e.what());
      }
    }
  }
  // The numbers are random: a uniform sample on the device has about the right mean and range.
  try {
    Generator g(5);
    const Tensor u = rand({4000}, TensorOptions(kFloat64, dev), &g).to(kCPU);
    CHECK(u.mean().item<double>() == Approx(0.5).margin(0.03));
    CHECK(u.min().item<double>() >= 0.0);
    CHECK(u.max().item<double>() < 1.0);
    const Tensor n = randn({4000}, TensorOptions(kFloat32, dev), &g).to(kCPU);
    CHECK(n.std().item<double>() == Approx(1.0).margin(0.05));
  } catch (const std::exception& e) {
    FAIL_CHECK("threw: " << e.what());
  }
}

TEST_CASE("cuda casts: every dtype pair converts as on the CPU", "[cuda][ops][cast]") {
  CudaTestDevice device;
  const Device dev = device.device();
  const std::vector<double> values = {-2.75, -1.0, -0.5, 0.0, 0.25, 1.0, 3.5, 1e6};
  for (DType from : {kFloat32, kFloat64, kInt64, kBool}) {
    for (DType to : {kFloat32, kFloat64, kInt64, kBool}) {
      INFO(dtype_name(from) << " -> " << dtype_name(to));
      try {
        const Tensor cpu =
            from == kBool ? ne(tensor(values, {2, 4}), 0.0) : tensor(values, {2, 4}).to(from);
        check_matches(cpu.to(dev).to(to), cpu.to(to), dev, {}, "contiguous");
        check_matches(cpu.to(dev).t().to(to), cpu.t().to(to), dev, {}, "transposed");
      } catch (const std::exception& e) {
        FAIL_CHECK("threw: " << e.what());
      }
    }
  }
}
