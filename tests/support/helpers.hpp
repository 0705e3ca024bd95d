#pragma once

// Shared test helpers: float64 inputs, non-contiguous views, and gradcheck assertions.
#include <cstdint>
#include <string>
#include <vector>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"

namespace metagrad::testing {

/// A float64 leaf of `shape` with values from a seeded normal, requiring grad.
Tensor randn64(const Dims& shape, uint64_t seed = 0);
/// A float64 leaf with values uniform in [low, high), requiring grad.
Tensor uniform64(const Dims& shape, double low, double high, uint64_t seed = 0);
/// float64 values sin(0.37 i + phase) * 1.5 for the i-th element of `shape` in row-major order
/// (not requiring grad): inputs that a PyTorch reference script computes bit for bit alike (the
/// same libm).
Tensor wave(const Dims& shape, double phase);
/// t's values as a new leaf requiring grad (detached from whatever made t).
inline Tensor leaf(const Tensor& t) { return t.detach().requires_grad_(); }
/// A non-contiguous view with the same values as `t` (every other element of a wider buffer),
/// a leaf requiring grad like `t`.
Tensor noncontiguous(const Tensor& t);

/// Runs gradcheck and gradgradcheck (float64 tolerances of DESIGN §11) and fails the test with the
/// mismatch message when either fails.
void check_grads(const CheckedFunction& fn, const TensorList& inputs, bool second_order = true);

/// sum(t * wave(t.shape, phase)) in float64: a checksum that any wrong element of t changes.
double wave_checksum(const Tensor& t, double phase);

/// The checksums PyTorch reference scripts print for an op's result y: wave_checksum(y, 0.3),
/// then wave_checksum(g, 1.3) of the gradient g of sum(y * wave(y.shape, 0.9)) in each input.
std::vector<double> wave_checksums(const Tensor& y, const TensorList& inputs);

/// Checks y's shape, then wave_checksums(y, inputs) against `want` to a relative 1e-11
/// (each a separate CHECK).
void check_wave_checksums(const Tensor& y, const TensorList& inputs, const Dims& shape,
                          const std::vector<double>& want);

/// A PyTorch reference by name: the checksums its script printed, in wave_checksums' order.
struct ChecksumReference {
  std::string name;
  std::vector<double> checksums;
};

/// Elementwise |a - b| <= atol + rtol |b|, both converted to float64.
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-9, double atol = 1e-12);

}  // namespace metagrad::testing
