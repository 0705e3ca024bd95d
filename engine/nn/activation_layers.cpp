// Parameter-free layers: ReLU, Tanh, Sigmoid, Flatten, Dropout.
#include <fmt/format.h>

#include "engine/nn/functional.hpp"
#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"

namespace metagrad::nn {

Tensor ReLU::forward(const Tensor& input) { return relu(input); }

Tensor Tanh::forward(const Tensor& input) { return tanh(input); }

Tensor Sigmoid::forward(const Tensor& input) { return sigmoid(input); }

Flatten::Flatten(int64_t start_dim, int64_t end_dim) : start_dim_(start_dim), end_dim_(end_dim) {}

Tensor Flatten::forward(const Tensor& input) { return flatten(input, start_dim_, end_dim_); }

std::string Flatten::extra_repr() const {
  return fmt::format("start_dim={}, end_dim={}", start_dim_, end_dim_);
}

Dropout::Dropout(double p, Generator* generator) : p_(p), generator_(generator) {
  MG_CHECK(p >= 0.0 && p <= 1.0,
           "Dropout: dropout probability has to be between 0 and 1, but got {}", p);
}

Tensor Dropout::forward(const Tensor& input) {
  return dropout(input, p_, is_training(), generator_);
}

std::string Dropout::extra_repr() const {
  return fmt::format("p={}, inplace=False", detail::float_repr(p_));
}

}  // namespace metagrad::nn
