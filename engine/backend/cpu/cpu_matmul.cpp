#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"
#include "engine/backend/view_checks.hpp"

// Batched GEMM over raw 3-D views with Eigen. Each operand is mapped in place (Eigen::Map with an
// OuterStride) when one of its two matrix strides is 1, as a row-major matrix (column stride 1)
// or a column-major one (row stride 1, e.g. a transposed view); only an operand with neither is
// first copied to a contiguous buffer. A batch stride of 0 reuses one matrix for every batch.
// Large products run as blocks of the output (Note [blocked GEMM]).
namespace metagrad::cpu {
namespace {

using Eigen::Dynamic;
using Eigen::OuterStride;

template <typename T>
using RowMap = Eigen::Map<const Eigen::Matrix<T, Dynamic, Dynamic, Eigen::RowMajor>,
                          Eigen::Unaligned, OuterStride<>>;
template <typename T>
using ColMap = Eigen::Map<const Eigen::Matrix<T, Dynamic, Dynamic, Eigen::ColMajor>,
                          Eigen::Unaligned, OuterStride<>>;
template <typename T>
using OutMap = Eigen::Map<Eigen::Matrix<T, Dynamic, Dynamic, Eigen::RowMajor>, Eigen::Unaligned,
                          OuterStride<>>;

// Multiply-adds per product below which a batch is split over threads even when it has fewer
// matrices than threads (Eigen's own threading does not pay for such small products).
constexpr int64_t kSmallProduct = int64_t{1} << 18;

// Note [blocked GEMM]
// A product of at least kBlockedProduct multiply-adds is computed as independent blocks of
// output columns (of output rows when the result is taller than wide), each one single-threaded
// Eigen GEMM over about kBlockWork multiply-adds, the blocks spread over the OpenMP threads.
// Eigen's own threading of one product parallelises poorly for the shapes a convolution makes (a
// short, very wide [O, K] x [K, N*L]): measured on 2 cores, [16, 216] x [216, 65536] took 29 ms
// as one product (15 ms on one thread) and 6 ms in blocks; [64, 576] x [576, 54080] 71 vs 36 ms;
// [9680, 64] x [64, 576] 7.7 vs 5.3 ms; square products are unchanged. The blocks depend only on
// the shape, not on the thread count, so a result does not change with the number of threads.
constexpr int64_t kBlockedProduct = int64_t{1} << 20;
constexpr int64_t kBlockWork = int64_t{1} << 21;

// The block length along a dim of `extent` whose every index costs `work` multiply-adds: about
// kBlockWork per block, within [floor, 4096], at least 4 blocks when the dim is long enough, a
// multiple of 16 (Eigen's register tiles).
int64_t block_length(int64_t extent, int64_t work, int64_t floor) {
  int64_t length = std::clamp<int64_t>(kBlockWork / std::max<int64_t>(work, 1), floor, 4096);
  length = std::min(length, std::max<int64_t>(floor / 4, (extent + 3) / 4));
  return std::max<int64_t>(16, (length + 15) / 16 * 16);
}

// One operand as Eigen sees it: batch i starts at data + i * batch_stride.
template <typename T>
struct Operand {
  const T* data = nullptr;
  int64_t batch_stride = 0;
  bool row_major = true;
  int64_t outer = 1;
  std::vector<T> buffer;  // holds the copy when the view could not be mapped in place
};

// Maps a [rows, cols] matrix with strides (sr, sc) in place when one stride is 1 and the other
// does not make rows (columns) overlap. Strides of size-1 dims do not matter.
bool map_in_place(int64_t rows, int64_t cols, int64_t sr, int64_t sc, bool& row_major,
                  int64_t& outer) {
  if ((cols <= 1 || sc == 1) && (rows <= 1 || sr >= cols)) {
    row_major = true;
    outer = rows <= 1 ? std::max<int64_t>(cols, 1) : sr;
    return true;
  }
  if ((rows <= 1 || sr == 1) && (cols <= 1 || sc >= rows)) {
    row_major = false;
    outer = cols <= 1 ? std::max<int64_t>(rows, 1) : sc;
    return true;
  }
  return false;
}

template <typename T>
Operand<T> prepare(CpuBackend& backend, const View& v, int64_t batch) {
  Operand<T> op;
  const int64_t rows = v.shape[1], cols = v.shape[2];
  op.batch_stride = v.shape[0] == 1 ? 0 : v.strides[0];
  if (map_in_place(rows, cols, v.strides[1], v.strides[2], op.row_major, op.outer)) {
    op.data = static_cast<const T*>(v.data);
    return op;
  }
  // Neither stride is 1: copy (once when the batch is broadcast) to a contiguous row-major buffer.
  const int64_t copies = op.batch_stride == 0 ? 1 : batch;
  op.buffer.resize(static_cast<size_t>(copies * rows * cols));
  const View src{
      v.data, v.dtype, {copies, rows, cols}, {op.batch_stride, v.strides[1], v.strides[2]}};
  const View dst{op.buffer.data(), v.dtype, {copies, rows, cols}, {rows * cols, cols, 1}};
  backend.copy(src, dst);
  op.data = op.buffer.data();
  op.batch_stride = op.batch_stride == 0 ? 0 : rows * cols;
  op.row_major = true;
  op.outer = std::max<int64_t>(cols, 1);
  return op;
}

// Calls f(map) where map(i) is the Eigen map of batch i (row- or column-major).
template <typename T, typename F>
void with_map(const Operand<T>& op, int64_t rows, int64_t cols, F&& f) {
  if (op.row_major) {
    f([&op, rows, cols](int64_t i) {
      return RowMap<T>(op.data + i * op.batch_stride, rows, cols, OuterStride<>(op.outer));
    });
  } else {
    f([&op, rows, cols](int64_t i) {
      return ColMap<T>(op.data + i * op.batch_stride, rows, cols, OuterStride<>(op.outer));
    });
  }
}

template <typename T>
void batched_gemm(CpuBackend& backend, const View& a, const View& b, const View& out) {
  const int64_t batch = out.shape[0], m = out.shape[1], n = out.shape[2], k = a.shape[2];
  T* c = static_cast<T*>(out.data);
  if (batch == 0 || m == 0 || n == 0) return;
  if (k == 0) {
    std::fill(c, c + batch * m * n, T(0));
    return;
  }
  const Operand<T> lhs = prepare<T>(backend, a, batch);
  const Operand<T> rhs = prepare<T>(backend, b, batch);
  const int64_t macs = m * n * k;
  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  // One large product: Eigen's GEMM splits it over OpenMP threads itself. Many products: split the
  // batch instead; inside the parallel loop Eigen sees an active team and stays single-threaded.
  const bool split_batch = batch > 1 && threads > 1 && batch * macs >= kParallelThreshold &&
                           (batch >= threads || macs < kSmallProduct);
  with_map(lhs, m, k, [&](auto map_a) {
    with_map(rhs, k, n, [&](auto map_b) {
      auto product = [&](int64_t i) {
        OutMap<T>(c + i * m * n, m, n, OuterStride<>(n)).noalias() = map_a(i) * map_b(i);
      };
      if (split_batch) {
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < batch; ++i) product(i);
      } else if (macs < kBlockedProduct) {
        for (int64_t i = 0; i < batch; ++i) product(i);
      } else if (n >= m) {
        // Blocks of output columns (Note [blocked GEMM]).
        const int64_t width = block_length(n, m * k, 256), blocks = (n + width - 1) / width;
        for (int64_t i = 0; i < batch; ++i) {
#pragma omp parallel for schedule(static) if (threads > 1)
          for (int64_t j = 0; j < blocks; ++j) {
            const int64_t first = j * width, cols = std::min(width, n - first);
            OutMap<T>(c + i * m * n + first, m, cols, OuterStride<>(n)).noalias() =
                map_a(i) * map_b(i).middleCols(first, cols);
          }
        }
      } else {
        // Blocks of output rows (Note [blocked GEMM]).
        const int64_t height = block_length(m, k * n, 64), blocks = (m + height - 1) / height;
        for (int64_t i = 0; i < batch; ++i) {
#pragma omp parallel for schedule(static) if (threads > 1)
          for (int64_t j = 0; j < blocks; ++j) {
            const int64_t first = j * height, rows = std::min(height, m - first);
            OutMap<T>(c + i * m * n + first * n, rows, n, OuterStride<>(n)).noalias() =
                map_a(i).middleRows(first, rows) * map_b(i);
          }
        }
      }
    });
  });
}

}  // namespace

void CpuBackend::matmul(const View& a, const View& b, const View& out) {
  check_matmul_views(a, b, out);
  if (a.dtype == DType::Float32) {
    batched_gemm<float>(*this, a, b, out);
  } else {
    batched_gemm<double>(*this, a, b, out);
  }
}

}  // namespace metagrad::cpu
