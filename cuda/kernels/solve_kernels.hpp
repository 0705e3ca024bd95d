#pragma once

// KernelBackend::lu_solve, decompose and triangular_solve: the dense solves and factorizations of
// implicit differentiation and torch.linalg are small here — one system per hypergradient, n in
// the hundreds — so the backend copies the operands to the host, runs the CPU backend's kernels
// (with its condition estimate and failure reports) and copies the results back, rather than
// adding cuSOLVER (and a second condition estimator) for paths that are never the bottleneck.
#include <vector>

#include "cuda/kernel_backend.hpp"

namespace metagrad {
/// A contiguous host copy of the device view v.
template <typename Executor>
HostMatrix KernelBackend<Executor>::download(const View& v) {
  const size_t bytes = static_cast<size_t>(v.numel()) * element_size(v.dtype);
  HostMatrix host{std::vector<unsigned char>(bytes), {}};
  host.view = View{host.bytes.data(), v.dtype, v.shape, contiguous_strides(v.shape)};
  if (bytes == 0) return host;
  ScratchBuffer dense = scratch(bytes);
  copy(v, View{dense.as<void>(), v.dtype, v.shape, contiguous_strides(v.shape)});
  executor_.copy_bytes(host.bytes.data(), dense.as<void>(), bytes);
  return host;
}

/// A host buffer for the results that will go to the device view v.
template <typename Executor>
HostMatrix KernelBackend<Executor>::host_buffer_for(const View& v) {
  HostMatrix host{
      std::vector<unsigned char>(static_cast<size_t>(v.numel()) * element_size(v.dtype)), {}};
  host.view = View{host.bytes.data(), v.dtype, v.shape, contiguous_strides(v.shape)};
  return host;
}

/// Copies a host buffer from host_buffer_for(out) into the device view out.
template <typename Executor>
void KernelBackend<Executor>::upload_into(const HostMatrix& host, const View& out) {
  if (host.bytes.empty()) return;
  ScratchBuffer dense = upload(host.bytes.data(), host.bytes.size());
  copy(View{dense.as<void>(), out.dtype, out.shape, contiguous_strides(out.shape)}, out);
}

template <typename Executor>
double KernelBackend<Executor>::lu_solve(const View& a, const View& b, const View& out) {
  const HostMatrix host_a = download(a), host_b = download(b);
  HostMatrix host_out = host_buffer_for(out);
  const double rcond = backend_for(kCPU).lu_solve(host_a.view, host_b.view, host_out.view);
  upload_into(host_out, out);
  return rcond;
}

template <typename Executor>
void KernelBackend<Executor>::decompose(Decomposition kind, const View& a, const View* out,
                                        int n_out, const View& info) {
  const HostMatrix host_a = download(a);
  std::vector<HostMatrix> host_out;
  std::vector<View> host_views;
  for (int i = 0; i < n_out; ++i) {
    host_out.push_back(host_buffer_for(out[i]));
    host_views.push_back(host_out.back().view);
  }
  HostMatrix host_info = host_buffer_for(info);
  backend_for(kCPU).decompose(kind, host_a.view, host_views.data(), n_out, host_info.view);
  for (int i = 0; i < n_out; ++i) upload_into(host_out[i], out[i]);
  upload_into(host_info, info);
}

template <typename Executor>
void KernelBackend<Executor>::triangular_solve(const View& a, const View& b, const View& out,
                                               bool upper, bool unit_diagonal) {
  const HostMatrix host_a = download(a), host_b = download(b);
  HostMatrix host_out = host_buffer_for(out);
  backend_for(kCPU).triangular_solve(host_a.view, host_b.view, host_out.view, upper, unit_diagonal);
  upload_into(host_out, out);
}

}  // namespace metagrad
