#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

namespace metagrad::testing {

Tensor randn64(const Dims& shape, uint64_t seed) {
  Generator gen(seed + 17);
  return randn(shape, kFloat64, &gen).requires_grad_(true);
}

Tensor uniform64(const Dims& shape, double low, double high, uint64_t seed) {
  Generator gen(seed + 31);
  Tensor u = rand(shape, kFloat64, &gen);
  return (u * (high - low) + low).detach().requires_grad_(true);
}

Tensor wave(const Dims& shape, double phase) {
  std::vector<double> values(static_cast<size_t>(numel_of(shape)));
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = std::sin(0.37 * static_cast<double>(i) + phase) * 1.5;
  return tensor(values, shape, kFloat64);
}

double wave_checksum(const Tensor& t, double phase) {
  return sum(t.detach().to(kFloat64) * wave(t.shape(), phase)).item<double>();
}

std::vector<double> wave_checksums(const Tensor& y, const TensorList& inputs) {
  std::vector<double> out{wave_checksum(y, 0.3)};
  for (const Tensor& g : grad({sum(y * wave(y.shape(), 0.9))}, inputs))
    out.push_back(wave_checksum(g, 1.3));
  return out;
}

void check_wave_checksums(const Tensor& y, const TensorList& inputs, const Dims& shape,
                          const std::vector<double>& want) {
  REQUIRE(y.shape() == shape);
  const std::vector<double> got = wave_checksums(y, inputs);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("checksum " << i << ": " << got[i] << " vs PyTorch's " << want[i]);
    CHECK(std::abs(got[i] - want[i]) <= 1e-11 * (1.0 + std::abs(want[i])));
  }
}

Tensor noncontiguous(const Tensor& t) {
  NoGradGuard no_grad;
  Dims wide = t.shape();
  if (wide.empty()) return t.detach().clone().requires_grad_(t.requires_grad());
  wide.back() *= 2;
  Tensor buffer = zeros(wide, TensorOptions(t.dtype(), t.device()));
  Tensor view = buffer.slice(-1, 0, std::nullopt, 2);
  view.copy_(t);
  Tensor leaf = view.detach();
  REQUIRE_FALSE((leaf.numel() > 1 && leaf.is_contiguous()));
  if (t.requires_grad()) leaf.requires_grad_(true);
  return leaf;
}

void check_grads(const CheckedFunction& fn, const TensorList& inputs, bool second_order) {
  try {
    CHECK(gradcheck(fn, inputs));
    if (second_order) CHECK(gradgradcheck(fn, inputs));
  } catch (const Error& e) {
    FAIL(e.what());
  }
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  if (a.shape() != b.shape()) return false;
  const auto x = a.to_vector<double>(), y = b.to_vector<double>();
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) && std::isnan(y[i])) continue;
    if (!(std::abs(x[i] - y[i]) <= atol + rtol * std::abs(y[i]))) return false;
  }
  return true;
}

}  // namespace metagrad::testing
