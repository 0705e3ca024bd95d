#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/ops/index_ops.hpp"
#include "engine/tensor.hpp"

// PyTorch's string paddings of a convolution ("same", "valid") and the padding option of the
// convolution layers, which holds either explicit amounts or such a rule. A rule resolves to
// amounts before and after each spatial dim (Note [same padding], conv_padding.cpp); a
// convolution with uneven amounts pads its input first and then runs without padding.
namespace metagrad {
/// \addtogroup engine_ops
/// @{

/// A convolution's padding given by name, as PyTorch's string `padding`: "valid" adds none;
/// "same" adds dilation (k - 1) along each spatial dim, half before and the rest (one more for an
/// odd total) after, so that a stride-1 output has the input's size. A string literal converts
/// implicitly (`conv2d(x, w, b, 1, "same")`); a runtime string goes through parse().
class PaddingRule {
 public:
  /// The two rules.
  enum class Kind : uint8_t {
    Valid,  ///< "valid": no padding
    Same,   ///< "same": the output keeps the input's size (stride 1 only)
  };
  /// The rule named by a string literal; throws as parse() for another name.
  template <std::size_t N>
  PaddingRule(const char (&name)[N]) : kind_(parse(std::string_view(name)).kind()) {}  // NOLINT
  /// The rule of that kind.
  explicit PaddingRule(Kind kind) : kind_(kind) {}
  /// "same" or "valid" -> its rule. Throws for any other string, naming it and the choices.
  static PaddingRule parse(std::string_view name);
  /// Which rule this is.
  Kind kind() const { return kind_; }
  /// PyTorch's name: "same" or "valid".
  std::string_view name() const { return kind_ == Kind::Same ? "same" : "valid"; }

 private:
  Kind kind_;
};

/// A convolution layer's `padding` option: explicit amounts per spatial dim (`.padding = 1`,
/// `.padding = {1, 2}`) or a PaddingRule (`.padding = "same"`), as PyTorch's int, tuple or
/// string. `Amounts` is int64_t, IntPair or IntTriple.
template <class Amounts>
struct ConvPadding {
  /// The same amount along every spatial dim.
  ConvPadding(int64_t all) : amounts(all) {}  // NOLINT: an int, as PyTorch's
  /// One amount per spatial dim.
  ConvPadding(const Amounts& per_dim)  // NOLINT: a tuple, as PyTorch's
      requires(!std::same_as<Amounts, int64_t>)
      : amounts(per_dim) {}
  /// One amount per spatial dim, listed: `.padding = {1, 2}`.
  template <std::integral... Ints>
  requires(sizeof...(Ints) >= 2) ConvPadding(Ints... per_dim)
      : amounts(static_cast<int64_t>(per_dim)...) {}
  /// A rule by name: `.padding = "same"`.
  template <std::size_t N>
  ConvPadding(const char (&name)[N]) : rule(PaddingRule(name)) {}  // NOLINT: a string, as PyTorch's
  /// A rule.
  ConvPadding(PaddingRule padding_rule) : rule(padding_rule) {}  // NOLINT: a string, as PyTorch's

  /// The explicit amounts; zero (and unused) under a rule.
  Amounts amounts = 0;
  /// The rule, when the padding is given by name.
  std::optional<PaddingRule> rule;
};

/// @}

namespace detail {

/// The amounts a convolution pads before and after each spatial dim, in pad()'s order (the last
/// dim first): `amounts` on both sides without a rule, none under "valid", and under "same"
/// dilation (k - 1) split as PyTorch (the odd one after). The spans list the spatial dims first
/// to last (`amounts` is read only without a rule). Throws, naming `op`, for "same" with a stride
/// other than 1, or negative amounts.
std::vector<int64_t> conv_padding_sides(const char* op, const std::optional<PaddingRule>& rule,
                                        std::span<const int64_t> amounts,
                                        std::span<const int64_t> kernel,
                                        std::span<const int64_t> stride,
                                        std::span<const int64_t> dilation);

/// A convolution's input with its padding applied as far as the convolution itself cannot: the
/// input and the per-dim amounts (spatial dims first to last) when `sides` are even and filled
/// with zeros, else the input padded by pad(sides, mode) and zero amounts.
struct PaddedConvInput {
  /// The input the convolution runs on.
  Tensor input;
  /// The convolution's own (symmetric, zero) padding per spatial dim.
  std::vector<int64_t> padding;
};

/// Applies `sides` (pad()'s order) to a convolution's input whose last `sides.size() / 2` dims
/// are spatial; leading dims beyond a batch dim (per-task inputs) are folded into it for the
/// non-constant modes.
PaddedConvInput pad_conv_input(const Tensor& input, const std::vector<int64_t>& sides,
                               PadMode mode);

}  // namespace detail
}  // namespace metagrad
