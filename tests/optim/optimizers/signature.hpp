#pragma once

// Compares an options struct's defaults, field by field in declaration order, with the defaults of
// a TorchOpt (or torch.optim) signature written out in the test. The number of values must be the
// number of fields (a structured binding of the wrong size does not compile), so a field missing
// from either side is caught at compile time.
#include <fmt/format.h>

#include <array>
#include <string>
#include <tuple>
#include <utility>

#include "metagrad.hpp"

namespace metagrad::testing {

/// A required argument without default (sgd's lr): the field must be unset.
struct Required {};
/// An unset ParamMask (TorchOpt's mask=None).
struct NoMask {};

inline std::string field_mismatch(const ScalarOrSchedule& got, double want) {
  if (got.is_set() && !got.is_schedule() && got.value() == want) return {};
  return got.is_set() && !got.is_schedule() ? fmt::format("{} != {}", got.value(), want)
                                            : fmt::format("unset or schedule != {}", want);
}
inline std::string field_mismatch(const ScalarOrSchedule& got, Required) {
  return got.is_set() ? "set != required (unset)" : "";
}
inline std::string field_mismatch(const ParamMask& got, NoMask) {
  return got.defined() ? "a mask != None" : "";
}
inline std::string field_mismatch(const std::pair<double, double>& got,
                                  const std::pair<double, double>& want) {
  return got == want
             ? ""
             : fmt::format("({}, {}) != ({}, {})", got.first, got.second, want.first, want.second);
}
inline std::string field_mismatch(const std::array<double, 3>& got,
                                  const std::array<double, 3>& want) {
  return got == want ? ""
                     : fmt::format("({}, {}, {}) != ({}, {}, {})", got[0], got[1], got[2], want[0],
                                   want[1], want[2]);
}
inline std::string field_mismatch(double got, double want) {
  return got == want ? "" : fmt::format("{} != {}", got, want);
}
inline std::string field_mismatch(bool got, bool want) {
  return got == want ? "" : fmt::format("{} != {}", got, want);
}

/// The fields of `o` as a tuple of references (N = the number of fields).
template <size_t N, typename O>
auto fields_of(const O& o) {
  if constexpr (N == 3) {
    const auto& [a, b, c] = o;
    return std::tie(a, b, c);
  } else if constexpr (N == 4) {
    const auto& [a, b, c, d] = o;
    return std::tie(a, b, c, d);
  } else if constexpr (N == 5) {
    const auto& [a, b, c, d, e] = o;
    return std::tie(a, b, c, d, e);
  } else if constexpr (N == 6) {
    const auto& [a, b, c, d, e, f] = o;
    return std::tie(a, b, c, d, e, f);
  } else if constexpr (N == 7) {
    const auto& [a, b, c, d, e, f, g] = o;
    return std::tie(a, b, c, d, e, f, g);
  } else if constexpr (N == 8) {
    const auto& [a, b, c, d, e, f, g, h] = o;
    return std::tie(a, b, c, d, e, f, g, h);
  } else if constexpr (N == 9) {
    const auto& [a, b, c, d, e, f, g, h, i] = o;
    return std::tie(a, b, c, d, e, f, g, h, i);
  } else {
    static_assert(N == 10, "fields_of: 3 to 10 fields");
    const auto& [a, b, c, d, e, f, g, h, i, j] = o;
    return std::tie(a, b, c, d, e, f, g, h, i, j);
  }
}

/// Empty when a default-constructed O has the defaults `want` (one per field, in order);
/// otherwise "field k: got != want" for each differing field.
template <typename O, typename... W>
std::string signature_mismatch(const W&... want) {
  const O options{};
  const auto got = fields_of<sizeof...(W)>(options);
  std::string out;
  [&]<size_t... K>(std::index_sequence<K...>) {
    const auto wanted = std::forward_as_tuple(want...);
    ((out +=
      [&] {
        const std::string m = field_mismatch(std::get<K>(got), std::get<K>(wanted));
        return m.empty() ? std::string() : fmt::format("field {}: {}; ", K, m);
      }()),
     ...);
  }
  (std::index_sequence_for<W...>{});
  return out;
}

}  // namespace metagrad::testing
