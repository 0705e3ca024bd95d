#pragma once

#include <optional>
#include <utility>

#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// Parameter initialisation with torch.nn.init's formulas. Each function overwrites the values of
// `tensor` in place without recording (allowed on leaves that require grad), draws from
// `generator` (the default one, seeded by manual_seed, when null) and returns the same handle.
// Floating tensors only, any shape; an empty tensor is left as it is.
namespace metagrad::nn::init {
/// \addtogroup nn
/// @{

/// The non-linearity a gain is computed for (torch.nn.init.calculate_gain's names).
enum class Nonlinearity { Linear, Conv2d, Sigmoid, Tanh, ReLU, LeakyReLU, SELU };

/// Which fan kaiming initialisation preserves: fan_in keeps the forward variance, fan_out the
/// backward one.
enum class FanMode { FanIn, FanOut };

/// torch.nn.init.calculate_gain: 1 for Linear, Conv2d and Sigmoid; 5/3 for Tanh; sqrt(2) for ReLU;
/// sqrt(2 / (1 + slope^2)) for LeakyReLU (slope = `param`, default 0.01); 3/4 for SELU.
double calculate_gain(Nonlinearity nonlinearity, std::optional<double> param = std::nullopt);

/// (fan_in, fan_out) of a weight of at least 2 dims: size(1) * receptive field and size(0) *
/// receptive field, where the receptive field is the product of the dims after the first two.
/// Throws for fewer than 2 dims.
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

/// Fills with values uniform in [low, high).
Tensor uniform_(Tensor tensor, double low = 0.0, double high = 1.0, Generator* generator = nullptr);
/// Fills with values from N(mean, std^2).
Tensor normal_(Tensor tensor, double mean = 0.0, double std = 1.0, Generator* generator = nullptr);
/// Fills with `value`.
Tensor constant_(Tensor tensor, double value);
/// Fills with zeros.
Tensor zeros_(Tensor tensor);
/// Fills with ones.
Tensor ones_(Tensor tensor);

/// Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).
Tensor xavier_uniform_(Tensor tensor, double gain = 1.0, Generator* generator = nullptr);
/// Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).
Tensor xavier_normal_(Tensor tensor, double gain = 1.0, Generator* generator = nullptr);

/// He uniform: U(-b, b) with b = sqrt(3) * calculate_gain(nonlinearity, a) / sqrt(fan). PyTorch's
/// layers use a = sqrt(5) with LeakyReLU, which gives b = 1 / sqrt(fan_in).
Tensor kaiming_uniform_(Tensor tensor, double a = 0.0, FanMode mode = FanMode::FanIn,
                        Nonlinearity nonlinearity = Nonlinearity::LeakyReLU,
                        Generator* generator = nullptr);
/// He normal: N(0, std^2) with std = calculate_gain(nonlinearity, a) / sqrt(fan).
Tensor kaiming_normal_(Tensor tensor, double a = 0.0, FanMode mode = FanMode::FanIn,
                       Nonlinearity nonlinearity = Nonlinearity::LeakyReLU,
                       Generator* generator = nullptr);

/// @}

}  // namespace metagrad::nn::init
