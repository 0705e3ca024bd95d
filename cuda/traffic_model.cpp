#include "cuda/traffic_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace metagrad {
namespace {

// Bytes of the distinct elements a view reads: a broadcast (stride 0) dim is read once.
double read_bytes(const View& v) {
  if (v.data == nullptr) return 0;
  double elements = 1;
  for (int d = 0; d < v.ndim(); ++d) {
    if (v.shape[d] == 0) return 0;
    if (v.strides[d] != 0) elements *= static_cast<double>(v.shape[d]);
  }
  return elements * static_cast<double>(element_size(v.dtype));
}

// Bytes a kernel writes to every element of `v`.
double write_bytes(const View& v) {
  return static_cast<double>(v.numel()) * static_cast<double>(element_size(v.dtype));
}

// Bytes of `elements` values of `v`'s dtype, touched one by one (index ops).
double element_bytes(const View& v, int64_t elements) {
  return static_cast<double>(elements) * static_cast<double>(element_size(v.dtype));
}

}  // namespace

const char* backend_entry_name(BackendEntry entry) {
  switch (entry) {
    case BackendEntry::Fill:
      return "fill";
    case BackendEntry::Copy:
      return "copy";
    case BackendEntry::Unary:
      return "unary";
    case BackendEntry::Binary:
      return "binary";
    case BackendEntry::Where:
      return "where";
    case BackendEntry::Reduce:
      return "reduce";
    case BackendEntry::ArgReduce:
      return "arg_reduce";
    case BackendEntry::Cumsum:
      return "cumsum";
    case BackendEntry::SortIndices:
      return "sort_indices";
    case BackendEntry::Matmul:
      return "matmul";
    case BackendEntry::Gather:
      return "gather";
    case BackendEntry::ScatterAdd:
      return "scatter_add";
    case BackendEntry::IndexSelect:
      return "index_select";
    case BackendEntry::IndexAdd:
      return "index_add";
    case BackendEntry::Unfold:
      return "unfold";
    case BackendEntry::Fold:
      return "fold";
    case BackendEntry::MaxPoolIndices:
      return "max_pool2d_indices";
    case BackendEntry::ChannelMoments:
      return "channel_moments";
    case BackendEntry::ChannelGradSums:
      return "channel_grad_sums";
    case BackendEntry::ChannelAffine:
      return "channel_affine";
    case BackendEntry::ChannelCoefficients:
      return "channel_coefficients";
    case BackendEntry::LuSolve:
      return "lu_solve";
    case BackendEntry::Decompose:
      return "decompose";
    case BackendEntry::TriangularSolve:
      return "triangular_solve";
    case BackendEntry::Random:
      return "random";
    case BackendEntry::AdamForward:
      return "adam_forward";
    case BackendEntry::AdamBackward:
      return "adam_backward";
  }
  return "?";
}

TrafficTally& TrafficTally::operator+=(const TrafficTally& other) {
  calls += other.calls;
  bytes += other.bytes;
  flops += other.flops;
  seconds += other.seconds;
  return *this;
}

TrafficModelBackend::TrafficModelBackend(Backend& inner, GpuRoofline device)
    : inner_(inner), device_(device) {}

TrafficTallies TrafficModelBackend::tallies() const {
  std::lock_guard lock(mutex_);
  return tallies_;
}

TrafficTally TrafficModelBackend::total() const {
  TrafficTally sum;
  for (const TrafficTally& entry : tallies()) sum += entry;
  return sum;
}

void TrafficModelBackend::reset() {
  std::lock_guard lock(mutex_);
  tallies_ = {};
}

void TrafficModelBackend::charge(BackendEntry entry, double bytes, double flops) {
  const double seconds = std::max({bytes / device_.bandwidth_bytes_per_second,
                                   flops / device_.flops_per_second, device_.min_kernel_seconds});
  std::lock_guard lock(mutex_);
  tallies_[static_cast<size_t>(entry)] += TrafficTally{1, bytes, flops, seconds};
}

void TrafficModelBackend::fill(const View& out, double value) {
  charge(BackendEntry::Fill, write_bytes(out));
  inner_.fill(out, value);
}

void TrafficModelBackend::copy(const View& src, const View& out) {
  charge(BackendEntry::Copy, read_bytes(src) + write_bytes(out));
  inner_.copy(src, out);
}

void TrafficModelBackend::unary(UnaryOp op, const View& in, const View& out, UnaryParams params) {
  charge(BackendEntry::Unary, read_bytes(in) + write_bytes(out));
  inner_.unary(op, in, out, params);
}

void TrafficModelBackend::binary(BinaryOp op, const View& a, const View& b, const View& out) {
  charge(BackendEntry::Binary, read_bytes(a) + read_bytes(b) + write_bytes(out));
  inner_.binary(op, a, b, out);
}

void TrafficModelBackend::where(const View& cond, const View& a, const View& b, const View& out) {
  charge(BackendEntry::Where, read_bytes(cond) + read_bytes(a) + read_bytes(b) + write_bytes(out));
  inner_.where(cond, a, b, out);
}

void TrafficModelBackend::reduce(ReduceOp op, const View& in, const View& out) {
  charge(BackendEntry::Reduce, read_bytes(in) + write_bytes(out));
  inner_.reduce(op, in, out);
}

void TrafficModelBackend::arg_reduce(bool is_max, const View& in, int dim, const View& out_values,
                                     const View& out_indices) {
  charge(BackendEntry::ArgReduce,
         read_bytes(in) + write_bytes(out_values) + write_bytes(out_indices));
  inner_.arg_reduce(is_max, in, dim, out_values, out_indices);
}

void TrafficModelBackend::cumsum(const View& in, const View& out, int dim, bool reverse) {
  charge(BackendEntry::Cumsum, read_bytes(in) + write_bytes(out));
  inner_.cumsum(in, out, dim, reverse);
}

void TrafficModelBackend::sort_indices(const View& in, const View& out_indices, int dim,
                                       bool descending) {
  charge(BackendEntry::SortIndices, read_bytes(in) + write_bytes(out_indices));
  inner_.sort_indices(in, out_indices, dim, descending);
}

void TrafficModelBackend::matmul(const View& a, const View& b, const View& out) {
  // [batch, m, k] x [batch, k, n]: 2 m n k per product.
  const double flops = 2.0 * static_cast<double>(out.numel()) * static_cast<double>(a.shape[2]);
  charge(BackendEntry::Matmul, read_bytes(a) + read_bytes(b) + write_bytes(out), flops);
  inner_.matmul(a, b, out);
}

void TrafficModelBackend::gather(const View& in, int dim, const View& index, const View& out) {
  charge(BackendEntry::Gather,
         read_bytes(index) + element_bytes(in, out.numel()) + write_bytes(out));
  inner_.gather(in, dim, index, out);
}

void TrafficModelBackend::scatter_add(const View& out, int dim, const View& index,
                                      const View& src) {
  charge(BackendEntry::ScatterAdd,
         read_bytes(index) + read_bytes(src) + 2 * element_bytes(out, index.numel()));
  inner_.scatter_add(out, dim, index, src);
}

void TrafficModelBackend::index_select(const View& in, int dim, const View& index,
                                       const View& out) {
  charge(BackendEntry::IndexSelect,
         read_bytes(index) + element_bytes(in, out.numel()) + write_bytes(out));
  inner_.index_select(in, dim, index, out);
}

void TrafficModelBackend::index_add(const View& out, int dim, const View& index, const View& src) {
  charge(BackendEntry::IndexAdd,
         read_bytes(index) + read_bytes(src) + 2 * element_bytes(out, src.numel()));
  inner_.index_add(out, dim, index, src);
}

void TrafficModelBackend::unfold(const View& in, const View& out, const ConvGeometry& geometry,
                                 double pad_value) {
  charge(BackendEntry::Unfold, read_bytes(in) + write_bytes(out));
  inner_.unfold(in, out, geometry, pad_value);
}

void TrafficModelBackend::fold(const View& in, const View& out, const ConvGeometry& geometry) {
  charge(BackendEntry::Fold, read_bytes(in) + write_bytes(out));
  inner_.fold(in, out, geometry);
}

void TrafficModelBackend::max_pool2d_indices(const View& in, const View& out_indices,
                                             const ConvGeometry& geometry) {
  charge(BackendEntry::MaxPoolIndices, read_bytes(in) + write_bytes(out_indices));
  inner_.max_pool2d_indices(in, out_indices, geometry);
}

void TrafficModelBackend::channel_moments(const View& in, const View& mean, const View& sum_sq) {
  // Two passes over the input: the mean, then the centred squares.
  charge(BackendEntry::ChannelMoments,
         2 * read_bytes(in) + write_bytes(mean) + write_bytes(sum_sq));
  inner_.channel_moments(in, mean, sum_sq);
}

void TrafficModelBackend::channel_grad_sums(const View& grad, const View& in, const View& mean,
                                            const View& sum_g, const View& sum_gx) {
  charge(BackendEntry::ChannelGradSums, read_bytes(grad) + read_bytes(in) + read_bytes(mean) +
                                            write_bytes(sum_g) + write_bytes(sum_gx));
  inner_.channel_grad_sums(grad, in, mean, sum_g, sum_gx);
}

void TrafficModelBackend::channel_affine(const View& u, const View& m, const View& v, const View& a,
                                         const View& b, const View& d, const View& out) {
  charge(BackendEntry::ChannelAffine, read_bytes(u) + read_bytes(m) + read_bytes(v) +
                                          read_bytes(a) + read_bytes(b) + read_bytes(d) +
                                          write_bytes(out));
  inner_.channel_affine(u, m, v, a, b, d, out);
}

void TrafficModelBackend::channel_coefficients(ChannelFormula formula, const View* in, int n_in,
                                               const View* out, int n_out,
                                               const bn::Constants& constants, int64_t channels) {
  double bytes = 0;
  for (int i = 0; i < n_in; ++i) bytes += read_bytes(in[i]);
  for (int i = 0; i < n_out; ++i) bytes += out[i].data == nullptr ? 0 : write_bytes(out[i]);
  charge(BackendEntry::ChannelCoefficients, bytes);
  inner_.channel_coefficients(formula, in, n_in, out, n_out, constants, channels);
}

double TrafficModelBackend::lu_solve(const View& a, const View& b, const View& out) {
  // LU of [n, n] (2/3 n³) and two triangular solves per right-hand side (2 n² each).
  const double n = static_cast<double>(a.shape[0]), k = static_cast<double>(b.shape[1]);
  charge(BackendEntry::LuSolve, read_bytes(a) + read_bytes(b) + write_bytes(out),
         2.0 / 3.0 * n * n * n + 2.0 * n * n * k);
  return inner_.lu_solve(a, b, out);
}

void TrafficModelBackend::decompose(Decomposition kind, const View& a, const View* out, int n_out,
                                    const View& info) {
  // Per matrix [m, n] (Golub and Van Loan's counts): LU 2/3 n³, Cholesky 1/3 n³, a symmetric
  // eigendecomposition about 9 n³ (tridiagonal reduction 4/3 n³ plus the eigenvectors'
  // accumulation and back-transformation), Householder QR 2 m k² - 2/3 k³ and, for k = min(m, n)
  // and l = max(m, n), an SVD with vectors 6 l k² + 20 k³ (the R-SVD).
  const double m = static_cast<double>(a.shape[1]), n = static_cast<double>(a.shape[2]);
  const double k = std::min(m, n), l = std::max(m, n);
  double per_matrix = 0;
  switch (kind) {
    case Decomposition::Lu:
      per_matrix = 2.0 / 3.0 * n * n * n;
      break;
    case Decomposition::Cholesky:
      per_matrix = n * n * n / 3.0;
      break;
    case Decomposition::SymmetricEigen:
      per_matrix = 9.0 * n * n * n;
      break;
    case Decomposition::Qr:
      per_matrix = 2.0 * l * k * k - 2.0 / 3.0 * k * k * k;
      break;
    case Decomposition::Svd:
      per_matrix = 6.0 * l * k * k + 20.0 * k * k * k;
      break;
  }
  double bytes = read_bytes(a) + write_bytes(info);
  for (int i = 0; i < n_out; ++i) bytes += write_bytes(out[i]);
  charge(BackendEntry::Decompose, bytes, per_matrix * static_cast<double>(a.shape[0]));
  inner_.decompose(kind, a, out, n_out, info);
}

void TrafficModelBackend::triangular_solve(const View& a, const View& b, const View& out,
                                           bool upper, bool unit_diagonal) {
  // n² per right-hand side and matrix.
  const double n = static_cast<double>(a.shape[1]);
  charge(BackendEntry::TriangularSolve, read_bytes(a) + read_bytes(b) + write_bytes(out),
         n * n * static_cast<double>(b.shape[2] * a.shape[0]));
  inner_.triangular_solve(a, b, out, upper, unit_diagonal);
}

void TrafficModelBackend::random(RandomKind kind, const View& out, uint64_t seed, uint64_t offset,
                                 double low, double high) {
  charge(BackendEntry::Random, write_bytes(out));
  inner_.random(kind, out, seed, offset, low, high);
}

void TrafficModelBackend::adam_forward(const AdamCoefficients& k, const AdamForwardSlot* slots,
                                       size_t count) {
  // Per element: read g, mu, nu and write mu', nu', u; with a param, read and write it instead
  // of writing u.
  double bytes = 0;
  for (size_t i = 0; i < count; ++i)
    bytes += static_cast<double>(slots[i].numel) *
             static_cast<double>(element_size(slots[i].dtype)) *
             (slots[i].param != nullptr ? 7 : 6);
  charge(BackendEntry::AdamForward, bytes);
  inner_.adam_forward(k, slots, count);
}

void TrafficModelBackend::adam_backward(const AdamCoefficients& k, const AdamBackwardSlot* slots,
                                        size_t count) {
  // Per element: read three output gradients and g, mu', nu'; write dg, dmu, dnu.
  double bytes = 0;
  for (size_t i = 0; i < count; ++i)
    bytes +=
        static_cast<double>(slots[i].numel) * static_cast<double>(element_size(slots[i].dtype)) * 9;
  charge(BackendEntry::AdamBackward, bytes);
  inner_.adam_backward(k, slots, count);
}

std::string traffic_fields(const TrafficTallies& tallies, int steps) {
  const double per_step = 1.0 / steps;
  TrafficTally total;
  std::vector<std::pair<double, BackendEntry>> order;
  for (size_t e = 0; e < kBackendEntryCount; ++e) {
    total += tallies[e];
    if (tallies[e].calls > 0) order.emplace_back(tallies[e].seconds, static_cast<BackendEntry>(e));
  }
  std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) { return x > y; });
  std::string by_entry;
  for (const auto& [seconds, entry] : order)
    by_entry += fmt::format("{}\"{}\": {:.3f}", by_entry.empty() ? "" : ", ",
                            backend_entry_name(entry), seconds * 1e3 * per_step);
  return fmt::format(
      ", \"model_gpu_ms\": {:.3f}, \"model_gbytes\": {:.3f}, \"model_gflops\": {:.2f}, "
      "\"model_ms_by_entry\": {{{}}}",
      total.seconds * 1e3 * per_step, total.bytes * 1e-9 * per_step, total.flops * 1e-9 * per_step,
      by_entry);
}

}  // namespace metagrad
