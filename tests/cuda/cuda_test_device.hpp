#pragma once

// The CUDA device the tests of tests/cuda run on: the real GPU when one is visible, otherwise the
// host emulation of the CUDA backend's kernels (Note [kernel backend] in cuda/kernel_backend.hpp),
// registered as the CUDA backend for the test's duration. Tests that need real hardware call
// `if (device.emulated()) SKIP(...)` (see requires_gpu below).
#include <cstdio>

#include "cuda/cuda.hpp"
#include "cuda/emulated_backend.hpp"
#include "engine/backend/backend.hpp"
#include "engine/device.hpp"

namespace metagrad::testing {

class CudaTestDevice {
 public:
  CudaTestDevice() : emulated_(!cuda::is_available()) {
    if (emulated_) register_cuda_backend(&emulated_cuda_backend());
    static const bool announced = [this] {
      std::fprintf(stderr, "tests/cuda: running on %s\n",
                   emulated_ ? "the host emulation of the CUDA kernels (no GPU visible)"
                             : "the CUDA device");
      return true;
    }();
    (void)announced;
  }
  ~CudaTestDevice() {
    if (emulated_) register_cuda_backend(nullptr);
  }
  CudaTestDevice(const CudaTestDevice&) = delete;
  CudaTestDevice& operator=(const CudaTestDevice&) = delete;

  /// True when the kernels run on the host emulation.
  bool emulated() const { return emulated_; }
  /// The device under test.
  Device device() const { return cuda_device(0); }
  /// Its backend.
  Backend& backend() const { return backend_for(device()); }

 private:
  bool emulated_;
};

}  // namespace metagrad::testing
