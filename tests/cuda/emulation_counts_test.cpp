// The emulated backend's launch counters and host-only mode (Note [host-only emulation]).
#include <vector>

#include "cuda/emulated_backend.hpp"
#include "engine/ops.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;

namespace {

// Skips the emulated kernels for its lifetime (also when a CHECK throws).
struct HostOnlyScope {
  HostOnlyScope() { set_emulated_kernels_enabled(false); }
  ~HostOnlyScope() { set_emulated_kernels_enabled(true); }
  HostOnlyScope(const HostOnlyScope&) = delete;
  HostOnlyScope& operator=(const HostOnlyScope&) = delete;
};

}  // namespace

TEST_CASE("emulated backend: launches are counted; host-only counts them and skips them",
          "[cuda]") {
  ScopedEmulatedCuda emulated;
  const TensorOptions options(kFloat32, cuda_device(0));
  Tensor a = full({4, 3}, 2.0, options);
  const Tensor b = full({3, 5}, 1.5, options);

  const EmulatedLaunchCounts start = emulated_launch_counts();
  const Tensor doubled = a + a;
  const EmulatedLaunchCounts after_add = emulated_launch_counts();
  CHECK(after_add.kernels - start.kernels == 1);
  CHECK(after_add.gemms == start.gemms);
  CHECK(after_add.synchronizations == start.synchronizations);  // kernels are queued, not waited
  const Tensor product = matmul(a, b);
  const EmulatedLaunchCounts after_matmul = emulated_launch_counts();
  CHECK(after_matmul.gemms - after_add.gemms == 1);
  CHECK(product.to(kCPU).to_vector<float>() == std::vector<float>(20, 9.0f));
  CHECK(emulated_launch_counts().copies > after_matmul.copies);  // the copy back to the host
  CHECK(emulated_launch_counts().synchronizations - after_matmul.synchronizations == 1);
  // Transposed operands enter cuBLAS as they are stored (op T): one GEMM, no copy first.
  const EmulatedLaunchCounts before_transposed = emulated_launch_counts();
  const Tensor transposed_product = matmul(b.t(), a.t());
  const EmulatedLaunchCounts after_transposed = emulated_launch_counts();
  CHECK(after_transposed.gemms - before_transposed.gemms == 1);
  CHECK(after_transposed.kernels == before_transposed.kernels);
  CHECK(after_transposed.copies == before_transposed.copies);
  CHECK(transposed_product.to(kCPU).to_vector<float>() == std::vector<float>(20, 9.0f));
  const EmulatedLaunchCounts before_upload = emulated_launch_counts();
  const Tensor uploaded = tensor({1, 2, 3}).to(cuda_device(0));
  CHECK(emulated_launch_counts().copies - before_upload.copies == 1);
  CHECK(emulated_launch_counts().synchronizations == before_upload.synchronizations);

  {
    HostOnlyScope host_only;
    const EmulatedLaunchCounts before = emulated_launch_counts();
    a.add_(doubled);
    (void)matmul(a, b);
    const EmulatedLaunchCounts after = emulated_launch_counts();
    CHECK(after.kernels - before.kernels == 1);
    CHECK(after.gemms - before.gemms == 1);
  }
  // The skipped in-place add left a unchanged; with the kernels back it runs.
  CHECK(a.to(kCPU).to_vector<float>() == std::vector<float>(12, 2.0f));
  a.add_(doubled);
  CHECK(a.to(kCPU).to_vector<float>() == std::vector<float>(12, 6.0f));
}
