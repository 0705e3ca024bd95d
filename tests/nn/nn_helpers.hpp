#pragma once

// Helpers shared by the nn module tests.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

namespace metagrad::testing {

/// The tutorial network: 3 x [Conv2d(., 64, 3), BatchNorm2d(64, momentum 1), ReLU, MaxPool2d(2,
/// 2)], Flatten, Linear(64, n_way). Takes 1 x 28 x 28 images.
inline nn::Sequential tutorial_net(int64_t n_way = 5, DType dtype = kFloat32) {
  const nn::BatchNormOptions bn{.momentum = 1.0, .dtype = dtype};
  return nn::Sequential(nn::Conv2d(1, 64, 3, {.dtype = dtype}), nn::BatchNorm2d(64, bn), nn::ReLU(),
                        nn::MaxPool2d(2, 2), nn::Conv2d(64, 64, 3, {.dtype = dtype}),
                        nn::BatchNorm2d(64, bn), nn::ReLU(), nn::MaxPool2d(2, 2),
                        nn::Conv2d(64, 64, 3, {.dtype = dtype}), nn::BatchNorm2d(64, bn),
                        nn::ReLU(), nn::MaxPool2d(2, 2), nn::Flatten(),
                        nn::Linear(64, n_way, {.dtype = dtype}));
}

/// Sets the k-th parameter of m (in parameters() order) to 0.4 wave(shape, 0.1 k + 0.05), as the
/// PyTorch reference scripts set theirs.
inline void fill_wave_parameters(nn::Module& m) {
  NoGradGuard no_grad;
  size_t k = 0;
  for (Tensor p : m.parameters()) {
    p.copy_(wave(p.shape(), 0.1 * static_cast<double>(k) + 0.05) * 0.4);
    ++k;
  }
}

/// True when a and b have the same dtype and shape and identical bytes (bit-exact).
inline bool bit_equal(const Tensor& a, const Tensor& b) {
  if (a.defined() != b.defined()) return false;
  if (!a.defined()) return true;
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const Tensor ca = a.detach().contiguous(), cb = b.detach().contiguous();
  return std::memcmp(ca.raw_data(), cb.raw_data(), ca.numel() * element_size(ca.dtype())) == 0;
}

/// Deep copies of every entry of the module's state dict (a snapshot to compare against later).
inline nn::NamedTensors snapshot(const nn::Module& module) {
  nn::NamedTensors out;
  for (const auto& [name, t] : module.state_dict()) out.emplace_back(name, t.clone());
  return out;
}

/// True when the module's state has the snapshot's names, in order, with bit-identical tensors.
inline bool same_state(const nn::Module& module, const nn::NamedTensors& snap) {
  const nn::NamedTensors now = module.state_dict();
  if (now.size() != snap.size()) return false;
  for (size_t i = 0; i < now.size(); ++i) {
    if (now[i].first != snap[i].first || !bit_equal(now[i].second, snap[i].second)) return false;
  }
  return true;
}

/// The names of a list of named tensors.
inline std::vector<std::string> names(const nn::NamedTensors& named) {
  std::vector<std::string> out;
  for (const auto& entry : named) out.push_back(entry.first);
  return out;
}

}  // namespace metagrad::testing
