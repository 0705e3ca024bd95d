// The CUDA runtime itself: what only a real GPU can check is compared there with the host
// emulation of the same kernels, and skipped elsewhere; without a device, a CUDA tensor is a
// clear error.
#include <string>

#include "cuda/cuda.hpp"
#include "cuda/emulated_backend.hpp"
#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "tests/cuda/cuda_test_device.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;

namespace {

// A small computation touching every kernel family: elementwise, reductions, GEMM, index ops,
// unfold/fold, max-pool, batch norm, random.
TensorList workload(Device device) {
  manual_seed(7);
  Tensor x = randn({2, 3, 8, 8}, TensorOptions(kFloat64, device));
  Tensor w = randn({4, 3, 3, 3}, TensorOptions(kFloat64, device));
  Tensor y = conv2d(x, w, Tensor(), 1, 1);
  Tensor pooled = max_pool2d(relu(y), 2);
  Tensor flat = pooled.reshape({2, -1});
  Tensor logits = matmul(flat, randn({flat.shape()[1], 5}, TensorOptions(kFloat64, device)));
  Tensor target = tensor({1, 3}, TensorOptions(kInt64, device));
  Tensor loss = cross_entropy(logits, target);
  return {y, pooled, logits, loss, exp(tanh(x)).sum({1}), x.amax({2, 3})};
}

}  // namespace

TEST_CASE("cuda runtime: device count, and a clear error for a CUDA tensor without a device",
          "[cuda]") {
  CHECK(cuda::device_count() >= 0);
  CHECK(cuda::is_available() == (cuda::device_count() > 0));
  if (!cuda::is_built()) CHECK_FALSE(cuda::is_available());
  if (cuda::is_available()) {
    CHECK(ones({3}, TensorOptions(kFloat32, cuda_device())).sum().item<float>() == 3.0f);
  } else {
    CHECK_THROWS_WITH(
        zeros({2}, TensorOptions(kFloat32, cuda_device(0))),
        MG_CONTAINS(cuda::is_built() ? "no such CUDA device" : "built without the CUDA backend"));
  }
}

TEST_CASE("cuda runtime: the GPU's kernels give the host emulation's results", "[cuda][gpu]") {
  if (!cuda::is_available()) MG_SKIP("no CUDA device: the GPU-only comparison is skipped");
  const TensorList on_gpu = workload(cuda_device());
  TensorList on_emulation;
  {
    ScopedEmulatedCuda emulation;
    on_emulation = workload(cuda_device());
    for (Tensor& t : on_emulation) t = t.to(kCPU);
  }
  REQUIRE(on_gpu.size() == on_emulation.size());
  for (size_t i = 0; i < on_gpu.size(); ++i) {
    INFO("result " << i);
    // Float64 throughout: cuBLAS and the reductions' summation order differ from the
    // emulation's, so equal to rounding, not bit for bit.
    const std::string diff = metagrad::testing::mismatch(
        on_gpu[i].to(kCPU), on_emulation[i], metagrad::testing::tolerance_for(kFloat64, 64));
    CHECK(diff.empty());
  }
}

TEST_CASE("cuda runtime: TF32 is off by default; allowed, float32 GEMMs round their operands",
          "[cuda]") {
  metagrad::testing::CudaTestDevice device;
  CHECK_FALSE(cuda::allow_tf32());
  manual_seed(3);
  // Sizes where cuBLAS picks tensor-core kernels once TF32 is allowed.
  const Tensor a = rand({256, 512}) * 2.0 - 1.0, b = rand({512, 256}) * 2.0 - 1.0;
  const Tensor reference = matmul(a.to(kFloat64), b.to(kFloat64));
  // The largest error of the float32 product on the device against the float64 one.
  auto error = [&](bool tf32) {
    cuda::set_allow_tf32(tf32);
    const Tensor product = matmul(a.to(device.device()), b.to(device.device())).to(kCPU);
    cuda::set_allow_tf32(false);
    return abs(product.to(kFloat64) - reference).amax({0, 1}).item<double>();
  };
  const double exact = error(false), with_tf32 = error(true);
  CHECK_FALSE(cuda::allow_tf32());
  CHECK(exact < 1e-4);  // float32 rounding over 512 terms
  if (device.emulated()) {
    CHECK(with_tf32 == exact);  // the emulation computes exactly either way
    return;
  }
  // 10-bit operands: errors near 2^-11 per product, far above float32's, within their sum.
  CHECK(with_tf32 > 10 * exact);
  CHECK(with_tf32 < 512 * 0x1p-10);
}
