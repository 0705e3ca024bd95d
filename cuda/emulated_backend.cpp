#include "cuda/emulated_backend.hpp"

#include "cuda/host_executor.hpp"
#include "cuda/kernel_backend.hpp"
#include "cuda/kernels/all_kernels.hpp"

namespace metagrad {

template class KernelBackend<HostExecutor>;

namespace {

KernelBackend<HostExecutor>& emulated() {
  // 8 GiB of emulated device memory: room for every test, small enough that a request for more
  // exercises the out-of-memory path without touching the host's real limits.
  static KernelBackend<HostExecutor> backend(size_t{8} << 30);
  return backend;
}

}  // namespace

Backend& emulated_cuda_backend() { return emulated(); }

EmulatedLaunchCounts emulated_launch_counts() {
  const HostExecutor& executor = emulated().executor();
  return {executor.kernel_launches(), executor.gemm_launches(), executor.copies(),
          executor.synchronizations()};
}

void set_emulated_kernels_enabled(bool enabled) {
  emulated().executor().set_kernels_enabled(enabled);
}

}  // namespace metagrad
