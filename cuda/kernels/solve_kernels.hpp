#pragma once

// KernelBackend::lu_solve: the dense solves of implicit differentiation (linalg::solve,
// solve_inv) are small — one system per hypergradient, n in the hundreds — so the backend copies
// the operands to the host and uses the CPU backend's LU with its condition estimate, rather than
// adding cuSOLVER (and a second condition estimator) for a path that is never the bottleneck.
#include <vector>

#include "cuda/kernel_backend.hpp"

namespace metagrad {

template <typename Executor>
double KernelBackend<Executor>::lu_solve(const View& a, const View& b, const View& out) {
  // Contiguous device copies, then host copies of them.
  auto to_host = [this](const View& v) {
    const size_t bytes = static_cast<size_t>(v.numel()) * element_size(v.dtype);
    ScratchBuffer dense = scratch(bytes);
    const View dense_view{dense.as<void>(), v.dtype, v.shape, contiguous_strides(v.shape)};
    copy(v, dense_view);
    std::vector<unsigned char> host(bytes);
    executor_.copy_bytes(host.data(), dense.as<void>(), bytes);
    return host;
  };
  std::vector<unsigned char> host_a = to_host(a), host_b = to_host(b);
  std::vector<unsigned char> host_out(static_cast<size_t>(out.numel()) * element_size(out.dtype));
  const View va{host_a.data(), a.dtype, a.shape, contiguous_strides(a.shape)};
  const View vb{host_b.data(), b.dtype, b.shape, contiguous_strides(b.shape)};
  const View vo{host_out.data(), out.dtype, out.shape, contiguous_strides(out.shape)};
  const double rcond = backend_for(kCPU).lu_solve(va, vb, vo);
  ScratchBuffer dense_out = upload(host_out.data(), host_out.size());
  copy(View{dense_out.as<void>(), out.dtype, out.shape, contiguous_strides(out.shape)}, out);
  return rcond;
}

}  // namespace metagrad
