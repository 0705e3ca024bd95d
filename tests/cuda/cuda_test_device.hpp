#pragma once

// The CUDA device the tests of tests/cuda run on: the real GPU when one is visible, otherwise the
// host emulation of the CUDA backend's kernels (Note [kernel backend] in cuda/kernel_backend.hpp),
// registered as the CUDA backend for the test's duration. Tests that need real hardware call
// `if (device.emulated()) MG_SKIP(...)`. Also the helpers that compare a device result with the
// CPU's.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "cuda/cuda.hpp"
#include "cuda/emulated_backend.hpp"
#include "engine/backend/backend.hpp"
#include "engine/device.hpp"
#include "metagrad.hpp"
#include "tests/support/catch.hpp"

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

/// Absolute and relative tolerance of a device-vs-CPU comparison.
struct Tolerance {
  double rtol = 0.0;
  double atol = 0.0;
};

/// The tolerance for results of `dtype` whose elements each sum up to `reduction_length` terms:
/// float64 tight (1e-12 per term), float32 scaled by the reduction length; exact for int64/bool.
inline Tolerance tolerance_for(DType dtype, int64_t reduction_length = 1) {
  const double k = static_cast<double>(std::max<int64_t>(reduction_length, 1));
  if (dtype == kFloat64) return {1e-12 * k, 1e-12 * k};
  if (dtype == kFloat32) return {2e-6 * k + 2e-6, 2e-6 * k + 2e-6};
  return {};
}

/// An empty string when `device_result` (on any device) matches `cpu_result` in shape, dtype and
/// values within `tolerance` (NaN matches NaN, infinities match exactly); otherwise what differs,
/// with the worst element.
inline std::string mismatch(const Tensor& device_result, const Tensor& cpu_result,
                            Tolerance tolerance) {
  if (device_result.defined() != cpu_result.defined())
    return device_result.defined() ? "defined on the device, undefined on the CPU"
                                   : "undefined on the device, defined on the CPU";
  if (!device_result.defined()) return {};
  if (device_result.shape() != cpu_result.shape())
    return "shape " + shape_str(device_result.shape()) + " vs " + shape_str(cpu_result.shape());
  if (device_result.dtype() != cpu_result.dtype())
    return "dtype " + std::string(dtype_name(device_result.dtype())) + " vs " +
           std::string(dtype_name(cpu_result.dtype()));
  const auto d = device_result.to_vector<double>(), c = cpu_result.to_vector<double>();
  double worst = -1.0;
  size_t worst_at = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    if (std::isnan(d[i]) && std::isnan(c[i])) continue;
    if (std::isinf(c[i]) && d[i] == c[i]) continue;
    const double excess =
        std::abs(d[i] - c[i]) - (tolerance.atol + tolerance.rtol * std::abs(c[i]));
    if (!(excess <= 0.0) && !(excess <= worst)) {  // NaN on one side counts as the worst
      worst = std::isnan(excess) ? std::numeric_limits<double>::infinity() : excess;
      worst_at = i;
    }
  }
  if (worst < 0.0) return {};
  return fmt::format(
      "element {} (row-major) of shape {}: device {:.17g} vs cpu {:.17g} (rtol {}, "
      "atol {})",
      worst_at, shape_str(cpu_result.shape()), d[worst_at], c[worst_at], tolerance.rtol,
      tolerance.atol);
}

/// Checks that `device_result` lies on `device` and matches `cpu_result` (see mismatch); `what`
/// names the result in the failure message.
inline void check_matches(const Tensor& device_result, const Tensor& cpu_result, Device device,
                          Tolerance tolerance, const std::string& what) {
  if (device_result.defined()) {
    INFO(what);
    CHECK(device_result.device() == device);
  }
  const std::string diff = mismatch(device_result, cpu_result, tolerance);
  if (!diff.empty()) FAIL_CHECK(what << ": " << diff);
}

/// A copy of `t` on `device` that is a leaf requiring grad like `t`.
inline Tensor leaf_on(const Tensor& t, Device device) {
  Tensor copy = t.detach().to(device);
  if (t.requires_grad()) copy.requires_grad_(true);
  return copy;
}

/// Copies of `ts` on `device` (leaves requiring grad like the originals).
inline TensorList leaves_on(const TensorList& ts, Device device) {
  TensorList out;
  for (const Tensor& t : ts) out.push_back(t.defined() ? leaf_on(t, device) : Tensor());
  return out;
}

}  // namespace metagrad::testing
