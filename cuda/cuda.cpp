#include "cuda/cuda.hpp"

#include <atomic>

#include "engine/backend/backend.hpp"

namespace metagrad::cuda {
namespace {

std::atomic<bool> tf32_allowed{false};

}  // namespace

bool is_built() {
#if defined(METAGRAD_WITH_CUDA)
  return true;
#else
  return false;
#endif
}

bool is_available() { return device_count() > 0; }
int device_count() { return detail::cuda_runtime_device_count(); }
void synchronize(int device) { backend_for(cuda_device(device)).synchronize(); }
DeviceMemoryStats memory_stats(int device) {
  return backend_for(cuda_device(device)).memory_stats();
}
void empty_cache(int device) { backend_for(cuda_device(device)).empty_cache(); }
void reset_peak_memory_stats(int device) {
  backend_for(cuda_device(device)).reset_peak_memory_stats();
}

void set_allow_tf32(bool allow) { tf32_allowed.store(allow, std::memory_order_relaxed); }
bool allow_tf32() { return tf32_allowed.load(std::memory_order_relaxed); }

}  // namespace metagrad::cuda
