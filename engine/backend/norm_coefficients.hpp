#pragma once

// Batch norm's per-channel coefficient formulas (Note [batch-norm coefficients]), written once for
// the CPU backend (engine/backend/cpu/cpu_norm.cpp) and the CUDA kernels
// (cuda/kernels/norm_kernels.hpp). Plain arithmetic in double on one channel's values.
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define MG_NORM_HD __host__ __device__
#else
#define MG_NORM_HD
#endif

// Note [batch-norm coefficients]
// Between its passes over the data, training-mode batch norm computes a handful of per-channel
// vectors ([C]: inv_std, scale, the a, b, d of channel_affine) from the per-channel sums. As
// tensor ops each is a separate kernel on a tiny vector: about 12 for a forward, 8 for a
// backward and 45 for a double backward, a third of the launches of a MAML meta-step on a GPU,
// where each costs a launch whatever its size. Backend::channel_coefficients evaluates one whole
// formula set for every channel in one pass (one launch), in double. The inputs and outputs are
// indexed as the slots below; an absent optional input reads as its neutral value.

namespace metagrad {

/// The formula sets of Backend::channel_coefficients.
enum class ChannelFormula : uint8_t {
  /// Training forward: inv_std, scale, shift and the running statistics (bn::forward slots).
  Forward,
  /// First-order gradient: channel_affine's a, b, d for dx, and dw (bn::backward slots).
  Backward,
  /// Double backward's coefficients (bn::double_backward slots).
  DoubleBackward,
};

namespace bn {

/// The slots of ChannelFormula::Forward. In: mean, sum_sq (Σ (x - mean)²), weight (1 when
/// absent), bias (0), running_mean, running_var (absent: not updated). Out: inv_std =
/// (sum_sq / M + eps)^-1/2, scale = weight inv_std, shift = bias, and the running statistics
/// updated in place (their out slots alias their in slots): running = (1 - momentum) running +
/// momentum stat, with the unbiased variance sum_sq / (M - 1) (PyTorch).
namespace forward {
enum In { kMean, kSumSq, kWeight, kBias, kRunningMean, kRunningVar, kInCount };
enum Out { kInvStd, kScale, kShift, kNewRunningMean, kNewRunningVar, kOutCount };
}  // namespace forward

/// The slots of ChannelFormula::Backward (the gradient of y = (x - mean) s w + b, s = inv_std,
/// k = w s): dx = a (x - mean) + k g + d. In: inv_std, weight (1), sum_g (Σ g), sum_gc
/// (Σ g (x - mean)). Out: a = -k s² Σgc / M, k, d = -k Σg / M, dw = s Σgc.
namespace backward {
enum In { kInvStd, kWeight, kSumG, kSumGc, kInCount };
enum Out { kA, kK, kD, kDw, kOutCount };
}  // namespace backward

/// The slots of ChannelFormula::DoubleBackward (Note [batch-norm double backward]): with qx, qw
/// the gradients of dx and dw, d/dg = ga (x - mean) + k qx + gd, d/dx = alpha (x - mean) + beta g
/// + gamma qx + delta, d/dw = dw. In: inv_std, weight (1), qw (0), sum_g, sum_gc, sum_q (Σ qx),
/// sum_qc (Σ qx (x - mean)), sum_gq (Σ g qx). Out: ga, k, gd, alpha, beta, gamma, delta, dw.
namespace double_backward {
enum In { kInvStd, kWeight, kQw, kSumG, kSumGc, kSumQ, kSumQc, kSumGq, kInCount };
enum Out { kGa, kK, kGd, kAlpha, kBeta, kGamma, kDelta, kDw, kOutCount };
}  // namespace double_backward

/// The most slots a formula set reads or writes.
inline constexpr int kMaxSlots = 8;

/// What the formulas need besides the per-channel values.
struct Constants {
  /// M, the number of values per channel.
  double count = 1.0;
  /// Added to the biased variance under the square root.
  double eps = 1e-5;
  /// The running statistics' update factor (Forward only).
  double momentum = 0.1;
};

/// The Forward set on one channel (bn::forward slots).
MG_NORM_HD inline void forward_formulas(const double* in, double* out, const Constants& k) {
  using namespace forward;
  const double inv_std = 1.0 / std::sqrt(in[kSumSq] / k.count + k.eps);
  out[kInvStd] = inv_std;
  out[kScale] = inv_std * in[kWeight];
  out[kShift] = in[kBias];
  out[kNewRunningMean] = (1.0 - k.momentum) * in[kRunningMean] + k.momentum * in[kMean];
  out[kNewRunningVar] =
      (1.0 - k.momentum) * in[kRunningVar] + k.momentum * in[kSumSq] / (k.count - 1.0);
}

/// The Backward set on one channel (bn::backward slots).
MG_NORM_HD inline void backward_formulas(const double* in, double* out, const Constants& k) {
  using namespace backward;
  const double s = in[kInvStd], w_s = in[kWeight] * s;
  out[kA] = -w_s * s * s * in[kSumGc] / k.count;
  out[kK] = w_s;
  out[kD] = -w_s * in[kSumG] / k.count;
  out[kDw] = s * in[kSumGc];
}

/// The DoubleBackward set on one channel (bn::double_backward slots).
MG_NORM_HD inline void double_backward_formulas(const double* in, double* out, const Constants& k) {
  using namespace double_backward;
  const double m = k.count, s = in[kInvStd], w = in[kWeight], qw = in[kQw];
  const double s2 = s * s, ws = w * s, ws3 = w * s2 * s;
  const double sum_q = in[kSumQ], sum_qc = in[kSumQc], sum_gq = in[kSumGq];
  const double g_m = in[kSumG] / m, gc_m = in[kSumGc] / m;
  out[kGa] = qw * s - ws * s2 * sum_qc / m;
  out[kK] = ws;
  out[kGd] = -ws * sum_q / m;
  out[kAlpha] = ws3 * (sum_q * g_m - sum_gq + 3.0 * s2 * gc_m * sum_qc) / m - qw * s2 * s * gc_m;
  out[kBeta] = qw * s - ws3 * sum_qc / m;
  out[kGamma] = -ws3 * gc_m;
  out[kDelta] = ws3 * (sum_qc * g_m + gc_m * sum_q) / m - qw * s * g_m;
  out[kDw] = s * (sum_gq - in[kSumG] * sum_q / m - s2 * in[kSumGc] * sum_qc / m);
}

/// The number of input slots of a formula set.
MG_NORM_HD inline int input_count(ChannelFormula f) {
  if (f == ChannelFormula::Forward) return forward::kInCount;
  if (f == ChannelFormula::Backward) return backward::kInCount;
  return double_backward::kInCount;
}

/// The number of output slots of a formula set.
MG_NORM_HD inline int output_count(ChannelFormula f) {
  if (f == ChannelFormula::Forward) return forward::kOutCount;
  if (f == ChannelFormula::Backward) return backward::kOutCount;
  return double_backward::kOutCount;
}

static_assert(static_cast<int>(backward::kWeight) == static_cast<int>(double_backward::kWeight));

/// What an absent input of slot `slot` reads as: 1 for the weight, 0 otherwise.
MG_NORM_HD inline double neutral_input(ChannelFormula f, int slot) {
  const int weight = f == ChannelFormula::Forward ? static_cast<int>(forward::kWeight)
                                                  : static_cast<int>(backward::kWeight);
  return slot == weight ? 1.0 : 0.0;
}

/// out = the formulas of `f` on one channel's inputs `in`.
MG_NORM_HD inline void evaluate(ChannelFormula f, const double* in, double* out,
                                const Constants& k) {
  if (f == ChannelFormula::Forward) {
    forward_formulas(in, out, k);
  } else if (f == ChannelFormula::Backward) {
    backward_formulas(in, out, k);
  } else {
    double_backward_formulas(in, out, k);
  }
}

}  // namespace bn
}  // namespace metagrad
