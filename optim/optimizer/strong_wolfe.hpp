#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "engine/tensor.hpp"

// PyTorch's strong-Wolfe line search of LBFGS (torch/optim/lbfgs.py), internal to
// optim/optimizer/lbfgs.cpp.
namespace metagrad::detail {

/// The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
/// `bounds` (default: between x1 and x2); their midpoint when the cubic has no minimum.
double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds = std::nullopt);

/// The loss and flat gradient at x + t d (x restored afterwards).
using DirectionalObjective = std::function<std::pair<double, Tensor>(double t)>;

/// A step along d satisfying the strong Wolfe conditions (or the best found within max_ls
/// evaluations): its loss, flat gradient, step size and the evaluations used.
struct LineSearchResult {
  double loss = 0.0;
  Tensor flat_grad;
  double step = 0.0;
  int64_t evaluations = 0;
};

/// PyTorch's _strong_wolfe from step t along d, at loss f with flat gradient g and slope gtd.
LineSearchResult strong_wolfe(const DirectionalObjective& objective, double t, const Tensor& d,
                              double f, const Tensor& g, double gtd, double tolerance_change,
                              double c1 = 1e-4, double c2 = 0.9, int64_t max_ls = 25);

/// <a, b> of two flat tensors, as a double.
double flat_dot(const Tensor& a, const Tensor& b);

}  // namespace metagrad::detail
