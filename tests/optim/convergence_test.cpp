// Each alias converges on a parabola and on the Rosenbrock function, in float32 and float64
// (optax's alias_test protocol: fixed start, fixed number of steps, final distance to the optimum),
// trained the classic way: gradients from grad(), updates and parameters in place under
// NoGradGuard.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;

struct Problem {
  std::string name;
  std::vector<double> start;
  std::vector<double> optimum;
  std::function<Tensor(const Tensor&)> loss;
};

Problem parabola() {
  return {"parabola", {-1.0, 10.0, 1.0}, {1.0, -1.0, 1.0}, [](const Tensor& p) {
            const Tensor d = sub(p, tensor({1.0, -1.0, 1.0}, p.dtype()));
            return sum(mul(d, d));
          }};
}

Problem rosenbrock() {
  // (a - x)^2 + b (y - x^2)^2 with a = 1, b = 100; minimum at (1, 1).
  return {"rosenbrock", {0.0, 0.0}, {1.0, 1.0}, [](const Tensor& p) {
            const Tensor x = p.select(0, 0);
            const Tensor y = p.select(0, 1);
            return add(square(sub(1.0, x)), mul(square(sub(y, square(x))), 100.0));
          }};
}

// The largest |p - optimum| after `steps` updates.
double final_error(const GradientTransformation& opt, const Problem& problem, DType dtype,
                   int steps) {
  Tensor p = tensor(problem.start, dtype);
  p.requires_grad_();
  TensorList params = {p};
  OptState state = opt.init(params);
  for (int k = 0; k < steps; ++k) {
    TensorList grads = grad({problem.loss(p)}, params);
    NoGradGuard no_grad;
    apply_updates(params, opt.update(grads, state, params, true), true);
  }
  const auto got = p.to_vector<double>();
  double worst = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double e = std::abs(got[i] - problem.optimum[i]);
    worst = std::isnan(e) ? INFINITY : std::max(worst, e);
  }
  return worst;
}

struct Run {
  GradientTransformation opt;
  int steps;
};

struct Setting {
  std::string name;
  Run on_parabola;
  Run on_rosenbrock;
};

// Hyperparameters per alias and problem. Most converge in a few hundred steps; AdaGrad's shrinking
// steps and AdaDelta's slow start need thousands along Rosenbrock's curved valley (optax runs
// every alias for 10000 steps).
std::vector<Setting> settings() {
  return {
      {"sgd",
       {sgd({.lr = 0.05, .momentum = 0.9}), 500},
       {sgd({.lr = 2e-3, .momentum = 0.95}), 500}},
      {"adam", {adam({.lr = 0.1}), 500}, {adam({.lr = 0.1}), 1000}},
      {"adamw",
       {adamw({.lr = 0.1, .weight_decay = 1e-4}), 500},
       {adamw({.lr = 0.1, .weight_decay = 1e-4}), 500}},
      {"rmsprop",
       {rmsprop({.lr = 0.05, .momentum = 0.5}), 500},
       {rmsprop({.lr = 0.01, .momentum = 0.9}), 500}},
      {"adagrad", {adagrad({.lr = 1.0}), 500}, {adagrad({.lr = 0.1}), 4000}},
      {"adamax",
       {adamax({.lr = 0.1, .betas = {0.9, 0.99}}), 500},
       {adamax({.lr = 0.1, .betas = {0.9, 0.99}}), 500}},
      {"radam", {radam({.lr = 0.1}), 500}, {radam({.lr = 0.01, .betas = {0.9, 0.99}}), 500}},
      {"adadelta", {adadelta({.lr = 10.0}), 500}, {adadelta({.lr = 0.05, .rho = 0.95}), 6000}},
  };
}

TEST_CASE("each alias converges on a parabola and on Rosenbrock", "[optim][convergence]") {
  for (const auto& s : settings()) {
    for (DType dtype : {kFloat32, kFloat64}) {
      const double e_parabola =
          final_error(s.on_parabola.opt, parabola(), dtype, s.on_parabola.steps);
      const double e_rosenbrock =
          final_error(s.on_rosenbrock.opt, rosenbrock(), dtype, s.on_rosenbrock.steps);
      INFO(s.name << " " << dtype_name(dtype) << ": parabola error " << e_parabola
                  << ", rosenbrock error " << e_rosenbrock);
      CHECK(e_parabola < 1e-3);
      CHECK(e_rosenbrock < 3e-2);
    }
  }
}

}  // namespace
