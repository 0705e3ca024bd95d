#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>

#include "engine/tensor.hpp"

namespace metagrad {
/// \addtogroup engine_tensor
/// @{

/// How tensors are printed; the defaults are PyTorch's (torch.set_printoptions()).
struct PrintOptions {
  /// Digits after the decimal point of non-integer floats.
  int precision = 4;
  /// Tensors with more elements than this are summarised with "...".
  int64_t threshold = 1000;
  /// Items kept at the start and at the end of each summarised dimension.
  int64_t edgeitems = 3;
  /// Characters per line before elements and suffixes wrap.
  int64_t linewidth = 80;
  /// Force (true) or forbid (false) scientific notation; chosen from the values when unset.
  std::optional<bool> sci_mode;
};

/// The tensor printed the way PyTorch's repr prints it, e.g. "tensor([ 1.0000,  2.5000, -3.0000])",
/// "tensor(3.)", "tensor([[1., 2.],\n        [3., 4.]])", "tensor([ True, False])",
/// "tensor([1.5000], dtype=metagrad.float64, requires_grad=True)", "tensor([], size=(0, 3))".
/// Floats whose values are all integers print with a trailing dot; otherwise with `precision`
/// decimals, switching to scientific notation when max/min of the nonzero finite magnitudes exceeds
/// 1000, the max exceeds 1e8, or (non-integers) the min is below 1e-4. Elements are right-aligned
/// to the widest one. Suffixes: device when not CPU, dtype when not float32/int64/bool (any dtype
/// but float32 for empty tensors, which also show their size unless 1-D), grad_fn=\<Name\> for
/// non-leaves, requires_grad=True for leaves requiring grad. An undefined tensor prints as
/// "tensor(undefined)". Reads the data without recording; copies it to the host when needed.
std::string to_string(const Tensor& t);
/// The same with explicit print options.
std::string to_string(const Tensor& t, const PrintOptions& options);

/// @}

}  // namespace metagrad

/// \cond
// fmt prints a Tensor as to_string(t): fmt::print("{}\n", t).
template <>
struct fmt::formatter<metagrad::Tensor> : fmt::formatter<std::string> {
  auto format(const metagrad::Tensor& t, fmt::format_context& ctx) const {
    return fmt::formatter<std::string>::format(metagrad::to_string(t), ctx);
  }
};
/// \endcond
