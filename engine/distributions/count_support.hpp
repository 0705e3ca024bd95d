#pragma once

#include <cstdint>

#include "engine/tensor.hpp"

// Parameter checks shared by the count distributions (counts.hpp): total counts and
// probabilities.
namespace metagrad::detail {

/// total_count in the dtype of the distribution's parameter (an integer tensor converted, as
/// PyTorch's type_as); errors name `distribution`.
Tensor count_as_parameter(const Tensor& total_count, const Tensor& parameter,
                          const char* distribution);

/// The broadcast shape of total_count and the parameter, after checking both are float tensors
/// of one dtype and device.
Dims count_parameters_shape(const Tensor& total_count, const Tensor& parameter,
                            const char* distribution);

/// Throws naming `distribution` unless every total_count is a non-negative whole number.
void check_whole_counts(const Tensor& total_count, const char* distribution);

/// Throws naming `distribution` unless `probs` is a float tensor with every value in [0, 1]
/// ([0, 1) when `exclude_one`).
void check_probabilities(const Tensor& probs, const char* distribution, bool exclude_one);

/// The one total_count shared by every element, read on the host; throws naming `op` when the
/// counts differ (PyTorch's "inhomogeneous total count") or the tensor is empty.
int64_t homogeneous_count(const Tensor& total_count, const char* op);

}  // namespace metagrad::detail
