#pragma once

// The kernel backend on the host executor: the CUDA kernels run on the CPU (Note [kernel
// backend]). For tests on machines without a GPU; not part of the installed API.
#include <cstddef>
#include <cstdint>

#include "engine/backend/backend.hpp"

namespace metagrad {

/// The process's backend that runs the CUDA backend's kernels on the host, with 8 GiB of emulated
/// device memory. Register it with register_cuda_backend to make "cuda" tensors use it.
Backend& emulated_cuda_backend();

// Note [host-only emulation]
// A GPU meta-step costs the larger of two times: the GPU's (its kernels) and the host's (the
// engine's ops, the backend's argument checks and views, and one kernel launch per call). The
// emulation measures the host's share without a GPU: it counts every launch, and with its
// kernels disabled the same program issues the same launches while the kernels and GEMMs return
// at once, so the time left is the host's, less the CUDA runtime's own launch cost (a few
// microseconds per launch, to add per counted launch). Results are then undefined, and dense
// copies still run (so the host's data still reaches the "device").

/// Launches of the emulated backend since the process started.
struct EmulatedLaunchCounts {
  int64_t kernels = 0;           ///< elementwise, reduction, index, conv and other kernels
  int64_t gemms = 0;             ///< cuBLAS GEMM calls (one per batched GEMM)
  int64_t copies = 0;            ///< dense memcpy-style copies
  int64_t synchronizations = 0;  ///< waits of the host for the GPU: reads back to the host
};

/// The emulated backend's launch counts so far.
EmulatedLaunchCounts emulated_launch_counts();

/// Runs (true, the default) or skips (false) the emulated backend's kernels and GEMMs, which are
/// counted either way (Note [host-only emulation]). While skipped, every result is undefined: for
/// timing the host side of a program only.
void set_emulated_kernels_enabled(bool enabled);

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
