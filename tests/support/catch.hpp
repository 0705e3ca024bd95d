// Catch2 compatibility shim: lets the test suite build against either
//   * Catch2 3.x (e.g. Ubuntu 24.04): <catch2/catch_all.hpp>, or
//   * Catch2 2.x (e.g. Debian 12): single header <catch2/catch.hpp>,
//   with main() from tests/support/catch_main.cpp on both (CATCH_CONFIG_MAIN in that one TU on
//   2.x; on 3.x a main() that counts a run whose test cases all skipped as a success).
//
// Tests include only this header:
//     #include "tests/support/catch.hpp"
// and use these spellings, which work on both versions:
//     Catch::Approx(x)                 (plain `Approx` also works on both)
//     MG_CONTAINS("substring")         string-contains matcher (preferred)
//     Catch::Matchers::ContainsSubstring("substring"), Catch::Contains("substring")
//     Catch::Matchers::WithinAbs / WithinRel / WithinULP
//     MG_SKIP("reason")                skip the rest of a test case
#pragma once

#if defined(__has_include)
#if __has_include(<catch2/catch_all.hpp>)
#define MG_CATCH2_V3 1
#elif __has_include(<catch2/catch.hpp>)
#define MG_CATCH2_V2 1
#else
#error "metagrad tests need Catch2 (2.x <catch2/catch.hpp> or 3.x <catch2/catch_all.hpp>)"
#endif
#else
#error "metagrad tests need a compiler with __has_include"
#endif

#if defined(MG_CATCH2_V3)

#include <catch2/catch_all.hpp>

// Catch2 v2 exposes `Approx` at global scope; mirror that so both spellings work.
using Catch::Approx;

#include <string>

namespace Catch {
// v2 spelling of the string-contains matcher (v3 only has Matchers::ContainsSubstring).
inline Matchers::StringContainsMatcher Contains(
    std::string const& str, CaseSensitive caseSensitivity = CaseSensitive::Yes) {
  return Matchers::ContainsSubstring(str, caseSensitivity);
}
}  // namespace Catch

#define MG_CONTAINS(str) ::Catch::Matchers::ContainsSubstring(str)

// SKIP() exists since Catch2 3.3.0; older 3.x just ends the test case with a warning.
#if defined(SKIP)
#define MG_SKIP(msg) SKIP(msg)
#else
#define MG_SKIP(msg)          \
  do {                        \
    WARN("SKIPPED: " << msg); \
    return;                   \
  } while (false)
#endif

#elif defined(MG_CATCH2_V2)

#include <catch2/catch.hpp>
#include <string>

namespace Catch {
// v2 only has Catch::Detail::Approx (plus a global `using`); v3 has Catch::Approx.
using Detail::Approx;

namespace Matchers {
// v3 name for v2's string Contains matcher.
inline StdString::ContainsMatcher ContainsSubstring(
    std::string const& str, CaseSensitive::Choice caseSensitivity = CaseSensitive::Yes) {
  return Contains(str, caseSensitivity);
}
}  // namespace Matchers
}  // namespace Catch

#define MG_CONTAINS(str) ::Catch::Contains(str)

// v2 has no SKIP(); end the test case early with a warning instead.
#define MG_SKIP(msg)          \
  do {                        \
    WARN("SKIPPED: " << msg); \
    return;                   \
  } while (false)

#endif
