#pragma once

// The CUDA executor of the kernel backend (Note [kernel backend]): grid-stride kernels on one
// stream per device, cuBLAS for GEMM, cudaMalloc for the caching allocator. nvcc only.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>

#include "cuda/caching_allocator.hpp"
#include "cuda/cublas_library.hpp"
#include "cuda/cuda.hpp"
#include "cuda/cuda_check.hpp"
#include "cuda/kernel_backend.hpp"
#include "cuda/kernels/device_support.hpp"

namespace metagrad {

/// f(i) for i in [0, n), each thread taking i, i + stride, ...
template <typename F>
__global__ void for_each_kernel(int64_t n, F f) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    f(i);
}

/// Runs kernels on one CUDA device.
class CudaExecutor final : public RawDeviceMemory {
 public:
  explicit CudaExecutor(int device) : device_(device) {
    activate();
    MG_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    MG_CUBLAS_CHECK(cublas().create(&blas_));
    MG_CUBLAS_CHECK(cublas().set_stream(blas_, stream_));
    // Exact float32 GEMMs (no TF32), as the CPU computes them, until cuda::set_allow_tf32.
    MG_CUBLAS_CHECK(cublas().set_math_mode(blas_, CUBLAS_DEFAULT_MATH));
    int sms = 0;
    MG_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device_));
    max_blocks_ = static_cast<int64_t>(sms) * 32;
    constexpr size_t kSlotBytes = sizeof(kernels::KernelError) * kernels::kErrorSlots;
    MG_CUDA_CHECK(cudaMalloc(&errors_, kSlotBytes));
    MG_CUDA_CHECK(cudaMemsetAsync(errors_, 0, kSlotBytes, stream_));
  }
  ~CudaExecutor() override {
    cudaSetDevice(device_);
    cudaStreamSynchronize(stream_);
    cudaFree(errors_);
    cublas().destroy(blas_);
    cudaStreamDestroy(stream_);
  }
  CudaExecutor(const CudaExecutor&) = delete;
  CudaExecutor& operator=(const CudaExecutor&) = delete;

  template <typename F>
  void for_each(int64_t n, const F& f) {
    if (n <= 0) return;
    activate();
    constexpr int kThreads = 256;
    const int64_t blocks = std::min<int64_t>((n + kThreads - 1) / kThreads, max_blocks_);
    for_each_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, stream_>>>(n, f);
    MG_CUDA_CHECK(cudaGetLastError());
  }

  template <typename T>
  void gemm(const GemmBatch<T>& g) {
    if (g.batch == 0 || g.m == 0 || g.n == 0) return;
    activate();
    const T one = 1, zero = 0;
    const cublasOperation_t ta = g.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t tb = g.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    auto i32 = [](int64_t v) {
      MG_CHECK(v <= INT32_MAX, "matmul (CUDA): dimension {} exceeds cuBLAS's 32-bit limit", v);
      return static_cast<int>(v);
    };
    if constexpr (sizeof(T) == 4) {
      use_tf32(cuda::allow_tf32());
      MG_CUBLAS_CHECK(cublas().sgemm_strided_batched(
          blas_, ta, tb, i32(g.m), i32(g.n), i32(g.k), &one, g.a, i32(g.lda), g.stride_a, g.b,
          i32(g.ldb), g.stride_b, &zero, g.c, i32(g.ldc), g.stride_c, i32(g.batch)));
    } else {
      MG_CUBLAS_CHECK(cublas().dgemm_strided_batched(
          blas_, ta, tb, i32(g.m), i32(g.n), i32(g.k), &one, g.a, i32(g.lda), g.stride_a, g.b,
          i32(g.ldb), g.stride_b, &zero, g.c, i32(g.ldc), g.stride_c, i32(g.batch)));
    }
  }

  /// Queues the copy on the stream. A copy into host memory waits for it (and returns true); one
  /// from pageable host memory does not need to: cudaMemcpyAsync stages the source before it
  /// returns, so the caller may reuse it at once and the kernels queued before stay in flight.
  bool copy_bytes(void* dst, const void* src, size_t n) {
    if (n == 0) return false;
    activate();
    MG_CUDA_CHECK(cudaMemcpyAsync(dst, src, n, cudaMemcpyDefault, stream_));
    if (is_device(dst)) return false;
    MG_CUDA_CHECK(cudaStreamSynchronize(stream_));
    return true;
  }
  kernels::KernelError* error_slots() { return errors_; }
  void take_errors(kernels::KernelError* out, int count) {
    if (count <= 0) return;
    activate();
    const size_t bytes = sizeof(kernels::KernelError) * static_cast<size_t>(count);
    MG_CUDA_CHECK(cudaMemcpyAsync(out, errors_, bytes, cudaMemcpyDeviceToHost, stream_));
    MG_CUDA_CHECK(cudaStreamSynchronize(stream_));
    bool any = false;
    for (int i = 0; i < count; ++i) any = any || out[i].code != 0;
    if (any) MG_CUDA_CHECK(cudaMemsetAsync(errors_, 0, bytes, stream_));
  }
  void synchronize() {
    activate();
    MG_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

  void* raw_allocate(size_t nbytes) override {
    activate();
    void* p = nullptr;
    const cudaError_t status = cudaMalloc(&p, nbytes);
    if (status == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // clear the sticky-free error so the process stays usable
      return nullptr;
    }
    MG_CUDA_CHECK(status);
    return p;
  }
  void raw_free(void* ptr) override {
    activate();
    MG_CUDA_CHECK(cudaFree(ptr));
  }
  void memory_info(size_t& free_bytes, size_t& total_bytes) override {
    activate();
    MG_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  }
  std::string device_name() const override { return "cuda:" + std::to_string(device_); }

 private:
  void activate() const { MG_CUDA_CHECK(cudaSetDevice(device_)); }
  /// Sets the handle's math mode for float32 GEMMs when the switch changed (cuda::allow_tf32).
  void use_tf32(bool allow) {
    if (tf32_.exchange(allow) == allow) return;
    MG_CUBLAS_CHECK(
        cublas().set_math_mode(blas_, allow ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  }
  static bool is_device(const void* p) {
    cudaPointerAttributes attributes{};
    if (cudaPointerGetAttributes(&attributes, p) != cudaSuccess) {
      (void)cudaGetLastError();
      return false;
    }
    return attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged;
  }

  int device_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  int64_t max_blocks_ = 1;
  kernels::KernelError* errors_ = nullptr;  // kErrorSlots slots
  std::atomic<bool> tf32_{false};           // the handle's math mode allows TF32
};

}  // namespace metagrad
