#pragma once

#include <initializer_list>

#include "engine/ops/gamma_series.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

namespace metagrad::detail {

/// sample_shape + batch_shape, or an error naming `distribution` when it has too many dims.
Dims distribution_sample_shape(const Dims& sample_shape, const Dims& batch_shape,
                               const char* distribution);

/// The batch shape of a distribution whose parameter holds its events along the last dim
/// (Categorical, Dirichlet): the parameter's shape without that dim.
Dims batch_shape_of_events(const Tensor& parameter);

/// p clamped into [eps, 1 - eps], eps the dtype's machine epsilon (PyTorch's clamp_probs), so
/// that logs of probabilities stay finite.
Tensor clamp_probs(const Tensor& p);

/// log(p / (1 - p)) of p clamped as clamp_probs (PyTorch's probs_to_logits(is_binary = true)):
/// finite logits of probabilities in [0, 1].
Tensor binary_probs_to_logits(const Tensor& p);

/// The probabilities of a two-outcome parameter given as probabilities (returned as given) or as
/// logits (their sigmoid): Bernoulli's, Geometric's, Binomial's, ...
Tensor binary_probs(const Tensor& parameter, bool is_logits);

/// The logits of a two-outcome parameter given as logits (returned as given) or as probabilities
/// (binary_probs_to_logits of them).
Tensor binary_logits(const Tensor& parameter, bool is_logits);

/// `shape` followed by the sizes in `tail` (a batch shape + an event shape).
inline Dims with_tail(Dims shape, std::initializer_list<int64_t> tail) {
  for (const int64_t size : tail) shape.push_back(size);
  return shape;
}

/// The machine epsilon of float dtype `dtype` (float32's or float64's).
double dtype_epsilon(DType dtype);

/// The smallest positive normal number of float dtype `dtype` (PyTorch's finfo.tiny).
double dtype_tiny(DType dtype);

/// The broadcast shape of a two-parameter distribution's parameters a and b, after checking that
/// both are float tensors of one dtype and device (errors name `distribution`).
Dims broadcast_parameters(const Tensor& a, const Tensor& b, const char* distribution);

/// The batch shape of a location-scale distribution (Laplace, Cauchy, Gumbel, ...): checks loc
/// and scale as broadcast_parameters does and that every scale is positive.
Dims location_scale_shape(const Tensor& loc, const Tensor& scale, const char* distribution);

/// Throws naming `distribution` and `what` unless every value of `t` is positive.
void check_positive(const Tensor& t, const char* distribution, const char* what);

/// Draws Gamma(concentration, 1) values of concentration's shape, dtype and device without
/// recording: Marsaglia and Tsang's squeeze method for a >= 1 (a draw for a < 1 is one for a + 1
/// times u^(1/a)), every element redrawn until accepted, whole tensors at a time. Each value is
/// at least the dtype's smallest normal number (PyTorch's clamp).
Tensor standard_gamma(const Tensor& concentration, Generator* generator);

/// standard_gamma's draws, recorded: their gradient in the concentration is the implicit one,
/// standard_gamma_grad(draw, concentration), with derivatives of every order (the draw itself
/// enters the higher ones).
Tensor standard_gamma_rsample(const Tensor& concentration, Generator* generator);

}  // namespace metagrad::detail
