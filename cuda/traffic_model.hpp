#pragma once

// Note [GPU traffic model]
// Without a GPU, what will a program's kernels cost on one? The emulation (emulated_backend.hpp)
// counts launches and measures the host's share; this backend decorator adds the device's share
// as a roofline model. It forwards every Backend call to the backend it wraps and charges each
// call
//   max(bytes / bandwidth, flops / flop_rate, min_kernel_seconds)
// where bytes is the DRAM traffic the call cannot avoid: every input view read once (a broadcast
// view, stride 0, only over its distinct elements) and every output written once; index ops read
// and write one element per index; a read-modify-write (scatter_add, index_add) counts twice.
// flops counts GEMMs (2 m n k per product) and LU solves; elementwise arithmetic is free under
// the memory bound. The floor stands for a small kernel's fixed cost on the device.
// It is a lower bound: caches that keep an operand between kernels are ignored (so it can be
// passed, slightly, on small working sets), and so are uncoalesced reads of permuted views, atomic
// conflicts and GEMM shapes too thin for full speed (so real kernels are slower). Its use is to
// say where a meta-step's device time must go and what a change saves, before a GPU is at hand.
// Calls to the wrapped backend are counted also when the emulation skips its kernels (Note
// [host-only emulation]), so the model of a large program takes host-only time to compute.
#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "engine/backend/backend.hpp"

namespace metagrad {

/// The device a TrafficModelBackend models. Defaults: an H100 SXM — the 2.93 TB/s that PyTorch's
/// device-to-device copy reaches there (issue 12's table: bytes read plus bytes written), 50
/// TFLOP/s for cuBLAS's float32 and float64 GEMMs without TF32 (about 75 % of the 67 TFLOP/s
/// peaks), and 2 µs per kernel.
struct GpuRoofline {
  double bandwidth_bytes_per_second = 2.93e12;
  double flops_per_second = 50e12;
  double min_kernel_seconds = 2e-6;
};

/// The Backend entries the model tells apart.
enum class BackendEntry : uint8_t {
  Fill,
  Copy,
  Unary,
  Binary,
  Where,
  Reduce,
  ArgReduce,
  Cumsum,
  SortIndices,
  Matmul,
  Gather,
  ScatterAdd,
  IndexSelect,
  IndexAdd,
  Unfold,
  Fold,
  MaxPoolIndices,
  ChannelMoments,
  ChannelGradSums,
  ChannelAffine,
  ChannelCoefficients,
  LuSolve,
  Decompose,
  TriangularSolve,
  Random,
  AdamForward,
  AdamBackward,
};

/// How many BackendEntry values there are.
inline constexpr size_t kBackendEntryCount = static_cast<size_t>(BackendEntry::AdamBackward) + 1;

/// The entry's name as in Backend ("matmul", "scatter_add", ...).
const char* backend_entry_name(BackendEntry entry);

/// What the model charged an entry (or all of them).
struct TrafficTally {
  int64_t calls = 0;
  double bytes = 0;    ///< DRAM bytes, read plus written
  double flops = 0;    ///< GEMM and solve floating-point operations
  double seconds = 0;  ///< the modelled device time

  TrafficTally& operator+=(const TrafficTally& other);
};

/// The tallies of every entry, indexed by BackendEntry.
using TrafficTallies = std::array<TrafficTally, kBackendEntryCount>;

/// A Backend that forwards every call to `inner` and charges it to a GPU roofline (Note [GPU
/// traffic model]). Thread-safe. Register it in place of the CUDA backend (register_cuda_backend)
/// over the emulated backend; memory it allocates is freed through it.
class TrafficModelBackend final : public Backend {
 public:
  /// Wraps `inner` (which must outlive this object) and charges calls to `device`.
  explicit TrafficModelBackend(Backend& inner, GpuRoofline device = {});

  /// The tallies since construction or the last reset().
  TrafficTallies tallies() const;
  /// The sum of all entries' tallies.
  TrafficTally total() const;
  /// Zeroes the tallies.
  void reset();
  /// The modelled device.
  const GpuRoofline& device() const { return device_; }

  void* allocate(size_t nbytes) override { return inner_.allocate(nbytes); }
  void deallocate(void* ptr, size_t nbytes) override { inner_.deallocate(ptr, nbytes); }
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
  void synchronize() override { inner_.synchronize(); }
  DeviceMemoryStats memory_stats() override { return inner_.memory_stats(); }
  void empty_cache() override { inner_.empty_cache(); }
  void reset_peak_memory_stats() override { inner_.reset_peak_memory_stats(); }

 private:
  void charge(BackendEntry entry, double bytes, double flops = 0);

  Backend& inner_;
  GpuRoofline device_;
  mutable std::mutex mutex_;
  TrafficTallies tallies_{};
};

/// The tallies as JSON fields for a benchmark line, per `steps` steps: model_gpu_ms,
/// model_gbytes, model_gflops, and model_ms_by_entry (the entries with calls, largest first).
std::string traffic_fields(const TrafficTallies& tallies, int steps);

}  // namespace metagrad
