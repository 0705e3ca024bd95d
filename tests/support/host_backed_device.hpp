#pragma once

// A stand-in "CUDA" backend for tests of device-mismatch errors on machines without a GPU.
#include <cstring>

#include "engine/backend/backend.hpp"

namespace metagrad::testing {

/// A backend that keeps its bytes in host memory, so tensors "on cuda:0" can be made and mixed with
/// CPU tensors to test device checks. Only allocation and fill do anything: no op may compute on
/// it.
class HostBackedDevice final : public Backend {
 public:
  void* allocate(size_t n) override { return n ? ::operator new(n) : nullptr; }
  void deallocate(void* p, size_t) override { ::operator delete(p); }
  void fill(const View& out, double) override {
    std::memset(out.data, 0, out.numel() * element_size(out.dtype));
  }
  void copy(const View&, const View&) override {}
  void unary(UnaryOp, const View&, const View&, UnaryParams) override {}
  void binary(BinaryOp, const View&, const View&, const View&) override {}
  void where(const View&, const View&, const View&, const View&) override {}
  void reduce(ReduceOp, const View&, const View&) override {}
  void arg_reduce(bool, const View&, int, const View&, const View&) override {}
  void matmul(const View&, const View&, const View&) override {}
  void gather(const View&, int, const View&, const View&) override {}
  void scatter_add(const View&, int, const View&, const View&) override {}
  void index_select(const View&, int, const View&, const View&) override {}
  void index_add(const View&, int, const View&, const View&) override {}
  void unfold(const View&, const View&, const ConvGeometry&, double) override {}
  void fold(const View&, const View&, const ConvGeometry&) override {}
  void max_pool2d_indices(const View&, const View&, const ConvGeometry&) override {}
  void channel_moments(const View&, const View&, const View&) override {}
  void channel_grad_sums(const View&, const View&, const View&, const View&, const View&) override {
  }
  void channel_affine(const View&, const View&, const View&, const View&, const View&, const View&,
                      const View&) override {}
  double lu_solve(const View&, const View&, const View&) override { return 0.0; }
  void random(RandomKind, const View&, uint64_t, uint64_t, double, double) override {}
  void adam_forward(const AdamCoefficients&, const AdamForwardSlot*, size_t) override {}
  void adam_backward(const AdamCoefficients&, const AdamBackwardSlot*, size_t) override {}
};

/// Registers a HostBackedDevice as the CUDA backend for its lifetime (restoring "no CUDA backend"
/// on destruction, also when a test throws).
class ScopedHostBackedCuda {
 public:
  ScopedHostBackedCuda() { register_cuda_backend(&device_); }
  ~ScopedHostBackedCuda() { register_cuda_backend(nullptr); }
  ScopedHostBackedCuda(const ScopedHostBackedCuda&) = delete;
  ScopedHostBackedCuda& operator=(const ScopedHostBackedCuda&) = delete;

 private:
  HostBackedDevice device_;
};

}  // namespace metagrad::testing
