// The layers of the piecewise and gated activations (engine/nn/piecewise_activations.cpp):
// Hardtanh, ReLU6, Hardsigmoid, Hardswish, Softsign, Tanhshrink, Softshrink, Hardshrink,
// Threshold, CELU, GLU, Softmin and PReLU, with PyTorch's arguments and reprs.
#include <fmt/format.h>

#include <cmath>

#include "engine/nn/functional.hpp"
#include "engine/nn/init.hpp"
#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"

namespace metagrad::nn {

Hardtanh::Hardtanh(double min_val, double max_val) : min_val_(min_val), max_val_(max_val) {
  MG_CHECK(min_val <= max_val, "Hardtanh: min_val ({}) must not exceed max_val ({})", min_val,
           max_val);
}

Tensor Hardtanh::forward(const Tensor& input) { return hardtanh(input, min_val_, max_val_); }

std::string Hardtanh::extra_repr() const {
  return fmt::format("min_val={}, max_val={}", detail::float_repr(min_val_),
                     detail::float_repr(max_val_));
}

Tensor ReLU6::forward(const Tensor& input) { return relu6(input); }

Tensor Hardsigmoid::forward(const Tensor& input) { return hardsigmoid(input); }

Tensor Hardswish::forward(const Tensor& input) { return hardswish(input); }

Tensor Softsign::forward(const Tensor& input) { return softsign(input); }

Tensor Tanhshrink::forward(const Tensor& input) { return tanhshrink(input); }

Softshrink::Softshrink(double lambd) : lambd_(lambd) {
  MG_CHECK(lambd >= 0.0, "Softshrink: lambd must be non-negative, got {}", lambd);
}

Tensor Softshrink::forward(const Tensor& input) { return softshrink(input, lambd_); }

std::string Softshrink::extra_repr() const { return detail::float_repr(lambd_); }

Hardshrink::Hardshrink(double lambd) : lambd_(lambd) {}

Tensor Hardshrink::forward(const Tensor& input) { return hardshrink(input, lambd_); }

std::string Hardshrink::extra_repr() const { return detail::float_repr(lambd_); }

Threshold::Threshold(double threshold, double value) : threshold_(threshold), value_(value) {}

Tensor Threshold::forward(const Tensor& input) { return threshold(input, threshold_, value_); }

std::string Threshold::extra_repr() const {
  return fmt::format("threshold={}, value={}", detail::float_repr(threshold_),
                     detail::float_repr(value_));
}

CELU::CELU(double alpha) : alpha_(alpha) {
  MG_CHECK(alpha != 0.0 && std::isfinite(alpha), "CELU: alpha must be finite and non-zero, got {}",
           alpha);
}

Tensor CELU::forward(const Tensor& input) { return celu(input, alpha_); }

std::string CELU::extra_repr() const { return fmt::format("alpha={}", detail::float_repr(alpha_)); }

GLU::GLU(int64_t dim) : dim_(dim) {}

Tensor GLU::forward(const Tensor& input) { return glu(input, dim_); }

std::string GLU::extra_repr() const { return fmt::format("dim={}", dim_); }

Softmin::Softmin(int64_t dim) : dim_(dim) {}

Tensor Softmin::forward(const Tensor& input) { return softmin(input, dim_); }

std::string Softmin::extra_repr() const { return fmt::format("dim={}", dim_); }

PReLU::PReLU(const PReLUOptions& options) : options_(options) {
  MG_CHECK(options.num_parameters >= 1, "PReLU: num_parameters must be positive, got {}",
           options.num_parameters);
  MG_CHECK(is_floating(options.dtype), "PReLU: parameters must be float32 or float64, got {}",
           dtype_name(options.dtype));
  register_parameter("weight", empty({options.num_parameters}, options.dtype));
  reset_parameters();
}

void PReLU::reset_parameters() { init::constant_(parameter_at(0), options_.init); }

Tensor PReLU::forward(const Tensor& input) {
  MG_CHECK(input.defined(), "PReLU: the input is undefined");
  return prelu(input, parameter_at(0));
}

std::string PReLU::extra_repr() const {
  return fmt::format("num_parameters={}", options_.num_parameters);
}

}  // namespace metagrad::nn
