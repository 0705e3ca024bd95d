// Provides main() for the test executables on Catch2 2.x.
// On Catch2 3.x this translation unit is intentionally empty: main() comes
// from the `catch2-with-main` library. meson.build links this file in always.
#if defined(__has_include)
#if !__has_include(<catch2/catch_all.hpp>) && __has_include(<catch2/catch.hpp>)
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
#endif
#endif
