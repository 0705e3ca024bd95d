#include "examples/lola/ipd.hpp"

#include <cmath>
#include <utility>

namespace metagrad::examples::lola {

namespace {

// The actions ([batch], float 0/1, 1 = cooperate) drawn in `states`, and their log-probabilities
// under theta (with theta's history).
std::pair<Tensor, Tensor> act(const Tensor& states, const Tensor& theta, Generator& generator) {
  const Tensor p_defect = index_select(sigmoid(theta), 0, states);
  Tensor actions;
  {
    NoGradGuard no_grad;
    actions = lt(rand({states.size(0)}, {}, &generator), 1 - p_defect.detach()).to(kFloat32);
  }
  const Tensor log_probs = actions * log(1 - p_defect) + (1 - actions) * log(p_defect);
  return {actions, log_probs};
}

// The next state of an agent from its own and the other's action: 1 + 2 a_self + a_other.
Tensor next_state(const Tensor& self, const Tensor& other) {
  return (1 + 2 * self + other).to(kInt64);
}

// The reward of an agent: -2 - a_self + 2 a_other.
Tensor reward(const Tensor& self, const Tensor& other) { return -2 - self + 2 * other; }

// gamma^t for t = 0..T-1, as [1, T].
Tensor discounts(int64_t t, double gamma) {
  std::vector<double> values(static_cast<size_t>(t));
  for (int64_t i = 0; i < t; ++i) values[static_cast<size_t>(i)] = std::pow(gamma, i);
  return tensor(values, {1, t});
}

Tensor magic_box(const Tensor& x) { return exp(x - x.detach()); }

}  // namespace

Tensor Memory::dice_objective(double gamma, bool use_baseline) const {
  const Tensor self_lp = stack(self_logprobs, 1);
  const Tensor other_lp = stack(other_logprobs, 1);
  const Tensor v = stack(values, 1);
  const Tensor r = stack(rewards, 1);
  const int64_t steps = r.size(1);
  const Tensor discount = discounts(steps, gamma);
  // The stochastic nodes each reward depends on: every action of both agents so far.
  const Tensor stochastic_nodes = self_lp + other_lp;
  const Tensor dependencies = cumsum(stochastic_nodes, 1);
  Tensor objective = (magic_box(dependencies) * (r * discount)).sum({1}).mean();
  if (use_baseline)  // variance reduction
    objective = objective + ((1 - magic_box(stochastic_nodes)) * (v * discount)).sum({1}).mean();
  return -objective;
}

Tensor Memory::value_loss() const {
  const Tensor diff = stack(rewards, 1) - stack(values, 1);
  return (diff * diff).mean();
}

std::pair<Memory, Memory> sample(const GameOptions& game, const Tensor& theta1,
                                 const Tensor& theta2, const Tensor& values1, const Tensor& values2,
                                 Generator& generator) {
  Memory m1, m2;
  Tensor s1 = zeros({game.batch}, kInt64), s2 = zeros({game.batch}, kInt64);
  for (int64_t t = 0; t < game.len; ++t) {
    const auto [a1, lp1] = act(s1, theta1, generator);
    const auto [a2, lp2] = act(s2, theta2, generator);
    m1.self_logprobs.push_back(lp1);
    m1.other_logprobs.push_back(lp2);
    m1.values.push_back(index_select(values1, 0, s1));
    m2.self_logprobs.push_back(lp2);
    m2.other_logprobs.push_back(lp1);
    m2.values.push_back(index_select(values2, 0, s2));
    NoGradGuard no_grad;
    m1.rewards.push_back(reward(a1, a2));
    m2.rewards.push_back(reward(a2, a1));
    s1 = next_state(a1, a2);
    s2 = next_state(a2, a1);
  }
  return {std::move(m1), std::move(m2)};
}

Score evaluate(const GameOptions& game, const Tensor& theta1, const Tensor& theta2,
               Generator& generator) {
  NoGradGuard no_grad;
  Score score;
  Tensor s1 = zeros({game.batch}, kInt64), s2 = zeros({game.batch}, kInt64);
  const double rounds = static_cast<double>(game.len);
  for (int64_t t = 0; t < game.len; ++t) {
    const Tensor a1 = act(s1, theta1, generator).first;
    const Tensor a2 = act(s2, theta2, generator).first;
    score.score1 += reward(a1, a2).mean().item<double>() / rounds;
    score.score2 += reward(a2, a1).mean().item<double>() / rounds;
    score.cooperation1 += a1.mean().item<double>() / rounds;
    score.cooperation2 += a2.mean().item<double>() / rounds;
    s1 = next_state(a1, a2);
    s2 = next_state(a2, a1);
  }
  return score;
}

}  // namespace metagrad::examples::lola
