#pragma once

#include <cstdint>
#include <string>

namespace metagrad {
/// \addtogroup engine_tensor
/// @{

/// Where a tensor's storage lives.
enum class DeviceType : uint8_t { CPU, CUDA };

/// A device: its type and, for CUDA, the ordinal. Compared by value.
struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  constexpr bool operator==(const Device&) const = default;
  constexpr bool is_cpu() const { return type == DeviceType::CPU; }
  constexpr bool is_cuda() const { return type == DeviceType::CUDA; }
  /// "cpu" or "cuda:N", as PyTorch prints it.
  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
};

inline constexpr Device kCPU{DeviceType::CPU, 0};
/// The CUDA device with the given ordinal.
constexpr Device cuda_device(int index = 0) { return Device{DeviceType::CUDA, index}; }

/// @}

}  // namespace metagrad
