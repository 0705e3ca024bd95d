#pragma once

// Note [kernel backend]
// The CUDA backend is written once, as KernelBackend<Executor>: every Backend entry is a set of
// kernels — functors with an MG_HD `operator()(int64_t i) const`, one call per output element or
// work item — launched through the executor's for_each, plus cuBLAS-shaped GEMMs through its gemm.
//   - CudaExecutor (cuda_executor.cuh, nvcc) launches them as grid-stride kernels on the
//     device's stream and runs gemm with cuBLAS: this is the CUDA backend.
//   - HostExecutor (host_executor.hpp, any C++ compiler) runs the same functors in a loop over
//     host memory (in reverse index order, so no kernel can rely on the order of its threads)
//     and gemm with a reference that checks cuBLAS's argument rules: this is the emulated
//     backend. It lets the CUDA tests run on machines without a GPU (CI), so the index
//     arithmetic, the row-major-to-cuBLAS mapping, the caching allocator and the error paths of
//     every kernel are checked there against the CPU backend; only the launch itself and cuBLAS
//     need a GPU.
// Kernels therefore use only what both compilers have: no shared memory, no warp intrinsics, no
// lambdas (nvcc's extended lambdas cannot sit inside the dtype dispatch), atomics only through
// kernels::atomic_add. Functors are trivially copyable and hold raw pointers and Geometry.
// cuda/ never includes autograd or Tensor: it sees the Backend interface only (DESIGN §4).
//
// Note [deferred kernel errors]
// A kernel that finds a bad index cannot throw. It writes the index into its launch's error slot
// (kernels::report_error); reading the slot back at once would stall the host after every index
// op. Instead each such launch takes its own slot (error_slot_for) and the slots are read at the
// backend's next synchronisation point — synchronize(), a copy to or from host memory (item(),
// to(kCPU), printing), or when the slots run out — and the first error is thrown naming the op
// that found it. This is how PyTorch's device-side asserts surface, asynchronously; the CPU
// backend throws at the op itself.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "cuda/caching_allocator.hpp"
#include "cuda/kernels/device_support.hpp"
#include "engine/backend/backend.hpp"

namespace metagrad {

/// One batched column-major GEMM with cuBLAS's gemmStridedBatched semantics (alpha = 1, beta = 0):
/// for each b < batch, C_b = op(A_b) op(B_b) with op(X) = X or Xᵀ, C_b m × n, A_b + b stride_a,
/// B_b + b stride_b, C_b + b stride_c, leading dimensions lda, ldb, ldc.
template <typename T>
struct GemmBatch {
  bool trans_a = false, trans_b = false;
  int64_t m = 0, n = 0, k = 0;
  const T* a = nullptr;
  int64_t lda = 1, stride_a = 0;
  const T* b = nullptr;
  int64_t ldb = 1, stride_b = 0;
  T* c = nullptr;
  int64_t ldc = 1, stride_c = 0;
  int64_t batch = 1;
};

/// A contiguous host buffer shaped like a device view, and the view of it (the dense solves' host
/// round trip, cuda/kernels/solve_kernels.hpp).
struct HostMatrix {
  std::vector<unsigned char> bytes;
  View view;
};

/// A temporary device buffer from the backend's allocator, returned on destruction. Freeing it
/// right after queueing the kernels that use it is safe: the allocator hands it out again only to
/// later work on the same stream (Note [caching allocator]).
class ScratchBuffer {
 public:
  ScratchBuffer(CachingAllocator& allocator, size_t nbytes)
      : allocator_(&allocator), data_(nbytes ? allocator.allocate(nbytes) : nullptr) {}
  ~ScratchBuffer() {
    if (data_ != nullptr) allocator_->deallocate(data_);
  }
  ScratchBuffer(ScratchBuffer&& other) noexcept
      : allocator_(other.allocator_), data_(std::exchange(other.data_, nullptr)) {}
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(ScratchBuffer&&) = delete;

  /// The buffer as an array of T (null for a buffer of 0 bytes).
  template <typename T>
  T* as() const {
    return static_cast<T*>(data_);
  }

 private:
  CachingAllocator* allocator_;
  void* data_;
};

/// The kernel backend over an executor (Note [kernel backend]). Executor must derive from
/// RawDeviceMemory and provide:
///   template <class F> void for_each(int64_t n, const F& f);  // f(i) for every i in [0, n)
///   template <class T> void gemm(const GemmBatch<T>&);
///   bool copy_bytes(void* dst, const void* src, size_t n);    // any direction; when one side is
///                                     // host memory, done on return and returns true
///   kernels::KernelError* error_slots();  // kErrorSlots slots in device memory
///   void take_errors(kernels::KernelError* out, int count);  // waits for the queue, reads and
///                                                             // clears the first count slots
///   void synchronize();
/// The entries are defined across cuda/kernels/*_kernels.hpp, one family per file.
template <typename Executor>
class KernelBackend final : public Backend {
 public:
  template <typename... Args>
  explicit KernelBackend(Args&&... args)
      : executor_(std::forward<Args>(args)...), allocator_(executor_) {}

  /// The executor that runs the kernels, and the allocator over its memory (for tests and stats).
  Executor& executor() { return executor_; }
  CachingAllocator& allocator() { return allocator_; }

  void* allocate(size_t nbytes) override { return allocator_.allocate(nbytes); }
  void deallocate(void* ptr, size_t) override { allocator_.deallocate(ptr); }
  void synchronize() override {
    executor_.synchronize();
    raise_deferred_kernel_error();
  }
  DeviceMemoryStats memory_stats() override { return allocator_.stats(); }
  void empty_cache() override {
    executor_.synchronize();
    allocator_.empty_cache();
  }
  void reset_peak_memory_stats() override { allocator_.reset_peak(); }

  void fill(const View& out, double value) override;
  void copy(const View& src, const View& out) override;
  void unary(UnaryOp op, const View& in, const View& out, UnaryParams params) override;
  void binary(BinaryOp op, const View& a, const View& b, const View& out) override;
  void where(const View& cond, const View& a, const View& b, const View& out) override;
  void reduce(ReduceOp op, const View& in, const View& out) override;
  void arg_reduce(bool is_max, const View& in, int dim, const View& out_values,
                  const View& out_indices) override;
  void cumsum(const View& in, const View& out, int dim, bool reverse) override;
  void sort_indices(const View& in, const View& out_indices, int dim, bool descending) override;
  void matmul(const View& a, const View& b, const View& out) override;
  void gather(const View& in, int dim, const View& index, const View& out) override;
  void scatter_add(const View& out, int dim, const View& index, const View& src) override;
  void index_select(const View& in, int dim, const View& index, const View& out) override;
  void index_add(const View& out, int dim, const View& index, const View& src) override;
  void unfold(const View& in, const View& out, const ConvGeometry& geometry,
              double pad_value) override;
  void fold(const View& in, const View& out, const ConvGeometry& geometry) override;
  void max_pool2d_indices(const View& in, const View& out_indices,
                          const ConvGeometry& geometry) override;
  void channel_moments(const View& in, const View& mean, const View& sum_sq) override;
  void channel_grad_sums(const View& grad, const View& in, const View& mean, const View& sum_g,
                         const View& sum_gx) override;
  void channel_affine(const View& u, const View& m, const View& v, const View& a, const View& b,
                      const View& d, const View& out) override;
  void channel_coefficients(ChannelFormula formula, const View* in, int n_in, const View* out,
                            int n_out, const bn::Constants& constants, int64_t channels) override;
  double lu_solve(const View& a, const View& b, const View& out) override;
  void decompose(Decomposition kind, const View& a, const View* out, int n_out,
                 const View& info) override;
  void triangular_solve(const View& a, const View& b, const View& out, bool upper,
                        bool unit_diagonal) override;
  void random(RandomKind kind, const View& out, uint64_t seed, uint64_t offset, double low,
              double high) override;
  void adam_forward(const AdamCoefficients& k, const AdamForwardSlot* slots, size_t count) override;
  void adam_backward(const AdamCoefficients& k, const AdamBackwardSlot* slots,
                     size_t count) override;

  /// A temporary device buffer of `nbytes`.
  ScratchBuffer scratch(size_t nbytes) { return ScratchBuffer(allocator_, nbytes); }
  /// A device copy of `count` host values.
  template <typename T>
  ScratchBuffer upload(const T* host, size_t count) {
    ScratchBuffer buffer = scratch(count * sizeof(T));
    if (count > 0) executor_.copy_bytes(buffer.as<void>(), host, count * sizeof(T));
    return buffer;
  }
  /// A contiguous host copy of the device view v (the host round trip of the dense solves).
  HostMatrix download(const View& v);
  /// A contiguous host buffer shaped like the device view v.
  HostMatrix host_buffer_for(const View& v);
  /// Copies `host` (from host_buffer_for(out)) into the device view out.
  void upload_into(const HostMatrix& host, const View& out);
  /// The error slot for a launch of `op` that may find a bad index (Note [deferred kernel
  /// errors]).
  kernels::KernelError* error_slot_for(const char* op) {
    std::lock_guard lock(error_mutex_);
    if (deferred_ops_.size() == static_cast<size_t>(kernels::kErrorSlots)) raise_deferred_locked();
    deferred_ops_.push_back(op);
    return executor_.error_slots() + (deferred_ops_.size() - 1);
  }
  /// Raises the first error the deferred launches reported, if any (waits for the queue).
  void raise_deferred_kernel_error() {
    std::lock_guard lock(error_mutex_);
    raise_deferred_locked();
  }

 private:
  void raise_deferred_locked() {
    if (deferred_ops_.empty()) return;
    std::vector<const char*> ops;
    ops.swap(deferred_ops_);
    kernels::KernelError errors[kernels::kErrorSlots];
    executor_.take_errors(errors, static_cast<int>(ops.size()));
    for (size_t i = 0; i < ops.size(); ++i) {
      const kernels::KernelError& e = errors[i];
      if (e.code == kernels::kIndexOutOfBounds)
        MG_FAIL(
            "{}: index {} is out of bounds for dimension {} with size {} (found by a CUDA "
            "kernel, so reported at the next synchronisation)",
            ops[i], e.value, e.dim, e.size);
      MG_CHECK(e.code == 0, "{}: a CUDA kernel reported error code {}", ops[i], e.code);
    }
  }

  Executor executor_;
  CachingAllocator allocator_;
  std::mutex error_mutex_;
  std::vector<const char*> deferred_ops_;  // the op of each used error slot, in launch order
};

}  // namespace metagrad
