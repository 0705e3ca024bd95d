#include <cstddef>
#include <cstdint>

#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"
#include "engine/random/philox.hpp"

namespace metagrad {
namespace cpu {

void CpuBackend::fill(const View& out, double value) {
  MG_DISPATCH_ALL(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    const T v = static_cast<T>(value);
    StridedLoop<1>({&out}).run([&](char** p, const int64_t* s, int64_t n) {
      if (s[0] == sizeof(T)) {
        T* o = reinterpret_cast<T*>(p[0]);
        for (int64_t i = 0; i < n; ++i) o[i] = v;
      } else {
        for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
      }
    });
  });
}

void CpuBackend::copy(const View& src, const View& out) {
  MG_DISPATCH_ALL(out.dtype, [&](auto out_tag) {
    using O = decltype(out_tag);
    MG_DISPATCH_ALL(src.dtype, [&](auto src_tag) {
      using S = decltype(src_tag);
      StridedLoop<2>({&out, &src}).run([&](char** p, const int64_t* s, int64_t n) {
        if (s[0] == sizeof(O) && s[1] == sizeof(S)) {
          O* o = reinterpret_cast<O*>(p[0]);
          const S* a = reinterpret_cast<const S*>(p[1]);
          for (int64_t i = 0; i < n; ++i) o[i] = static_cast<O>(a[i]);
        } else {
          for (int64_t i = 0; i < n; ++i)
            *reinterpret_cast<O*>(p[0] + i * s[0]) =
                static_cast<O>(*reinterpret_cast<const S*>(p[1] + i * s[1]));
        }
      });
    });
  });
}

void CpuBackend::random(RandomKind kind, const View& out, uint64_t seed, uint64_t offset,
                        double low, double high) {
  using namespace random_detail;
  const int64_t n = out.numel();
  MG_DISPATCH_ALL(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    T* o = static_cast<T*>(out.data);
    auto body = [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        double value;
        if (kind == RandomKind::Uniform) {
          const double u = std::is_same_v<T, float> ? uniform_float(seed, offset, i)
                                                    : uniform_double(seed, offset, i);
          value = low + (high - low) * u;
        } else if (kind == RandomKind::Normal) {
          const double z = std::is_same_v<T, float> ? normal_float(seed, offset, i)
                                                    : normal_double(seed, offset, i);
          value = low + high * z;
        } else {
          const uint64_t range = static_cast<uint64_t>(high - low);
          value = low + static_cast<double>(random_bits64(seed, offset, i) % range);
        }
        o[i] = static_cast<T>(value);
      }
    };
    if (n >= kParallelThreshold) {
      StridedLoop<1>::parallel_range(n, body);
    } else {
      body(0, n);
    }
  });
}

}  // namespace cpu

namespace {
Backend* cuda_backend = nullptr;
}  // namespace

void register_cuda_backend(Backend* backend) { cuda_backend = backend; }

Backend& backend_for(Device device) {
  static cpu::CpuBackend cpu_backend;
  if (device.is_cpu()) return cpu_backend;
  if (cuda_backend != nullptr) return *cuda_backend;
  MG_CHECK(device.index >= 0, "device {}: a CUDA device index must be >= 0", device.str());
  Backend* runtime = detail::cuda_runtime_backend(device.index);
  if (runtime != nullptr) return *runtime;
#if defined(METAGRAD_WITH_CUDA)
  MG_FAIL("device {}: no such CUDA device ({} visible; check nvidia-smi and CUDA_VISIBLE_DEVICES)",
          device.str(), detail::cuda_runtime_device_count());
#else
  MG_FAIL(
      "device {}: metagrad was built without the CUDA backend (configure with -Dcuda=enabled "
      "on a machine with the CUDA toolkit)",
      device.str());
#endif
}

}  // namespace metagrad
