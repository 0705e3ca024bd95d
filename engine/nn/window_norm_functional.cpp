// lp_pool1d / lp_pool2d and local_response_norm, composed (as PyTorch's) of average pooling and
// elementwise ops, so every order of derivative comes with them.
#include <algorithm>
#include <optional>

#include "engine/nn/functional.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// (sign(s) relu(|s|) n)^(1/p) of the window means s of x^p over windows of n elements (PyTorch's
// lp_pool: a mean below 0, possible for odd p, is kept with its sign before the root).
Tensor lp_root(const Tensor& means, double norm_type, int64_t window) {
  return pow(sign(means) * relu(abs(means)) * static_cast<double>(window), 1.0 / norm_type);
}

void check_norm_type(const Tensor& input, double norm_type, const char* op) {
  detail::check_floating(input, op);
  MG_CHECK(norm_type != 0.0, "{}: norm_type must be non-zero, got 0 (input shape {})", op,
           shape_str(input.shape()));
}

}  // namespace

Tensor lp_pool2d(const Tensor& input, double norm_type, IntPair kernel_size,
                 std::optional<IntPair> stride, bool ceil_mode) {
  check_norm_type(input, norm_type, "lp_pool2d");
  const Tensor means =
      avg_pool2d(pow(input, norm_type), kernel_size, stride.value_or(kernel_size), 0, ceil_mode);
  return lp_root(means, norm_type, kernel_size.h * kernel_size.w);
}

Tensor lp_pool1d(const Tensor& input, double norm_type, int64_t kernel_size,
                 std::optional<int64_t> stride, bool ceil_mode) {
  check_norm_type(input, norm_type, "lp_pool1d");
  const Tensor means =
      avg_pool1d(pow(input, norm_type), kernel_size, stride.value_or(kernel_size), 0, ceil_mode);
  return lp_root(means, norm_type, kernel_size);
}

Tensor local_response_norm(const Tensor& input, int64_t size, double alpha, double beta, double k) {
  detail::check_floating(input, "local_response_norm");
  MG_CHECK(input.dim() >= 3,
           "local_response_norm: expected an input [N, C, *] of at least 3 dims, got shape {}",
           shape_str(input.shape()));
  MG_CHECK(size > 0, "local_response_norm: size must be positive, got {}", size);
  if (input.numel() == 0) return input;
  // The mean of x^2 over channels c - size/2 .. c + (size-1)/2 (zeros outside), as an average
  // pool of height `size` over the channels of [N, 1, C, L].
  const int64_t n = input.size(0), channels = input.size(1);
  const Tensor squares = reshape(square(input), {n, 1, channels, -1});
  const Tensor padded = pad(squares, {0, 0, size / 2, (size - 1) / 2});
  const Tensor mean = reshape(avg_pool2d(padded, {size, 1}, 1), input.shape());
  // x / (k + alpha mean)^beta
  return input / pow(mean * alpha + k, beta);
}

}  // namespace metagrad
