#pragma once

// The host executor of the kernel backend: runs its kernels on the CPU over host memory (Note
// [kernel backend]). Not a fast path — a stand-in device for machines without a GPU.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "cuda/caching_allocator.hpp"
#include "cuda/kernel_backend.hpp"
#include "cuda/kernels/device_support.hpp"
#include "engine/error.hpp"

namespace metagrad {

/// Runs kernels as loops and keeps "device" memory on the host, within a fixed capacity (so the
/// out-of-memory path can be exercised).
class HostExecutor final : public RawDeviceMemory {
 public:
  /// An emulated device with `capacity_bytes` of memory.
  explicit HostExecutor(size_t capacity_bytes = size_t{16} << 30) : capacity_(capacity_bytes) {}
  ~HostExecutor() override = default;

  /// f(i) for every i in [0, n), in reverse order: a kernel whose result depends on the order of
  /// its threads gives a different answer here than the CPU backend and fails its test.
  template <typename F>
  void for_each(int64_t n, const F& f) {
    kernel_launches_.fetch_add(1, std::memory_order_relaxed);
    if (!kernels_enabled_.load(std::memory_order_relaxed)) return;
    for (int64_t i = n - 1; i >= 0; --i) f(i);
  }

  /// A reference GEMM with cuBLAS's column-major semantics that rejects what cuBLAS rejects
  /// (CUBLAS_STATUS_INVALID_VALUE: a leading dimension below the rows of its matrix).
  template <typename T>
  void gemm(const GemmBatch<T>& g) {
    const int64_t rows_a = g.trans_a ? g.k : g.m, rows_b = g.trans_b ? g.n : g.k;
    MG_CHECK(g.m >= 0 && g.n >= 0 && g.k >= 0 && g.batch >= 0 &&
                 g.lda >= std::max<int64_t>(1, rows_a) && g.ldb >= std::max<int64_t>(1, rows_b) &&
                 g.ldc >= std::max<int64_t>(1, g.m),
             "emulated cuBLAS gemm: invalid arguments m={} n={} k={} lda={} ldb={} ldc={} "
             "trans_a={} trans_b={}",
             g.m, g.n, g.k, g.lda, g.ldb, g.ldc, g.trans_a, g.trans_b);
    gemm_launches_.fetch_add(1, std::memory_order_relaxed);
    if (!kernels_enabled_.load(std::memory_order_relaxed)) return;
    for (int64_t b = 0; b < g.batch; ++b) {
      const T* a = g.a + b * g.stride_a;
      const T* bm = g.b + b * g.stride_b;
      T* c = g.c + b * g.stride_c;
      for (int64_t j = 0; j < g.n; ++j) {
        for (int64_t i = 0; i < g.m; ++i) {
          T acc = 0;
          for (int64_t p = 0; p < g.k; ++p) {
            const T av = g.trans_a ? a[p + i * g.lda] : a[i + p * g.lda];
            const T bv = g.trans_b ? bm[j + p * g.ldb] : bm[p + j * g.ldb];
            acc += av * bv;
          }
          c[i + j * g.ldc] = acc;
        }
      }
    }
  }

  /// As CudaExecutor::copy_bytes: a copy into memory outside the emulated device's (a read back
  /// to the host) is where the GPU's host waits for its stream, so it returns true and counts a
  /// synchronisation; a copy into device memory returns false (deferred kernel errors stay
  /// deferred, as on the GPU).
  bool copy_bytes(void* dst, const void* src, size_t n) {
    copies_.fetch_add(1, std::memory_order_relaxed);
    if (n == 0) return false;
    std::memmove(dst, src, n);
    if (is_device(dst)) return false;
    synchronizations_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  /// Kernels (for_each calls), GEMMs and dense copies run since construction.
  int64_t kernel_launches() const { return kernel_launches_.load(std::memory_order_relaxed); }
  int64_t gemm_launches() const { return gemm_launches_.load(std::memory_order_relaxed); }
  int64_t copies() const { return copies_.load(std::memory_order_relaxed); }
  /// Points where the GPU's host would wait for its stream: reads back to the host, reads of the
  /// kernels' error slots, synchronize().
  int64_t synchronizations() const { return synchronizations_.load(std::memory_order_relaxed); }
  /// With false, kernels and GEMMs are counted and return without running (Note [host-only
  /// emulation] in emulated_backend.hpp); dense copies still run.
  void set_kernels_enabled(bool enabled) {
    kernels_enabled_.store(enabled, std::memory_order_relaxed);
  }
  kernels::KernelError* error_slots() { return errors_; }
  void take_errors(kernels::KernelError* out, int count) {
    if (count > 0) synchronizations_.fetch_add(1, std::memory_order_relaxed);
    for (int i = 0; i < count; ++i) out[i] = std::exchange(errors_[i], kernels::KernelError{});
  }
  void synchronize() { synchronizations_.fetch_add(1, std::memory_order_relaxed); }

  void* raw_allocate(size_t nbytes) override {
    std::lock_guard lock(mutex_);
    if (nbytes > capacity_ - used_) return nullptr;
    void* p = std::aligned_alloc(256, (nbytes + 255) / 256 * 256);
    if (p == nullptr) return nullptr;
    used_ += nbytes;
    sizes_[p] = nbytes;
    return p;
  }
  void raw_free(void* ptr) override {
    std::lock_guard lock(mutex_);
    auto it = sizes_.find(ptr);
    if (it == sizes_.end()) return;
    used_ -= it->second;
    sizes_.erase(it);
    std::free(ptr);
  }
  /// Whether `p` lies in a block of the emulated device memory.
  bool is_device(const void* p) {
    std::lock_guard lock(mutex_);
    auto it = sizes_.upper_bound(const_cast<void*>(p));
    if (it == sizes_.begin()) return false;
    --it;
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    return address < reinterpret_cast<std::uintptr_t>(it->first) + it->second;
  }
  void memory_info(size_t& free_bytes, size_t& total_bytes) override {
    std::lock_guard lock(mutex_);
    free_bytes = capacity_ - used_;
    total_bytes = capacity_;
  }
  std::string device_name() const override { return "cuda:0 (emulated on the host)"; }

 private:
  size_t capacity_;
  size_t used_ = 0;
  std::mutex mutex_;
  std::map<void*, size_t> sizes_;  // ordered: is_device finds the block below a pointer
  kernels::KernelError errors_[kernels::kErrorSlots];
  std::atomic<int64_t> kernel_launches_{0}, gemm_launches_{0}, copies_{0}, synchronizations_{0};
  std::atomic<bool> kernels_enabled_{true};
};

}  // namespace metagrad
