// Meta-gradient reinforcement learning on a toy chain (TorchOpt's examples/MGRL/mgrl.py, after
// Xu et al., "Meta-Gradient Reinforcement Learning", 2018): the per-step discount factors
// sigmoid(gamma) of a bootstrapped value target are meta-parameters, learned so that one
// MetaSGD step of the value network towards that target lowers the error against the true
// undiscounted return.
//
// The chain has 10 states visited in order, one-hot encoded; state i pays a reward r_i ~ N(0, 1)
// for even i and 0.1 for odd i, fresh at every rollout. The value network is Linear(10, 1).
// Each outer iteration:
//   - inner: target y_i = r_i + sigmoid(gamma_i) * stop_grad(y_{i+1}) (y_9 = r_9); one MetaSGD
//     step (lr 0.5) on mse(V(s), y);
//   - outer: on a new rollout, mse(V'(s), G) with the undiscounted return G_i = sum_{j>=i} r_j;
//     its gradient flows through the inner step into gamma, which SGD (lr 0.5) updates;
//   - the value network is reset to its initial parameters (recover_state_dict), as TorchOpt does.
// A discount of 1 makes the target unbiased but noisy (it sums all later random rewards), so the
// learned discounts settle where the bias and the variance of the one-step update balance.
//
//   ./mgrl [--iters N] [--print-every N] [--average-last N] [--seed S]
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <string>
#include <vector>

#include "examples/common/cli.hpp"
#include "examples/common/example_main.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;
namespace ex = metagrad::examples;

namespace {

constexpr const char* kProgram = "mgrl";
constexpr int64_t kStates = 10;

struct Config {
  int64_t iters = 10000, print_every = 100, average_last = 2000;
  uint64_t seed = 0;
};

void add_options(ex::Options& o, Config& c) {
  o.integer("--iters", "N", "outer iterations (10000, as TorchOpt)", c.iters, 1)
      .integer("--print-every", "N", "iterations between progress lines (100)", c.print_every, 1)
      .integer("--average-last", "N", "iterations averaged for the final discounts (2000)",
               c.average_last, 1)
      .integer("--seed", "S", "random seed of the value network and the rewards (0)", c.seed, 0);
}

// The value network: V(s) = w . s + b.
class ValueNetwork : public mg::nn::Cloneable<ValueNetwork> {
 public:
  ValueNetwork() : fc_(register_module("fc", mg::nn::Linear(kStates, 1))) {}
  std::string type_name() const override { return "ValueNetwork"; }
  mg::Tensor forward(const mg::Tensor& x) override { return module_at(fc_)(x); }

 private:
  size_t fc_;
};

// One rollout: rewards [10, 1] (N(0, 1) at even steps, 0.1 at odd ones) and the states [10, 10].
struct Rollout {
  mg::Tensor rewards, states;
};

Rollout get_rollout() {
  const mg::Tensor random = mg::randn({kStates / 2});
  const mg::Tensor fixed = mg::full({kStates / 2}, 0.1);
  return {mg::stack({random, fixed}, 1).reshape({kStates, 1}), mg::eye(kStates)};
}

// The bootstrapped target y_i = r_i + gamma_i * y_{i+1}, with y_{i+1} detached, y_9 = r_9.
mg::Tensor backup(const mg::Tensor& rewards, const mg::Tensor& gamma) {
  std::vector<mg::Tensor> out(kStates);
  out[kStates - 1] = rewards.select(0, kStates - 1);
  for (int64_t i = kStates - 2; i >= 0; --i)
    out[i] = rewards.select(0, i) + gamma.select(0, i) * out[i + 1].detach();
  return mg::stack(out, 0);
}

std::vector<double> values(const mg::Tensor& t) { return t.contiguous().to_vector<double>(); }

void run(const Config& cfg) {
  MG_CHECK(cfg.average_last <= cfg.iters, "{}: --average-last ({}) must not exceed --iters ({})",
           kProgram, cfg.average_last, cfg.iters);
  mg::manual_seed(cfg.seed);
  ValueNetwork net;
  mg::MetaSGD inner_optimizer(net, {.lr = 5e-1});
  const mg::Tensor gamma = mg::zeros({kStates - 1}).requires_grad_();
  mg::SGD meta_optimizer({gamma}, {.lr = 5e-1});
  const mg::ModuleState net_state = mg::extract_state_dict(net);
  {
    const mg::nn::NamedTensors init = net.named_parameters();
    fmt::print("initial value network: weight {:.6f} | bias {:.6f}\n",
               fmt::join(values(init[0].second), " "), values(init[1].second)[0]);
  }

  std::vector<double> sum(kStates - 1, 0.0);
  for (int64_t i = 0; i < cfg.iters; ++i) {
    Rollout r = get_rollout();
    const mg::Tensor inner_loss =
        mg::mse_loss(net(r.states), backup(r.rewards, mg::sigmoid(gamma)));
    inner_optimizer.step(inner_loss);

    r = get_rollout();
    const mg::Tensor outer_loss =
        mg::mse_loss(net(r.states), backup(r.rewards, mg::ones_like(gamma)));
    meta_optimizer.zero_grad();
    outer_loss.backward();
    meta_optimizer.step();
    mg::recover_state_dict(net, net_state);

    mg::NoGradGuard no_grad;
    const std::vector<double> discount = values(mg::sigmoid(gamma));
    if (i % cfg.print_every == 0)
      fmt::print("epoch {} | gamma: [{:.4f}]\n", i, fmt::join(discount, ", "));
    if (i >= cfg.iters - cfg.average_last)
      for (size_t k = 0; k < discount.size(); ++k) sum[k] += discount[k];
  }
  for (double& s : sum) s /= static_cast<double>(cfg.average_last);
  fmt::print("mean gamma over the last {} iterations: [{:.4f}]\n", cfg.average_last,
             fmt::join(sum, ", "));
}

}  // namespace

int main(int argc, char** argv) { return ex::run_example(kProgram, argc, argv, add_options, run); }
