#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// Uninitialised contiguous tensor of `shape`.
Tensor empty(const Dims& shape, TensorOptions options = {});
/// Contiguous tensor of zeros.
Tensor zeros(const Dims& shape, TensorOptions options = {});
/// Contiguous tensor of ones.
Tensor ones(const Dims& shape, TensorOptions options = {});
/// Contiguous tensor filled with `value`.
Tensor full(const Dims& shape, double value, TensorOptions options = {});
/// 0-d tensor holding `value`.
Tensor scalar_tensor(double value, TensorOptions options = {});
/// [0, end) with step 1 (torch.arange(end)); dtype defaults to float32 unless given.
Tensor arange(double end, TensorOptions options = {});
/// [start, end) with `step`: ceil((end - start) / step) elements.
Tensor arange(double start, double end, double step = 1.0, TensorOptions options = {});
/// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, int64_t steps, TensorOptions options = {});
/// n x m identity (m = n when m < 0).
Tensor eye(int64_t n, int64_t m = -1, TensorOptions options = {});
/// Uniform [0, 1) from `generator` (the default generator when null).
Tensor rand(const Dims& shape, TensorOptions options = {}, Generator* generator = nullptr);
/// Standard normal from `generator`.
Tensor randn(const Dims& shape, TensorOptions options = {}, Generator* generator = nullptr);
/// Integers uniform in [low, high); dtype defaults to int64 (options.dtype is used when it is
/// not float32, the default).
Tensor randint(int64_t low, int64_t high, const Dims& shape, TensorOptions options = kInt64,
               Generator* generator = nullptr);
/// A tensor of `shape` holding `values` (row-major, converted to options.dtype). The element count
/// must match. An empty `shape` with one value makes a 0-d tensor.
Tensor tensor(const std::vector<double>& values, const Dims& shape, TensorOptions options = {});
/// A 1-D tensor holding `values`.
Tensor tensor(const std::vector<double>& values, TensorOptions options = {});

/// Like-factories: shape (and by default dtype/device) of `like`; never require grad unless asked.
Tensor empty_like(const Tensor& like);
/// The same with other options (dtype, device, requires_grad).
Tensor empty_like(const Tensor& like, TensorOptions options);
/// Zeros of like's shape, dtype and device.
Tensor zeros_like(const Tensor& like);
/// The same with other options (dtype, device, requires_grad).
Tensor zeros_like(const Tensor& like, TensorOptions options);
/// Ones of like's shape, dtype and device.
Tensor ones_like(const Tensor& like);
/// The same with other options (dtype, device, requires_grad).
Tensor ones_like(const Tensor& like, TensorOptions options);
/// `value` everywhere, with like's shape, dtype and device.
Tensor full_like(const Tensor& like, double value);
/// The same with other options (dtype, device, requires_grad).
Tensor full_like(const Tensor& like, double value, TensorOptions options);
/// Uniform [0, 1) samples of like's shape, dtype and device (rand).
Tensor rand_like(const Tensor& like, Generator* generator = nullptr);
/// Standard normal samples of like's shape, dtype and device (randn).
Tensor randn_like(const Tensor& like, Generator* generator = nullptr);

/// @}

}  // namespace metagrad
