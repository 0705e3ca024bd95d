#pragma once

// Checks an optimizer, in all its forms, against its published update rule computed by hand in
// float64: the functional alias (out of place and in place), the classic class and the Meta*
// class all run `steps` steps on the same non-quadratic loss of two parameter tensors (a weight
// 2x3 and a bias 2, as nn::Linear(3, 2) holds them), and after each step every parameter must
// equal the reference's to 1e-12 relative.
#include <cmath>
#include <functional>
#include <vector>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"

namespace metagrad::testing {

/// One parameter tensor's reference optimizer: updates `p` in place from its gradient `g`, keeping
/// its own state (its step count, moments) between calls.
using ReferenceStep = std::function<void(std::vector<double>& p, const std::vector<double>& g)>;
/// Makes a fresh ReferenceStep per parameter tensor (it may depend on the tensor's size).
using ReferenceFactory = std::function<ReferenceStep(size_t numel)>;

/// The loss sum_i (c_i p_i^2 / 2 + p_i^3 / 10) over both tensors, c_i = 1 + i / 4 within each
/// tensor: gradients differ in size and sign between elements and change as p moves.
inline Tensor reference_loss(const TensorList& params) {
  Tensor total;
  for (const auto& p : params) {
    const Tensor c = add(div(arange(0.0, static_cast<double>(p.numel()), 1.0, kFloat64), 4.0), 1.0)
                         .reshape(p.shape());
    const Tensor term = add(mul(mul(c, square(p)), 0.5), mul(mul(square(p), p), 0.1)).sum();
    total = total.defined() ? add(total, term) : term;
  }
  return total;
}

/// The gradient of reference_loss for one tensor, in doubles.
inline std::vector<double> reference_grad(const std::vector<double>& p) {
  std::vector<double> g(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    g[i] = (1.0 + static_cast<double>(i) / 4.0) * p[i] + 0.3 * p[i] * p[i];
  }
  return g;
}

/// The initial parameters: a weight 2x3 and a bias 2 (float64 leaves requiring grad).
inline TensorList reference_init() {
  return {tensor({0.8, -1.3, 0.45, 2.1, -0.6, 1.05}, {2, 3}, kFloat64).requires_grad_(true),
          tensor({-0.9, 0.3}, kFloat64).requires_grad_(true)};
}

/// The reference trajectory: for each step, each tensor's values after it.
inline std::vector<std::vector<std::vector<double>>> reference_trajectory(
    const ReferenceFactory& make, int steps) {
  std::vector<std::vector<double>> p;
  std::vector<ReferenceStep> step;
  for (const auto& t : reference_init()) {
    p.push_back(t.detach().to_vector<double>());
    step.push_back(make(p.back().size()));
  }
  std::vector<std::vector<std::vector<double>>> out;
  for (int k = 0; k < steps; ++k) {
    for (size_t j = 0; j < p.size(); ++j) step[j](p[j], reference_grad(p[j]));
    out.push_back(p);
  }
  return out;
}

/// Checks `got` (one value per tensor) against step k of `want`.
inline void check_step(const TensorList& got, const std::vector<std::vector<double>>& want, int k,
                       const char* form) {
  for (size_t j = 0; j < got.size(); ++j) {
    const std::vector<double> values = got[j].detach().to_vector<double>();
    REQUIRE(values.size() == want[j].size());
    for (size_t i = 0; i < values.size(); ++i) {
      INFO(form << ": step " << k + 1 << ", tensor " << j << ", element " << i);
      CHECK(std::abs(values[i] - want[j][i]) <= 1e-12 * (1.0 + std::abs(want[j][i])));
    }
  }
}

/// Runs the functional `alias` (out of place with create_graph, and in place), the classic
/// optimizer made by make_classic(params) and the Meta* optimizer made by make_meta(module)
/// against the reference made by `make_reference`, for `steps` steps.
template <typename MakeClassic, typename MakeMeta>
void check_against_reference(const GradientTransformation& alias, const MakeClassic& make_classic,
                             const MakeMeta& make_meta, const ReferenceFactory& make_reference,
                             int steps = 6) {
  const auto want = reference_trajectory(make_reference, steps);
  {
    TensorList params = reference_init();
    OptState state = alias.init(params);
    for (int k = 0; k < steps; ++k) {
      const TensorList grads = grad({reference_loss(params)}, params, {}, {.create_graph = true});
      params = apply_updates(params, alias.update(grads, state, params, false), false);
      check_step(params, want[k], k, "functional, out of place");
    }
  }
  {
    TensorList params = reference_init();
    OptState state = alias.init(params);
    for (int k = 0; k < steps; ++k) {
      const TensorList grads = grad({reference_loss(params)}, params);
      NoGradGuard no_grad;
      apply_updates(params, alias.update(grads, state, params, true), true);
      check_step(params, want[k], k, "functional, in place");
    }
  }
  {
    const TensorList params = reference_init();
    auto opt = make_classic(params);
    for (int k = 0; k < steps; ++k) {
      opt.zero_grad();
      reference_loss(params).backward();
      opt.step();
      check_step(params, want[k], k, "classic");
    }
  }
  {
    nn::Linear net(3, 2, {.dtype = kFloat64});
    net.set_parameters(reference_init());
    auto opt = make_meta(net);
    for (int k = 0; k < steps; ++k) {
      opt.step(reference_loss(net.parameters()));
      check_step(net.parameters(), want[k], k, "Meta");
    }
    CHECK_FALSE(net.parameters()[0].is_leaf());  // the steps were recorded
  }
}

}  // namespace metagrad::testing
