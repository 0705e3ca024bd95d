#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"
#include "engine/random/philox.hpp"

namespace metagrad {
namespace cpu {

namespace {

constexpr size_t kAlignment = 64;
// Buffers up to this size come from plain malloc (16-byte aligned, fast for the scalar tensors of
// scalar-heavy graphs). Larger ones are always 64-byte aligned: vectorised kernels take
// alignment-dependent paths, and equal inputs must give bit-identical results.
constexpr size_t kSmallBuffer = 16;
// Blocks at least this large are kept for reuse after they are freed: training loops allocate the
// same large temporaries every step, and fresh pages cost a page fault per 4 KiB.
constexpr size_t kCachedBlock = 1 << 16;
constexpr size_t kMaxCachedBytes = size_t{1} << 30;

#if defined(__SANITIZE_ADDRESS__)
#define MG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MG_ASAN 1
#endif
#endif

#if defined(MG_ASAN)
constexpr bool kCacheEnabled = false;  // let AddressSanitizer see every use after free
// AddressSanitizer aborts the process on a request above its 1 TiB limit instead of returning
// null; refusing those requests here keeps "out of memory" a metagrad::Error under ASan too.
constexpr size_t kMaxAllocation = size_t{1} << 40;
#else
constexpr bool kCacheEnabled = true;
constexpr size_t kMaxAllocation = static_cast<size_t>(PTRDIFF_MAX);
#endif

// A cache of large freed blocks keyed by their rounded size.
class BlockCache {
 public:
  void* take(size_t rounded) {
    std::lock_guard lock(mutex_);
    auto it = blocks_.find(rounded);
    if (it == blocks_.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    cached_bytes_ -= rounded;
    return p;
  }
  bool give(void* p, size_t rounded) {
    std::lock_guard lock(mutex_);
    if (cached_bytes_ + rounded > kMaxCachedBytes) return false;
    blocks_[rounded].push_back(p);
    cached_bytes_ += rounded;
    return true;
  }
  ~BlockCache() {
    for (auto& [size, list] : blocks_)
      for (void* p : list) std::free(p);
  }

 private:
  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> blocks_;
  size_t cached_bytes_ = 0;
};

BlockCache& block_cache() {
  static BlockCache cache;
  return cache;
}

size_t rounded_size(size_t nbytes) { return (nbytes + kAlignment - 1) / kAlignment * kAlignment; }

}  // namespace

void* CpuBackend::allocate(size_t nbytes) {
  if (nbytes == 0) return nullptr;
  void* p = nullptr;
  if (nbytes > kMaxAllocation - kAlignment) {
    p = nullptr;  // rounding up would wrap around; no allocator grants this much anyway
  } else if (nbytes <= kSmallBuffer) {
    p = std::malloc(nbytes);
  } else {
    const size_t rounded = rounded_size(nbytes);
    if (kCacheEnabled && rounded >= kCachedBlock) p = block_cache().take(rounded);
    if (!p) p = std::aligned_alloc(kAlignment, rounded);
  }
  if (!p) {
    MG_FAIL(
        "out of CPU memory: failed to allocate {} bytes ({:.2f} GiB); free some tensors or use "
        "smaller sizes",
        nbytes, static_cast<double>(nbytes) / static_cast<double>(size_t{1} << 30));
  }
  return p;
}

void CpuBackend::deallocate(void* ptr, size_t nbytes) {
  if (!ptr) return;
  const size_t rounded = rounded_size(nbytes);
  if (kCacheEnabled && nbytes > kSmallBuffer && rounded >= kCachedBlock &&
      block_cache().give(ptr, rounded))
    return;
  std::free(ptr);
}

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
