#pragma once

// A small MAML problem and the finite-difference check of meta-gradients through a Meta*
// optimizer's unrolled inner loop (shared by meta_optimizer_test.cpp and the optimizer tests).
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

namespace metagrad::testing {

// A MAML problem: a tanh MLP 3 -> 4 -> 2 (non-quadratic, so the inner Hessian varies with the
// parameters), support and query sets, and initial parameters theta.
struct MetaProblem {
  nn::Sequential net{nn::Linear(3, 4, {.dtype = kFloat64}), nn::Tanh(),
                     nn::Linear(4, 2, {.dtype = kFloat64})};
  Tensor x = randn64({6, 3}, 1).detach(), y = randn64({6, 2}, 2).detach();
  Tensor xq = randn64({5, 3}, 3).detach(), yq = randn64({5, 2}, 4).detach();
  TensorList theta = {mul(randn64({4, 3}, 5), 0.7).detach().requires_grad_(true),
                      mul(randn64({4}, 6), 0.1).detach().requires_grad_(true),
                      mul(randn64({2, 4}, 7), 0.7).detach().requires_grad_(true),
                      mul(randn64({2}, 8), 0.1).detach().requires_grad_(true)};
};

// The unrolled loop: `steps` inner steps of the optimizer made by `make_opt` from `init`, then the
// query loss of the adapted net.
template <typename MakeOpt>
Tensor unrolled_outer_loss(MetaProblem& pb, const TensorList& init, const MakeOpt& make_opt,
                           int steps) {
  pb.net.set_parameters(init);
  auto opt = make_opt(pb.net);
  for (int k = 0; k < steps; ++k) opt.step(mse_loss(pb.net(pb.x), pb.y));
  return mse_loss(pb.net(pb.xq), pb.yq);
}

// The meta-gradient of the unrolled loop with respect to theta.
template <typename MakeOpt>
TensorList meta_gradient(MetaProblem& pb, const MakeOpt& make_opt, int steps) {
  const Tensor outer = unrolled_outer_loss(pb, pb.theta, make_opt, steps);
  REQUIRE_FALSE(pb.net.parameters()[0].is_leaf());  // the slots hold stepped, non-leaf tensors
  return grad({outer}, pb.theta);
}

// Compares the meta-gradient with central differences (h = 1e-6) of the whole unrolled loop.
template <typename MakeOpt>
void check_meta_gradient_fd(MetaProblem& pb, const MakeOpt& make_opt, int steps = 3) {
  const TensorList meta_grads = meta_gradient(pb, make_opt, steps);
  const double h = 1e-6;
  for (size_t i = 0; i < pb.theta.size(); ++i) {
    const std::vector<double> analytic = meta_grads[i].to_vector<double>();
    for (int64_t j = 0; j < pb.theta[i].numel(); ++j) {
      auto perturbed = [&](double delta) {
        TensorList init;
        for (const auto& t : pb.theta) init.push_back(t.detach().clone().requires_grad_(true));
        init[i].data_ptr<double>()[j] += delta;
        return unrolled_outer_loss(pb, init, make_opt, steps).template item<double>();
      };
      const double fd = (perturbed(h) - perturbed(-h)) / (2 * h);
      INFO("param " << i << " element " << j << ": analytic " << analytic[j] << ", fd " << fd);
      CHECK(std::abs(fd - analytic[j]) <= 1e-6 * (1 + std::abs(fd)));
    }
  }
}

}  // namespace metagrad::testing
