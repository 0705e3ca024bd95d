// The CUDA runtime entry points of a build without the CUDA backend (-Dcuda=disabled, or no
// toolkit found): no devices.
#include "engine/backend/backend.hpp"

namespace metagrad::detail {

Backend* cuda_runtime_backend(int) { return nullptr; }
int cuda_runtime_device_count() { return 0; }

}  // namespace metagrad::detail
