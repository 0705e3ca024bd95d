// nn::Upsample: interpolate with options fixed at construction (torch.nn.Upsample).
#include <fmt/format.h>

#include <cmath>

#include "engine/nn/functional.hpp"
#include "engine/nn/layers.hpp"

namespace metagrad::nn {
namespace {

// Python's str of an int or a tuple of ints / floats: "4", "(4, 5)", "2.0", "(2.0, 1.5)".
template <typename V, typename Format>
std::string python_value(const std::vector<V>& values, Format format) {
  if (values.size() == 1) return format(values[0]);
  std::string out = "(";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + format(values[i]);
  return out + ")";
}

}  // namespace

Upsample::Upsample(InterpolateOptions options) : options_(std::move(options)) {
  MG_CHECK(options_.size.empty() != options_.scale_factor.empty(),
           "Upsample: give exactly one of size and scale_factor (got {})",
           options_.size.empty() ? "neither" : "both");
  for (const int64_t size : options_.size)
    MG_CHECK(size > 0, "Upsample: size must be positive, got {}", size);
  for (const double factor : options_.scale_factor)
    MG_CHECK(std::isfinite(factor) && factor > 0,
             "Upsample: scale_factor must be positive and finite, got {}", factor);
}

Tensor Upsample::forward(const Tensor& input) { return interpolate(input, options_); }

std::string Upsample::extra_repr() const {
  const std::string what =
      options_.scale_factor.empty()
          ? "size=" + python_value(options_.size, [](int64_t v) { return fmt::format("{}", v); })
          : "scale_factor=" + python_value(options_.scale_factor, detail::float_repr);
  return fmt::format("{}, mode={}", what, metagrad::detail::interpolate_mode_name(options_.mode));
}

}  // namespace metagrad::nn
