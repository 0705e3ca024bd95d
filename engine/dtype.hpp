#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace metagrad {
/// \addtogroup engine_tensor
/// @{

/// Element types a Tensor can hold. float32/float64 support every op; int64 holds labels and
/// indices; bool holds masks and comparison results.
enum class DType : uint8_t { Float32, Float64, Int64, Bool };

/// float (torch.float32).
inline constexpr DType kFloat32 = DType::Float32;
/// double (torch.float64).
inline constexpr DType kFloat64 = DType::Float64;
/// int64_t (torch.int64).
inline constexpr DType kInt64 = DType::Int64;
/// bool (torch.bool).
inline constexpr DType kBool = DType::Bool;

/// PyTorch's spelling of the dtype ("float32", "int64", ...).
std::string_view dtype_name(DType dtype);

/// Bytes per element.
constexpr size_t element_size(DType dtype) {
  switch (dtype) {
    case DType::Float32:
      return 4;
    case DType::Float64:
      return 8;
    case DType::Int64:
      return 8;
    case DType::Bool:
      return 1;
  }
  return 0;
}

/// True for float32 and float64, the dtypes that can require grad.
constexpr bool is_floating(DType dtype) {
  return dtype == DType::Float32 || dtype == DType::Float64;
}

/// The C++ type stored for a dtype.
template <DType D>
struct dtype_traits;
/// float32 holds float.
template <>
struct dtype_traits<DType::Float32> {
  /// The C++ element type.
  using type = float;
};
/// float64 holds double.
template <>
struct dtype_traits<DType::Float64> {
  /// The C++ element type.
  using type = double;
};
/// int64 holds int64_t.
template <>
struct dtype_traits<DType::Int64> {
  /// The C++ element type.
  using type = int64_t;
};
/// bool holds bool.
template <>
struct dtype_traits<DType::Bool> {
  /// The C++ element type.
  using type = bool;
};

/// The dtype of a C++ element type.
template <typename T>
constexpr DType dtype_of();
template <>
/// kFloat32.
constexpr DType dtype_of<float>() {
  return DType::Float32;
}
template <>
/// kFloat64.
constexpr DType dtype_of<double>() {
  return DType::Float64;
}
template <>
/// kInt64.
constexpr DType dtype_of<int64_t>() {
  return DType::Int64;
}
template <>
/// kBool.
constexpr DType dtype_of<bool>() {
  return DType::Bool;
}

/// @}

}  // namespace metagrad

/// Calls the generic lambda (the variadic argument) with a value of the C++ element type of
/// `dtype` (all four dtypes).
#define MG_DISPATCH_ALL(dtype, ...)       \
  [&] {                                   \
    auto&& mg_dispatch_fn = __VA_ARGS__;  \
    switch (dtype) {                      \
      case ::metagrad::DType::Float32:    \
        break;                            \
      case ::metagrad::DType::Float64:    \
        return mg_dispatch_fn(double{});  \
      case ::metagrad::DType::Int64:      \
        return mg_dispatch_fn(int64_t{}); \
      case ::metagrad::DType::Bool:       \
        return mg_dispatch_fn(bool{});    \
    }                                     \
    return mg_dispatch_fn(float{});       \
  }()
