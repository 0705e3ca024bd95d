// The shared 0-d device tensors of number operands (Note [device scalar constants]).
#include "engine/ops/device_scalars.hpp"

#include "cuda/cuda.hpp"
#include "cuda/host_executor.hpp"
#include "cuda/kernel_backend.hpp"
#include "engine/ops.hpp"
#include "tests/cuda/cuda_test_device.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;
using metagrad::testing::CudaTestDevice;

namespace {
double value_of(const Tensor& t) { return t.to(kCPU).to(kFloat64).item<double>(); }
}  // namespace

TEST_CASE("device scalars: one tensor per value, dtype and backend, read-only in effect",
          "[cuda]") {
  CudaTestDevice device;
  const Tensor f32 = ones({3}, TensorOptions(kFloat32, device.device()));
  const Tensor f64 = ones({3}, TensorOptions(kFloat64, device.device()));

  const Tensor half = detail::shared_device_scalar(0.5, f32);
  CHECK(half.dim() == 0);
  CHECK(half.device() == device.device());
  CHECK(value_of(half) == 0.5);
  // Asked again: the same storage, so no allocation and no fill launch.
  CHECK(detail::shared_device_scalar(0.5, f32).raw_data() == half.raw_data());
  // Another dtype, another value, or the other zero: another tensor.
  const Tensor half64 = detail::shared_device_scalar(0.5, f64);
  CHECK(half64.dtype() == kFloat64);
  CHECK(half64.raw_data() != half.raw_data());
  CHECK(detail::shared_device_scalar(0.25, f32).raw_data() != half.raw_data());
  const Tensor zero = detail::shared_device_scalar(0.0, f32);
  const Tensor negative_zero = detail::shared_device_scalar(-0.0, f32);
  CHECK(zero.raw_data() != negative_zero.raw_data());
  CHECK(std::signbit(value_of(negative_zero)));

  // An entry written to is replaced: the next request gets the value it asks for.
  Tensor written = detail::shared_device_scalar(3.0, f32);
  written.fill_(7.0);
  const Tensor fresh = detail::shared_device_scalar(3.0, f32);
  CHECK(fresh.raw_data() != written.raw_data());
  CHECK(value_of(fresh) == 3.0);
}

TEST_CASE("device scalars: results of scalar ops are new tensors, the operands stay intact",
          "[cuda]") {
  CudaTestDevice device;
  const Tensor x = tensor({1.0, 2.0, -4.0}).to(device.device());
  Tensor y = x * 0.5;
  y.add_(100.0);  // in place on the result, not on the shared 0.5
  CHECK(value_of((x * 0.5).sum()) == -0.5);
  CHECK(value_of(y.sum()) == 299.5);
  // Many distinct values (more than the table holds) evict the oldest entries and stay right.
  double expected = 0.0, total = 0.0;
  for (int k = 0; k < 200; ++k) {
    total += value_of((x + static_cast<double>(k % 97)).sum());
    expected += -1.0 + 3.0 * static_cast<double>(k % 97);
  }
  CHECK(total == expected);
}

TEST_CASE("device scalars: a backend swap does not hand out the other backend's tensor", "[cuda]") {
  CudaTestDevice device;
  if (!device.emulated()) MG_SKIP("swaps the emulated backends");
  const Tensor x = ones({2}, TensorOptions(kFloat32, device.device()));
  const Tensor first = detail::shared_device_scalar(1.5, x);
  // A second emulated device behind cuda:0 (static: the table may hold its tensors to the end).
  static KernelBackend<HostExecutor> other(size_t{1} << 30);
  register_cuda_backend(&other);
  {
    const Tensor y = ones({2}, TensorOptions(kFloat32, device.device()));
    CHECK(detail::shared_device_scalar(1.5, y).raw_data() != first.raw_data());
    CHECK(value_of((y * 1.5).sum()) == 3.0);  // runs on the second backend
  }  // y is freed while its backend serves cuda:0; the table keeps its own 1.5
  register_cuda_backend(&emulated_cuda_backend());
  // The first backend again: its entry is valid again.
  CHECK(detail::shared_device_scalar(1.5, x).raw_data() == first.raw_data());
}
