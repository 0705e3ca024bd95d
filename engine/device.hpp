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
  /// CPU or CUDA.
  DeviceType type = DeviceType::CPU;
  /// The CUDA device index (0 for the CPU).
  int index = 0;

  /// Same type and index.
  constexpr bool operator==(const Device&) const = default;
  /// True for the CPU.
  constexpr bool is_cpu() const { return type == DeviceType::CPU; }
  /// True for a CUDA device.
  constexpr bool is_cuda() const { return type == DeviceType::CUDA; }
  /// "cpu" or "cuda:N", as PyTorch prints it.
  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
};

/// The CPU device.
inline constexpr Device kCPU{DeviceType::CPU, 0};
/// The CUDA device with the given ordinal.
constexpr Device cuda_device(int index = 0) { return Device{DeviceType::CUDA, index}; }

/// @}

}  // namespace metagrad
