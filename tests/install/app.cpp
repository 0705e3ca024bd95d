// An application outside metagrad's build, compiled against an installed (or subproject) metagrad
// by tests/install/run.sh: with pkg-config, with CMake's find_package and as a Meson subproject.
// Usage: app EXPECTED_VERSION. Exits 0 only when the gradient and both versions are right.
#include <fmt/core.h>

#include <cstring>
#include <vector>

#include "metagrad.hpp"

int main(int argc, char** argv) {
  namespace mg = metagrad;
  if (argc != 2) {
    fmt::print(stderr, "usage: {} EXPECTED_VERSION\n", argv[0]);
    return 2;
  }
  auto x = mg::tensor({2.0, -1.0}, {2}, mg::kFloat64).requires_grad_();
  auto y = (x * x * x).sum();
  auto g = mg::grad({y}, {x})[0];
  fmt::print("metagrad {} (headers {}): d(sum x^3)/dx at [2, -1] = {}\n", mg::version(),
             METAGRAD_VERSION, g);
  int failures = 0;
  if (g.to_vector<double>() != std::vector<double>{12.0, 3.0}) {
    fmt::print(stderr, "wrong gradient: expected [12, 3]\n");
    ++failures;
  }
  if (std::strcmp(mg::version(), argv[1]) != 0 || std::strcmp(METAGRAD_VERSION, argv[1]) != 0) {
    fmt::print(stderr, "wrong version: library {}, headers {}, expected {}\n", mg::version(),
               METAGRAD_VERSION, argv[1]);
    ++failures;
  }
  return failures == 0 ? 0 : 1;
}
