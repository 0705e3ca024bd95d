// bincount, histc and histogram (histograms.hpp): each entry's bin is computed elementwise, the
// entries not counted are sent to a spare bin past the last, and index_add sums ones (or the
// weights) into the bins.
#include "engine/ops/histograms.hpp"

#include <cmath>
#include <limits>
#include <tuple>

#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// The sums of `amounts` (undefined: ones of `dtype`) into `bins` bins by the int64 `bin` (input's
// shape; `bins` for an entry not counted).
Tensor sum_into_bins(const Tensor& bin, int64_t bins, const Tensor& amounts, DType dtype) {
  const Tensor flat_bin = reshape(bin, {-1});
  const TensorOptions options(dtype, bin.device());
  const Tensor added = amounts.defined() ? reshape(amounts, {-1}) : ones(flat_bin.shape(), options);
  return slice(index_add(zeros({bins + 1}, options), 0, flat_bin, added), 0, 0, bins);
}

// The smallest and largest entries of a non-empty x.
std::pair<double, double> data_range(const Tensor& x) {
  return {min(x).item<double>(), max(x).item<double>()};
}

void check_histogram_input(const Tensor& input, int64_t bins, const char* op) {
  detail::check_defined(input, op);
  MG_CHECK(is_floating(input.dtype()),
           "{}: the input must be a float tensor, got {} of shape {}; convert it with "
           ".to(kFloat32)",
           op, dtype_name(input.dtype()), shape_str(input.shape()));
  MG_CHECK(bins >= 1, "{}: bins must be at least 1, got {}", op, bins);
}

void check_range(double low, double high, const char* op) {
  MG_CHECK(std::isfinite(low) && std::isfinite(high), "{}: range of [{}, {}] is not finite", op,
           low, high);
  MG_CHECK(low <= high, "{}: max must be larger than min, got min {} and max {}", op, low, high);
}

// The weights of a histogram, checked against the input (undefined when none).
void check_weight(const Tensor& weight, const Tensor& input) {
  if (!weight.defined()) return;
  MG_CHECK(weight.shape() == input.shape() && weight.dtype() == input.dtype() &&
               weight.device() == input.device(),
           "histogram: the weight ({} of shape {} on {}) must have the input's shape, dtype and "
           "device ({} of shape {} on {})",
           dtype_name(weight.dtype()), shape_str(weight.shape()), weight.device().str(),
           dtype_name(input.dtype()), shape_str(input.shape()), input.device().str());
}

// The histogram of input over the ascending `edges`: bin i holds [edges[i], edges[i+1]), the
// last bin its right edge too.
HistogramResult histogram_over(const Tensor& input, const Tensor& edges, const Tensor& weight,
                               bool density) {
  const int64_t bins = edges.numel() - 1;
  const Tensor low = select(edges, 0, 0), high = select(edges, 0, bins);
  const Tensor counted = logical_and(ge(input, low), le(input, high));
  const Tensor found = searchsorted(edges, input, true) - 1.0;
  // Only the right edge itself finds the spare bin `bins` among the entries counted.
  const Tensor bin = where(logical_and(counted, lt(found, static_cast<double>(bins))), found,
                           static_cast<double>(bins - 1));
  const Tensor spare = where(counted, bin, static_cast<double>(bins));
  Tensor hist = sum_into_bins(spare, bins, weight, input.dtype());
  if (density) hist = hist / (sum(hist) * diff(edges));
  return {hist, edges};
}

}  // namespace

Tensor bincount(const Tensor& input, const Tensor& weights, int64_t minlength) {
  detail::check_defined(input, "bincount");
  MG_CHECK(input.dtype() == kInt64 && input.dim() == 1,
           "bincount: the input must be a 1-D int64 tensor, got {} of shape {}",
           dtype_name(input.dtype()), shape_str(input.shape()));
  MG_CHECK(minlength >= 0, "bincount: minlength must be non-negative, got {}", minlength);
  if (weights.defined()) {
    MG_CHECK(weights.dim() == 1 && weights.size(0) == input.size(0) && weights.dtype() != kBool &&
                 weights.device() == input.device(),
             "bincount: the weights ({} of shape {} on {}) must be a 1-D number tensor of the "
             "input's length {} on {}",
             dtype_name(weights.dtype()), shape_str(weights.shape()), weights.device().str(),
             input.size(0), input.device().str());
  }
  int64_t bins = minlength;
  if (input.numel() > 0) {
    NoGradGuard no_grad;
    const auto [smallest, largest] =
        std::pair{min(input).item<int64_t>(), max(input).item<int64_t>()};
    MG_CHECK(smallest >= 0, "bincount: the input must be non-negative, got an entry {}", smallest);
    MG_CHECK(largest < std::numeric_limits<int64_t>::max(),
             "bincount: the largest entry {} leaves no room for its bin", largest);
    bins = std::max(bins, largest + 1);
  }
  const TensorOptions options(kInt64, input.device());
  if (!weights.defined()) return index_add(zeros({bins}, options), 0, input, ones_like(input));
  const Tensor amounts = is_floating(weights.dtype()) ? weights : weights.to(kFloat64);
  return index_add(zeros({bins}, TensorOptions(amounts.dtype(), input.device())), 0, input,
                   amounts);
}

Tensor histc(const Tensor& input, int64_t bins, double min, double max) {
  check_histogram_input(input, bins, "histc");
  NoGradGuard no_grad;
  double low = min, high = max;
  if (low == high && input.numel() > 0) std::tie(low, high) = data_range(input);
  check_range(low, high, "histc");
  if (low == high) {
    low -= 1.0;
    high += 1.0;
  }
  // The edges in the input's dtype, as PyTorch's linspace of them; bins computed in that dtype.
  const TensorOptions options(input.dtype(), input.device());
  const Tensor left = full({}, low, options), right = full({}, high, options);
  const Tensor counted = logical_and(ge(input, left), le(input, right));
  const Tensor position = floor((input - left) * static_cast<double>(bins) / (right - left));
  const Tensor bin =
      where(counted, clamp(position, 0.0, static_cast<double>(bins - 1)), static_cast<double>(bins))
          .to(kInt64);
  return sum_into_bins(bin, bins, Tensor(), input.dtype());
}

HistogramResult histogram(const Tensor& input, int64_t bins,
                          std::optional<std::pair<double, double>> range, const Tensor& weight,
                          bool density) {
  check_histogram_input(input, bins, "histogram");
  check_weight(weight, input);
  NoGradGuard no_grad;
  auto [low, high] = range.value_or(input.numel() > 0 ? data_range(input) : std::pair{0.0, 1.0});
  check_range(low, high, "histogram");
  if (low == high) {
    low -= 0.5;
    high += 0.5;
  }
  const Tensor edges = linspace(low, high, bins + 1, TensorOptions(input.dtype(), input.device()));
  return histogram_over(input, edges, weight, density);
}

HistogramResult histogram(const Tensor& input, const Tensor& bins, const Tensor& weight,
                          bool density) {
  check_histogram_input(input, 1, "histogram");
  detail::check_defined(bins, "histogram", "bins");
  MG_CHECK(bins.dim() == 1 && bins.numel() >= 2 && bins.dtype() == input.dtype() &&
               bins.device() == input.device(),
           "histogram: the bin edges must be a 1-D tensor of at least 2 entries with the input's "
           "dtype {} on {}, got {} of shape {} on {}",
           dtype_name(input.dtype()), input.device().str(), dtype_name(bins.dtype()),
           shape_str(bins.shape()), bins.device().str());
  check_weight(weight, input);
  NoGradGuard no_grad;
  return histogram_over(input, bins, weight, density);
}

}  // namespace metagrad
