// ctc_loss: the CTC forward recursion over the extended label sequence (blank, l1, blank, ...,
// lS, blank), in log space, composed of differentiable ops (gather, exp, log, where), so its
// derivatives of every order are exact. Unreachable states hold a large negative finite number
// instead of -inf, so that no inf - inf reaches a gradient; they never touch a reachable state's
// value.
#include <algorithm>
#include <limits>
#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/loss_support.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

constexpr const char* kCtcLoss = "ctc_loss";
// The log-probability of an unreachable state: exp of it is 0 in either float dtype, and sums of
// a few thousand log-probabilities cannot move it near a reachable value.
constexpr double kUnreachable = -1e30;

// The per-sample lengths of a 1-D (or 0-d, unbatched) int64 tensor, checked against `count`
// samples.
std::vector<int64_t> lengths_of(const Tensor& lengths, int64_t count, const char* name) {
  detail::check_defined(lengths, kCtcLoss, name);
  MG_CHECK(lengths.dtype() == kInt64 && lengths.numel() == count && lengths.dim() <= 1,
           "ctc_loss: {} must be an int64 tensor of {} length(s), one per sample, got {} of shape "
           "{}",
           name, count, dtype_name(lengths.dtype()), shape_str(lengths.shape()));
  return lengths.to_vector<int64_t>();
}

// The alignment problem of one sample, read on the host.
struct Sample {
  std::vector<int64_t> labels;  // the target
  int64_t frames = 0;           // T_n
  bool feasible = true;         // T_n >= S_n + repeats
};

}  // namespace

Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, const CtcLossOptions& options) {
  detail::check_floating(log_probs, kCtcLoss);
  MG_CHECK(log_probs.dim() == 2 || log_probs.dim() == 3,
           "ctc_loss: expected log_probs [T, N, C] or unbatched [T, C], got shape {}",
           shape_str(log_probs.shape()));
  detail::check_defined(targets, kCtcLoss, "targets");
  MG_CHECK(targets.dtype() == kInt64,
           "ctc_loss: targets must be int64 class indices, got {} of shape {}",
           dtype_name(targets.dtype()), shape_str(targets.shape()));
  const bool batched = log_probs.dim() == 3;
  const Tensor lp = batched ? log_probs : log_probs.unsqueeze(1);  // [T, N, C]
  const int64_t time = lp.size(0), n = lp.size(1), classes = lp.size(2);
  MG_CHECK(options.blank >= 0 && options.blank < classes,
           "ctc_loss: blank ({}) must be a class of log_probs shape {} (in [0, {}))", options.blank,
           shape_str(log_probs.shape()), classes);
  const std::vector<int64_t> frames = lengths_of(input_lengths, n, "input_lengths");
  const std::vector<int64_t> target_sizes = lengths_of(target_lengths, n, "target_lengths");

  // Read the targets: padded [N, S] (or [S] unbatched) or concatenated.
  const std::vector<int64_t> flat = targets.to_vector<int64_t>();
  const bool padded = targets.dim() == (batched ? 2 : 1);
  int64_t total = 0;
  for (const int64_t size : target_sizes) {
    MG_CHECK(size >= 0, "ctc_loss: target_lengths must be non-negative, got {}", size);
    total += size;
  }
  if (!padded) {
    MG_CHECK(batched && targets.dim() == 1 && targets.numel() == total,
             "ctc_loss: targets must be padded [N, S] ([S] unbatched) or concatenated 1-D with "
             "sum(target_lengths) = {} entries, got shape {}",
             total, shape_str(targets.shape()));
  }
  const int64_t row = padded ? targets.size(-1) : 0;
  std::vector<Sample> samples(static_cast<size_t>(n));
  int64_t longest = 0, offset = 0;
  for (int64_t i = 0; i < n; ++i) {
    Sample& sample = samples[static_cast<size_t>(i)];
    const int64_t size = target_sizes[static_cast<size_t>(i)];
    sample.frames = frames[static_cast<size_t>(i)];
    MG_CHECK(sample.frames >= 0 && sample.frames <= time,
             "ctc_loss: input_lengths[{}] = {} must lie in [0, {}] (the frames of log_probs "
             "shape {})",
             i, sample.frames, time, shape_str(log_probs.shape()));
    MG_CHECK(!padded || size <= row,
             "ctc_loss: target_lengths[{}] = {} exceeds the {} columns of padded targets shape {}",
             i, size, row, shape_str(targets.shape()));
    const int64_t start = padded ? i * row : offset;
    offset += size;
    int64_t repeats = 0;
    for (int64_t j = 0; j < size; ++j) {
      const int64_t label = flat[static_cast<size_t>(start + j)];
      MG_CHECK(label >= 0 && label < classes && label != options.blank,
               "ctc_loss: target {} of sample {} is {}; targets must be classes in [0, {}) other "
               "than blank = {}",
               j, i, label, classes, options.blank);
      if (j > 0 && label == sample.labels.back()) ++repeats;
      sample.labels.push_back(label);
    }
    sample.feasible = sample.frames >= size + repeats && (sample.frames > 0 || size == 0);
    longest = std::max(longest, size);
  }

  // The extended labels [N, L'], which states may skip the blank before them, which start the
  // recursion, and where each sample's recursion ends.
  const int64_t states = 2 * longest + 1;
  std::vector<int64_t> extended(static_cast<size_t>(n * states), options.blank);
  std::vector<double> skip(static_cast<size_t>(n * states), 0.0);
  std::vector<double> start(static_cast<size_t>(n * states), 0.0);
  std::vector<int64_t> last_blank(static_cast<size_t>(n)), last_label(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const Sample& sample = samples[static_cast<size_t>(i)];
    const int64_t size = static_cast<int64_t>(sample.labels.size());
    for (int64_t j = 0; j < size; ++j) {
      const size_t at = static_cast<size_t>(i * states + 2 * j + 1);
      extended[at] = sample.labels[static_cast<size_t>(j)];
      skip[at] = j > 0 &&
                 sample.labels[static_cast<size_t>(j)] != sample.labels[static_cast<size_t>(j - 1)];
    }
    start[static_cast<size_t>(i * states)] = 1.0;
    if (size > 0) start[static_cast<size_t>(i * states + 1)] = 1.0;
    last_blank[static_cast<size_t>(i)] = 2 * size;
    last_label[static_cast<size_t>(i)] = size > 0 ? 2 * size - 1 : 2 * size;
  }
  const Device device = lp.device();
  const TensorOptions float_options(lp.dtype(), device), index_options(kInt64, device);
  const Tensor label_index =
      tensor(std::vector<double>(extended.begin(), extended.end()), {n, states}, index_options);
  Tensor may_skip, starts, unreachable;
  {
    NoGradGuard no_grad;
    may_skip = gt(tensor(skip, {n, states}, float_options), 0.0);
    starts = gt(tensor(start, {n, states}, float_options), 0.0);
    unreachable = full({n, states}, kUnreachable, float_options);
  }
  const Tensor edge = full({n, 2}, kUnreachable, float_options);

  // alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), [alpha_{t-1}(s-2)]) + lp_t(l'_s),
  // frozen once t reaches the sample's length. alpha is kept behind two unreachable columns
  // (`lagged`), so that s-1 and s-2 are slices. The frames are split once (one node whose backward
  // joins the frames' gradients) rather than selected per step.
  const TensorList frames_of = split(lp, 1, 0);
  auto emissions = [&](int64_t t) {
    return gather(reshape(frames_of[static_cast<size_t>(t)], {n, classes}), 1, label_index);
  };
  Tensor lagged = cat({edge, where(starts, emissions(0), unreachable)}, 1);
  for (int64_t t = 1; t < time; ++t) {
    const Tensor stay = lagged.slice(1, 2, states + 2);
    const Tensor one_back = lagged.slice(1, 1, states + 1);
    const Tensor two_back = where(may_skip, lagged.slice(1, 0, states), unreachable);
    // log(e^a + e^b + e^c) shifted by their (constant) maximum m: exact in every derivative,
    // since the value does not depend on m, and all three are finite.
    Tensor shift;
    {
      NoGradGuard no_grad;
      shift = maximum(maximum(stay, one_back), two_back).detach();
    }
    Tensor next = log(exp(stay - shift) + exp(one_back - shift) + exp(two_back - shift)) + shift +
                  emissions(t);
    std::vector<double> running(static_cast<size_t>(n));
    bool all_running = true;
    for (int64_t i = 0; i < n; ++i) {
      const bool runs = t < samples[static_cast<size_t>(i)].frames;
      running[static_cast<size_t>(i)] = runs ? 1.0 : 0.0;
      all_running &= runs;
    }
    if (!all_running) {
      Tensor active;
      {
        NoGradGuard no_grad;
        active = gt(tensor(running, {n, 1}, float_options), 0.0);
      }
      next = where(active, next, stay);
    }
    lagged = cat({edge, next}, 1);
  }
  const Tensor alpha = lagged.slice(1, 2, states + 2);
  auto column = [&](const std::vector<int64_t>& at) {
    return gather(alpha, 1,
                  tensor(std::vector<double>(at.begin(), at.end()), {n, 1}, index_options))
        .reshape({n});
  };
  Tensor loss = -logaddexp(column(last_blank), column(last_label));

  // Targets that no alignment fits: +inf, or 0 with zero_infinity (gradient 0 either way).
  std::vector<double> fits(static_cast<size_t>(n)), divisor(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    fits[static_cast<size_t>(i)] = samples[static_cast<size_t>(i)].feasible ? 1.0 : 0.0;
    divisor[static_cast<size_t>(i)] =
        static_cast<double>(std::max<size_t>(samples[static_cast<size_t>(i)].labels.size(), 1));
  }
  Tensor feasible;
  {
    NoGradGuard no_grad;
    feasible = gt(tensor(fits, {n}, float_options), 0.0);
  }
  loss =
      where(feasible, loss, options.zero_infinity ? 0.0 : std::numeric_limits<double>::infinity());
  switch (options.reduction) {
    case Reduction::None:
      return batched ? loss : loss.reshape({});
    case Reduction::Sum:
      return sum(loss);
    case Reduction::Mean:
      return mean(loss / tensor(divisor, {n}, float_options));
  }
  return loss;
}

}  // namespace metagrad
