// Parameter-free layers: the activations (ReLU, Tanh, Sigmoid, GELU, SiLU, Mish, Softplus,
// LogSigmoid, ELU, SELU, LeakyReLU, RReLU, Softmax, Softmax2d, LogSoftmax), Identity, Flatten,
// Unflatten and the dropout layers' check.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/nn/functional.hpp"
#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"

namespace metagrad::nn {

Tensor ReLU::forward(const Tensor& input) { return relu(input); }

Tensor Tanh::forward(const Tensor& input) { return tanh(input); }

Tensor Sigmoid::forward(const Tensor& input) { return sigmoid(input); }

GELU::GELU(GeluApproximate approximate) : approximate_(approximate) {}

Tensor GELU::forward(const Tensor& input) { return gelu(input, approximate_); }

std::string GELU::extra_repr() const {
  return approximate_ == GeluApproximate::Tanh ? "approximate='tanh'" : "approximate='none'";
}

Tensor SiLU::forward(const Tensor& input) { return silu(input); }

Tensor Mish::forward(const Tensor& input) { return mish(input); }

Softplus::Softplus(double beta, double threshold) : beta_(beta), threshold_(threshold) {
  MG_CHECK(beta != 0.0 && std::isfinite(beta), "Softplus: beta must be finite and non-zero, got {}",
           beta);
}

Tensor Softplus::forward(const Tensor& input) { return softplus(input, beta_, threshold_); }

std::string Softplus::extra_repr() const {
  return fmt::format("beta={}, threshold={}", detail::float_repr(beta_),
                     detail::float_repr(threshold_));
}

Tensor LogSigmoid::forward(const Tensor& input) { return log_sigmoid(input); }

ELU::ELU(double alpha) : alpha_(alpha) {}

Tensor ELU::forward(const Tensor& input) { return elu(input, alpha_); }

std::string ELU::extra_repr() const { return fmt::format("alpha={}", detail::float_repr(alpha_)); }

Tensor SELU::forward(const Tensor& input) { return selu(input); }

LeakyReLU::LeakyReLU(double negative_slope) : negative_slope_(negative_slope) {}

Tensor LeakyReLU::forward(const Tensor& input) { return leaky_relu(input, negative_slope_); }

std::string LeakyReLU::extra_repr() const {
  return fmt::format("negative_slope={}", detail::float_repr(negative_slope_));
}

RReLU::RReLU(double lower, double upper, Generator* generator)
    : lower_(lower), upper_(upper), generator_(generator) {
  MG_CHECK(lower <= upper, "RReLU: lower bound ({}) must not exceed upper bound ({})", lower,
           upper);
}

Tensor RReLU::forward(const Tensor& input) {
  return rrelu(input, lower_, upper_, is_training(), generator_);
}

std::string RReLU::extra_repr() const {
  return fmt::format("lower={}, upper={}", detail::float_repr(lower_), detail::float_repr(upper_));
}

Tensor Softmax2d::forward(const Tensor& input) {
  MG_CHECK(input.dim() == 3 || input.dim() == 4,
           "Softmax2d: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape {}",
           shape_str(input.shape()));
  return softmax(input, -3);
}

Softmax::Softmax(int64_t dim) : dim_(dim) {}

Tensor Softmax::forward(const Tensor& input) { return softmax(input, dim_); }

std::string Softmax::extra_repr() const { return fmt::format("dim={}", dim_); }

LogSoftmax::LogSoftmax(int64_t dim) : dim_(dim) {}

Tensor LogSoftmax::forward(const Tensor& input) { return log_softmax(input, dim_); }

std::string LogSoftmax::extra_repr() const { return fmt::format("dim={}", dim_); }

Tensor Identity::forward(const Tensor& input) { return input; }

Flatten::Flatten(int64_t start_dim, int64_t end_dim) : start_dim_(start_dim), end_dim_(end_dim) {}

Tensor Flatten::forward(const Tensor& input) { return flatten(input, start_dim_, end_dim_); }

std::string Flatten::extra_repr() const {
  return fmt::format("start_dim={}, end_dim={}", start_dim_, end_dim_);
}

Unflatten::Unflatten(int64_t dim, Dims unflattened_size)
    : dim_(dim), unflattened_size_(std::move(unflattened_size)) {
  const auto inferred = std::count(unflattened_size_.begin(), unflattened_size_.end(), -1);
  const bool valid = std::all_of(unflattened_size_.begin(), unflattened_size_.end(),
                                 [](int64_t size) { return size >= -1; });
  MG_CHECK(!unflattened_size_.empty() && valid && inferred <= 1,
           "Unflatten: unflattened_size {} must hold at least one size, each non-negative or one "
           "-1 (inferred)",
           shape_str(unflattened_size_));
}

Tensor Unflatten::forward(const Tensor& input) { return unflatten(input, dim_, unflattened_size_); }

std::string Unflatten::extra_repr() const {
  // A Python tuple: "(3, 4)", or "(5,)" for one size.
  std::string sizes;
  for (const int64_t size : unflattened_size_) sizes += fmt::format("{}, ", size);
  sizes.resize(sizes.size() - (unflattened_size_.size() == 1 ? 1 : 2));
  return fmt::format("dim={}, unflattened_size=({})", dim_, sizes);
}

namespace detail {

void check_dropout_probability(double p, const char* layer) {
  MG_CHECK(p >= 0.0 && p <= 1.0, "{}: dropout probability has to be between 0 and 1, but got {}",
           layer, p);
}

}  // namespace detail

}  // namespace metagrad::nn
