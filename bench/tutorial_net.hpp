#pragma once

// The MAML tutorials' networks with deterministic parameters: the few-shot ConvNet, shared by
// bench/convnet.cpp and bench/maml_omniglot.cpp, and the sinusoid MLP, shared by
// bench/maml_sinusoid.cpp and bench/gpu_bench.cpp; the fills use the integer hash of
// bench/bench_common.py, so the Python counterparts build the same numbers.

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

#include "engine/grad_mode.hpp"
#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"

namespace bench {

/// The 32-bit integer hash of value k of tensor `tag`, in [0, 2^32).
inline uint64_t hash32(int64_t k, int tag) {
  uint64_t h =
      (static_cast<uint64_t>(k) * 2654435761u + static_cast<uint64_t>(tag) * 97531u) & 0xffffffffu;
  h ^= h >> 16;
  h = (h * 0x45d9f3bu) & 0xffffffffu;
  h ^= h >> 16;
  return h;
}

/// The number of elements of `shape`.
inline int64_t numel(const metagrad::Dims& shape) {
  int64_t count = 1;
  for (const int64_t d : shape) count *= d;
  return count;
}

/// A float32 tensor whose element k (row-major) is scale * u(k, tag), u = hash32 mapped to [-1, 1).
inline metagrad::Tensor uniform_filled(const metagrad::Dims& shape, int tag, double scale) {
  std::vector<double> values(static_cast<size_t>(numel(shape)));
  for (size_t k = 0; k < values.size(); ++k)
    values[k] =
        scale * (static_cast<double>(hash32(static_cast<int64_t>(k), tag)) / 2147483648.0 - 1.0);
  return metagrad::tensor(values, shape);
}

/// A tensor (float32 unless `dtype` says otherwise) of N(0, 1) values: element k is
/// sqrt(-2 ln u1) cos(2 pi u2) with u1 = (hash32(2k) + 1) / 2^32 in (0, 1] and
/// u2 = hash32(2k + 1) / 2^32 (Box-Muller).
inline metagrad::Tensor normal_filled(const metagrad::Dims& shape, int tag,
                                      metagrad::DType dtype = metagrad::kFloat32) {
  std::vector<double> values(static_cast<size_t>(numel(shape)));
  for (size_t k = 0; k < values.size(); ++k) {
    const auto i = static_cast<int64_t>(k);
    const double u1 = (static_cast<double>(hash32(2 * i, tag)) + 1.0) / 4294967296.0;
    const double u2 = static_cast<double>(hash32(2 * i + 1, tag)) / 4294967296.0;
    values[k] = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  return metagrad::tensor(values, shape, dtype);
}

/// int64 labels [tasks, ways * per_class]: class j / per_class at position j of every task
/// (torch.arange(ways).repeat_interleave(per_class)).
inline metagrad::Tensor class_labels(int64_t tasks, int64_t ways, int64_t per_class) {
  std::vector<double> y;
  for (int64_t t = 0; t < tasks; ++t)
    for (int64_t j = 0; j < ways * per_class; ++j) y.push_back(static_cast<double>(j / per_class));
  return metagrad::tensor(y, {tasks, ways * per_class}, metagrad::kInt64);
}

/// Sets parameter t of `net` (in named_parameters() order) to uniform_filled(shape, t, 1 /
/// sqrt(fan_in)) for weights of rank > 1 (the bound of PyTorch's default init), uniform_filled(
/// shape, t, 0.1) + 1 for normalisation weights and uniform_filled(shape, t, 0.1) for biases.
inline void fill_parameters(metagrad::nn::Module& net) {
  const metagrad::NoGradGuard no_grad;
  int tag = 0;
  for (const auto& [name, p] : net.named_parameters()) {
    const metagrad::Dims& shape = p.shape();
    metagrad::Tensor value;
    if (shape.size() > 1) {
      const int64_t fan_in = numel(shape) / shape[0];
      value = uniform_filled(shape, tag, 1.0 / std::sqrt(static_cast<double>(fan_in)));
    } else if (name.find("weight") != std::string::npos) {
      value = uniform_filled(shape, tag, 0.1) + 1.0;
    } else {
      value = uniform_filled(shape, tag, 0.1);
    }
    metagrad::Tensor slot = p;
    slot.copy_(value);
    ++tag;
  }
}

/// 3 x [Conv2d(in, 64, 3) -> BatchNorm2d(64, momentum 1, affine) -> ReLU -> MaxPool2d(2, 2)],
/// Flatten, Linear(64, ways), in training mode, its parameters set by fill_parameters.
inline metagrad::nn::Sequential make_tutorial_net(int64_t ways) {
  namespace nn = metagrad::nn;
  constexpr int64_t kChannels = 64;
  const nn::BatchNormOptions bn{.momentum = 1.0, .affine = true};
  nn::Sequential net;
  int64_t in = 1;
  for (int block = 0; block < 3; ++block) {
    net.push_back(nn::Conv2d(in, kChannels, 3));
    net.push_back(nn::BatchNorm2d(kChannels, bn));
    net.push_back(nn::ReLU());
    net.push_back(nn::MaxPool2d(2, 2));
    in = kChannels;
  }
  net.push_back(nn::Flatten());
  net.push_back(nn::Linear(kChannels, ways));
  net.train();
  fill_parameters(net);
  return net;
}

/// The sinusoid tutorial's 1-40-40-1 ReLU MLP. Parameter t (in named_parameters() order) is
/// uniform_filled(shape, t, 1 / sqrt(fan_in)) with fan_in the input size of its layer.
inline metagrad::nn::Sequential make_sine_net() {
  namespace nn = metagrad::nn;
  nn::Sequential net(nn::Linear(1, 40), nn::ReLU(), nn::Linear(40, 40), nn::ReLU(),
                     nn::Linear(40, 1));
  const metagrad::NoGradGuard no_grad;
  int tag = 0;
  int64_t fan_in = 1;
  for (const auto& [name, p] : net.named_parameters()) {
    if (p.dim() > 1) fan_in = p.size(1);  // a bias follows its weight
    metagrad::Tensor slot = p;
    slot.copy_(uniform_filled(p.shape(), tag, 1.0 / std::sqrt(static_cast<double>(fan_in))));
    ++tag;
  }
  return net;
}

}  // namespace bench
