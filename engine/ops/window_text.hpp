#pragma once

#include <fmt/format.h>

#include <string>

#include "engine/ops/conv.hpp"
#include "engine/ops/volume.hpp"

// How window parameters (kernel sizes, strides, paddings) read in error messages and module
// reprs, PyTorch's way. Internal to the ops and layers (not part of the public API).
namespace metagrad::detail {

/// "(2, 3)": a pair as a Python tuple.
inline std::string tuple_str(IntPair p) { return fmt::format("({}, {})", p.h, p.w); }
/// "(1, 2, 3)": a triple as a Python tuple.
inline std::string tuple_str(IntTriple t) { return fmt::format("({}, {}, {})", t.d, t.h, t.w); }

/// "2" when both entries are equal, else "(2, 3)": a parameter as PyTorch prints one given as an
/// int or a tuple (pooling layers keep what they were given).
inline std::string int_or_tuple_str(IntPair p) {
  return p.h == p.w ? fmt::format("{}", p.h) : tuple_str(p);
}
/// "2" when all three entries are equal, else "(2, 1, 1)".
inline std::string int_or_tuple_str(IntTriple t) {
  return t.d == t.h && t.h == t.w ? fmt::format("{}", t.d) : tuple_str(t);
}

/// "True" or "False", as Python prints a bool.
inline const char* python_bool(bool value) { return value ? "True" : "False"; }

}  // namespace metagrad::detail
