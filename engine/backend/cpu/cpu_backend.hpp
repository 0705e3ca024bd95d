#pragma once

#include "engine/backend/backend.hpp"

namespace metagrad::cpu {

/// The CPU backend: Eigen maps over the buffers, OpenMP above kParallelThreshold elements. Its
/// methods are defined across cpu_*.cpp, one kernel family per file.
class CpuBackend final : public Backend {
 public:
  void* allocate(size_t nbytes) override;
  void deallocate(void* ptr, size_t nbytes) override;
  /// Returns the allocator's cached free blocks to the system (Note [host block caches]).
  void empty_cache() override;
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
  void channel_coefficients(ChannelFormula formula, const View* in, int n_in, const View* out,
                            int n_out, const bn::Constants& constants, int64_t channels) override;
  void channel_affine(const View& u, const View& m, const View& v, const View& a, const View& b,
                      const View& d, const View& out) override;
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
};

}  // namespace metagrad::cpu
