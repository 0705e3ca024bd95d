// The CUDA backend: KernelBackend over CudaExecutor, one per device, created on first use (Note
// [kernel backend]).
#include <memory>
#include <mutex>
#include <vector>

#include "cuda/cuda_executor.cuh"
#include "cuda/kernel_backend.hpp"
#include "cuda/kernels/all_kernels.hpp"

namespace metagrad {

template class KernelBackend<CudaExecutor>;

namespace detail {

int cuda_runtime_device_count() {
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      (void)cudaGetLastError();  // no driver or no device: zero devices, not an error
      return 0;
    }
    return n;
  }();
  return count;
}

Backend* cuda_runtime_backend(int index) {
  if (index < 0 || index >= cuda_runtime_device_count()) return nullptr;
  static std::mutex mutex;
  // Never destroyed: tensors with static storage may outlive any destruction order we could pick,
  // and the driver releases everything at exit.
  static auto* backends = new std::vector<KernelBackend<CudaExecutor>*>(
      static_cast<size_t>(cuda_runtime_device_count()), nullptr);
  std::lock_guard lock(mutex);
  auto& slot = (*backends)[static_cast<size_t>(index)];
  if (slot == nullptr) slot = new KernelBackend<CudaExecutor>(index);
  return slot;
}

}  // namespace detail
}  // namespace metagrad
