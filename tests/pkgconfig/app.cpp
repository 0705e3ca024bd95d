// An application outside the library's build: compiled with the pkg-config line of the README.
#include <fmt/core.h>

#include "metagrad.hpp"

int main() {
  auto x = metagrad::tensor({2.0}, {1}, metagrad::kFloat64).requires_grad_();
  auto y = (x * x * x).sum();
  auto g = metagrad::grad({y}, {x})[0];
  fmt::print("d(x^3)/dx at 2 = {}\n", g.item<double>());
  return g.item<double>() == 12.0 ? 0 : 1;
}
