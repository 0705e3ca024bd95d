// Parameter checks of the count distributions (count_support.hpp).
#include "engine/distributions/count_support.hpp"

#include <cmath>

#include "engine/distributions/distribution_support.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::detail {

Tensor count_as_parameter(const Tensor& total_count, const Tensor& parameter,
                          const char* distribution) {
  check_defined(total_count, distribution, "total_count");
  check_defined(parameter, distribution, "the probabilities or logits");
  if (is_floating(total_count.dtype()) || !is_floating(parameter.dtype())) return total_count;
  return total_count.to(parameter.dtype());
}

Dims count_parameters_shape(const Tensor& total_count, const Tensor& parameter,
                            const char* distribution) {
  return broadcast_parameters(total_count, parameter, distribution);
}

void check_whole_counts(const Tensor& total_count, const char* distribution) {
  NoGradGuard no_grad;
  MG_CHECK(all(logical_and(ge(total_count, 0.0), eq(floor(total_count), total_count))).item<bool>(),
           "{}: total_count must be a non-negative whole number everywhere (shape {})",
           distribution, shape_str(total_count.shape()));
}

void check_probabilities(const Tensor& probs, const char* distribution, bool exclude_one) {
  check_floating(probs, distribution);
  NoGradGuard no_grad;
  const Tensor below_one = exclude_one ? lt(probs, 1.0) : le(probs, 1.0);
  MG_CHECK(all(logical_and(ge(probs, 0.0), below_one)).item<bool>(),
           "{}: probs must be in [0, 1{} everywhere (shape {})", distribution,
           exclude_one ? ")" : "]", shape_str(probs.shape()));
}

int64_t homogeneous_count(const Tensor& total_count, const char* op) {
  NoGradGuard no_grad;
  MG_CHECK(total_count.numel() > 0, "{}: total_count is empty (shape {})", op,
           shape_str(total_count.shape()));
  const double low = min(total_count).item<double>();
  const double high = max(total_count).item<double>();
  MG_CHECK(low == high,
           "{}: every total_count must be the same (got values from {} to {}); PyTorch does not "
           "support an inhomogeneous total count here either",
           op, low, high);
  MG_CHECK(high <= 2147483647.0, "{}: total_count {} is too large to enumerate (at most 2^31 - 1)",
           op, high);
  return static_cast<int64_t>(high);
}

}  // namespace metagrad::detail
