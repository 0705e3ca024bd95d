#pragma once

#include <fmt/format.h>

#include <string>

#include "engine/tensor.hpp"

namespace metagrad {

/// The tensor printed the way PyTorch prints it: "tensor([1.0000, 2.0000], dtype=torch.float64,
/// requires_grad=True)".
std::string to_string(const Tensor& t);

}  // namespace metagrad

template <>
struct fmt::formatter<metagrad::Tensor> : fmt::formatter<std::string> {
  auto format(const metagrad::Tensor& t, fmt::format_context& ctx) const {
    return fmt::formatter<std::string>::format(metagrad::to_string(t), ctx);
  }
};
