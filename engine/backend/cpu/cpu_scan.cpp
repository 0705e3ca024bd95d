// CpuBackend::cumsum: prefix sums along one dim (Note [scan]).
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"

// Note [scan]
// cumsum walks each line along `dim` in order (from the end for reverse), so every element is the
// rounded running sum of the ones before it, as a sequential loop computes it: the same result on
// every backend, for every layout and thread count. Float sums run in double (PyTorch's CPU
// accumulation type) and are rounded to the dtype at each output; int64 and bool (as 0/1) sum in
// int64. The lines are the elements of the view with `dim` set to size 1; when the lines are
// closer together in memory than the steps along `dim`, the loop takes one step for all the
// lines of a row at a time instead, so both layouts read memory in order.

namespace metagrad::cpu {
namespace {

template <typename In, typename Out, typename Acc>
void scan_lines(const View& in, const View& out, int dim, bool reverse) {
  const int64_t length = in.shape[dim];
  View in_lines = in, out_lines = out;
  in_lines.shape[dim] = 1;
  out_lines.shape[dim] = 1;
  const int64_t in_step = in.strides[dim], out_step = out.strides[dim];
  const int64_t first = reverse ? length - 1 : 0, direction = reverse ? -1 : 1;
  StridedLoop<2>({&out_lines, &in_lines}).run([&](char** p, const int64_t* s, int64_t n) {
    Out* o = reinterpret_cast<Out*>(p[0]);
    const In* a = reinterpret_cast<const In*>(p[1]);
    const int64_t os = s[0] / static_cast<int64_t>(sizeof(Out));
    const int64_t is = s[1] / static_cast<int64_t>(sizeof(In));
    if (n > 1 && std::llabs(is) < std::llabs(in_step)) {
      // Step by step along dim, a block of lines per step, with one accumulator per line.
      constexpr int64_t kBlock = 256;
      Acc acc[kBlock];
      for (int64_t begin = 0; begin < n; begin += kBlock) {
        const int64_t count = std::min(kBlock, n - begin);
        for (int64_t k = 0; k < count; ++k) acc[k] = Acc(0);
        for (int64_t step = 0, i = first; step < length; ++step, i += direction) {
          for (int64_t k = 0; k < count; ++k) {
            acc[k] += static_cast<Acc>(a[(begin + k) * is + i * in_step]);
            o[(begin + k) * os + i * out_step] = static_cast<Out>(acc[k]);
          }
        }
      }
      return;
    }
    for (int64_t k = 0; k < n; ++k) {
      Acc acc = Acc(0);
      for (int64_t step = 0, i = first; step < length; ++step, i += direction) {
        acc += static_cast<Acc>(a[k * is + i * in_step]);
        o[k * os + i * out_step] = static_cast<Out>(acc);
      }
    }
  });
}

}  // namespace

void CpuBackend::cumsum(const View& in, const View& out, int dim, bool reverse) {
  if (out.numel() == 0) return;
  switch (in.dtype) {
    case DType::Float32:
      return scan_lines<float, float, double>(in, out, dim, reverse);
    case DType::Float64:
      return scan_lines<double, double, double>(in, out, dim, reverse);
    case DType::Int64:
      return scan_lines<int64_t, int64_t, int64_t>(in, out, dim, reverse);
    case DType::Bool:
      return scan_lines<bool, int64_t, int64_t>(in, out, dim, reverse);
  }
  MG_FAIL("cumsum: unsupported dtype {}", dtype_name(in.dtype));
}

}  // namespace metagrad::cpu
