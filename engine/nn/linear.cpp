#include <fmt/format.h>

#include <cmath>

#include "engine/nn/functional.hpp"
#include "engine/nn/init.hpp"
#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"

namespace metagrad::nn {

Linear::Linear(int64_t in_features, int64_t out_features, bool bias)
    : Linear(in_features, out_features, LinearOptions{.bias = bias}) {}

Linear::Linear(int64_t in_features, int64_t out_features, const LinearOptions& options)
    : in_features_(in_features), out_features_(out_features) {
  MG_CHECK(in_features >= 0 && out_features >= 0,
           "Linear: in_features and out_features must be non-negative, got {} and {}", in_features,
           out_features);
  MG_CHECK(is_floating(options.dtype), "Linear: parameters must be float32 or float64, got {}",
           dtype_name(options.dtype));
  register_parameter("weight", empty({out_features, in_features}, options.dtype));
  register_parameter("bias", options.bias ? empty({out_features}, options.dtype) : Tensor());
  reset_parameters(options.generator);
}

void Linear::reset_parameters(Generator* generator) {
  // PyTorch: kaiming_uniform_(a = sqrt(5)) -> U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias likewise.
  init::kaiming_uniform_(weight(), std::sqrt(5.0), init::FanMode::FanIn,
                         init::Nonlinearity::LeakyReLU, generator);
  if (bias().defined()) {
    const double bound =
        in_features_ > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features_)) : 0.0;
    init::uniform_(bias(), -bound, bound, generator);
  }
}

Tensor Linear::forward(const Tensor& input) { return linear(input, weight(), bias()); }

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features_, out_features_,
                     bias().defined() ? "True" : "False");
}

}  // namespace metagrad::nn
