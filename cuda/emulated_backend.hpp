#pragma once

// The kernel backend on the host executor: the CUDA kernels run on the CPU (Note [kernel
// backend]). For tests on machines without a GPU; not part of the installed API.
#include <cstddef>

#include "engine/backend/backend.hpp"

namespace metagrad {

/// The process's backend that runs the CUDA backend's kernels on the host, with 8 GiB of emulated
/// device memory. Register it with register_cuda_backend to make "cuda" tensors use it.
Backend& emulated_cuda_backend();

/// Registers the emulated backend as the CUDA backend for its lifetime; restores the runtime's
/// backend on destruction.
class ScopedEmulatedCuda {
 public:
  ScopedEmulatedCuda() { register_cuda_backend(&emulated_cuda_backend()); }
  ~ScopedEmulatedCuda() { register_cuda_backend(nullptr); }
  ScopedEmulatedCuda(const ScopedEmulatedCuda&) = delete;
  ScopedEmulatedCuda& operator=(const ScopedEmulatedCuda&) = delete;
};

}  // namespace metagrad
