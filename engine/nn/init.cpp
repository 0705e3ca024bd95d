#include "engine/nn/init.hpp"

#include <cmath>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"

namespace metagrad::nn::init {
namespace {

void check_target(const Tensor& tensor, const char* op) {
  MG_CHECK(tensor.defined(), "{}: the tensor is undefined", op);
  MG_CHECK(tensor.is_floating_point(), "{}: expects a float32 or float64 tensor, got {}", op,
           dtype_name(tensor.dtype()));
}

// Overwrites tensor's values with `values` (same shape) without recording.
Tensor overwrite(Tensor tensor, const Tensor& values) {
  NoGradGuard no_grad;
  tensor.copy_(values);
  return tensor;
}

int64_t fan_of(const Tensor& tensor, FanMode mode) {
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  return mode == FanMode::FanIn ? fan_in : fan_out;
}

}  // namespace

double calculate_gain(Nonlinearity nonlinearity, std::optional<double> param) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Conv2d:
    case Nonlinearity::Sigmoid:
      return 1.0;
    case Nonlinearity::Tanh:
      return 5.0 / 3.0;
    case Nonlinearity::ReLU:
      return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU: {
      const double slope = param.value_or(0.01);
      return std::sqrt(2.0 / (1.0 + slope * slope));
    }
    case Nonlinearity::SELU:
      return 3.0 / 4.0;
  }
  return 1.0;
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  MG_CHECK(tensor.defined() && tensor.dim() >= 2,
           "calculate_fan_in_and_fan_out: fan in and fan out can not be computed for a tensor with "
           "fewer than 2 dimensions (got shape {})",
           tensor.defined() ? shape_str(tensor.shape()) : std::string("undefined"));
  int64_t receptive_field = 1;
  for (int d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

Tensor uniform_(Tensor tensor, double low, double high, Generator* generator) {
  check_target(tensor, "uniform_");
  MG_CHECK(low <= high, "uniform_: expects low <= high, got low={} high={}", low, high);
  if (tensor.numel() == 0) return tensor;
  const Tensor u = rand(tensor.shape(), {tensor.dtype(), tensor.device()}, generator);
  return overwrite(tensor, u * (high - low) + low);
}

Tensor normal_(Tensor tensor, double mean, double std, Generator* generator) {
  check_target(tensor, "normal_");
  MG_CHECK(std >= 0.0, "normal_: expects std >= 0, got {}", std);
  if (tensor.numel() == 0) return tensor;
  const Tensor z = randn(tensor.shape(), {tensor.dtype(), tensor.device()}, generator);
  return overwrite(tensor, z * std + mean);
}

namespace {
Tensor fill_named(Tensor tensor, double value, const char* op) {
  MG_CHECK(tensor.defined(), "{}: the tensor is undefined", op);
  NoGradGuard no_grad;
  tensor.fill_(value);
  return tensor;
}
}  // namespace

Tensor constant_(Tensor tensor, double value) {
  return fill_named(std::move(tensor), value, "constant_");
}

Tensor zeros_(Tensor tensor) { return fill_named(std::move(tensor), 0.0, "zeros_"); }

Tensor ones_(Tensor tensor) { return fill_named(std::move(tensor), 1.0, "ones_"); }

Tensor xavier_uniform_(Tensor tensor, double gain, Generator* generator) {
  check_target(tensor, "xavier_uniform_");
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  const double bound = std::sqrt(3.0) * std;
  return uniform_(std::move(tensor), -bound, bound, generator);
}

Tensor xavier_normal_(Tensor tensor, double gain, Generator* generator) {
  check_target(tensor, "xavier_normal_");
  const auto [fan_in, fan_out] = calculate_fan_in_and_fan_out(tensor);
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return normal_(std::move(tensor), 0.0, std, generator);
}

Tensor kaiming_uniform_(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity,
                        Generator* generator) {
  check_target(tensor, "kaiming_uniform_");
  if (tensor.numel() == 0) return tensor;
  const double std =
      calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan_of(tensor, mode)));
  const double bound = std::sqrt(3.0) * std;
  return uniform_(std::move(tensor), -bound, bound, generator);
}

Tensor kaiming_normal_(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity,
                       Generator* generator) {
  check_target(tensor, "kaiming_normal_");
  if (tensor.numel() == 0) return tensor;
  const double std =
      calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan_of(tensor, mode)));
  return normal_(std::move(tensor), 0.0, std, generator);
}

}  // namespace metagrad::nn::init
