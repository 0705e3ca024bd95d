#pragma once

// KernelBackend::cumsum (Note [scan] in engine/backend/cpu/cpu_scan.cpp): one thread per line
// (an element of the view with `dim` set to size 1), walking the line in order, so each output is
// the running sum a sequential loop gives, bit for bit the CPU's. Floats sum in double.
#include <cstdint>
#include <type_traits>

#include "cuda/kernel_backend.hpp"

namespace metagrad {
namespace kernels {

// out[line, i] = sum of in[line, j] for j up to i (from the end with reverse).
template <typename In, typename Out, typename Acc>
struct ScanKernel {
  Out* out;
  const In* in;
  Indexer<2> lines;  // out, in with dim of size 1
  int64_t length, out_step, in_step;
  bool reverse;
  MG_HD void operator()(int64_t line) const {
    int64_t off[2];
    lines.offsets(line, off);
    Acc acc = Acc(0);
    for (int64_t step = 0; step < length; ++step) {
      const int64_t i = reverse ? length - 1 - step : step;
      acc += static_cast<Acc>(in[off[1] + i * in_step]);
      out[off[0] + i * out_step] = static_cast<Out>(acc);
    }
  }
};

}  // namespace kernels

template <typename Executor>
void KernelBackend<Executor>::cumsum(const View& in, const View& out, int dim, bool reverse) {
  if (out.numel() == 0) return;
  const kernels::Indexer<2> lines = kernels::line_indexer(out, in, dim);
  const int64_t length = in.shape[dim];
  kernels::dispatch_all(in.dtype, [&](auto tag) {
    using In = std::decay_t<decltype(tag)>;
    using Out = std::conditional_t<std::is_same_v<In, bool>, int64_t, In>;
    using Acc = std::conditional_t<std::is_floating_point_v<In>, double, int64_t>;
    executor_.for_each(out.numel() / out.shape[dim],
                       kernels::ScanKernel<In, Out, Acc>{
                           static_cast<Out*>(out.data), static_cast<const In*>(in.data), lines,
                           length, out.strides[dim], in.strides[dim], reverse});
  });
}

}  // namespace metagrad
