#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "metagrad.hpp"

// The iterated prisoner's dilemma of TorchOpt's LOLA example (examples/LOLA/helpers: env.py and
// utils.py, after Foerster et al.'s LOLA-DiCE): a batch of games between two agents, each with a
// tabular policy over five states, and the DiCE objective whose gradients of any order are the
// policy-gradient estimators LOLA needs.
//
// Actions: 1 = cooperate, 0 = defect. Rewards (self, other): (C, C) -1, (C, D) -3, (D, C) 0,
// (D, D) -2, i.e. r = -2 - a_self + 2 a_other. States: 0 at the start, then 1 + 2 a_self + a_other
// from each agent's own point of view (1 = DD, 2 = DC, 3 = CD, 4 = CC). A policy is theta [5]:
// in state s the agent cooperates with probability 1 - sigmoid(theta_s) (TorchOpt samples
// Bernoulli(1 - sigmoid(theta))), so sigmoid(theta) is the probability of defecting.

namespace metagrad::examples::lola {

/// Number of states of the game (the start and the four outcomes of the last round).
inline constexpr int64_t kStates = 5;

/// What one agent saw during a batch of rollouts, step by step ([batch] tensors per step).
struct Memory {
  TensorList self_logprobs, other_logprobs, values, rewards;
  /// TorchOpt's dice_objective, negated (a loss): -mean_b sum_t [magic_box(sum_(u<=t) (lp_u +
  /// olp_u)) gamma^t r_t] and, with the baseline, -mean_b sum_t (1 - magic_box(lp_t + olp_t))
  /// gamma^t v_t, where magic_box(x) = exp(x - stop_grad(x)).
  Tensor dice_objective(double gamma, bool use_baseline) const;
  /// mean((rewards - values)^2), the value function's loss.
  Tensor value_loss() const;
};

/// One batch of games: `len` rounds of `batch` parallel games.
struct GameOptions {
  int64_t len = 150;
  int64_t batch = 1024;
};

/// Plays a batch of games with policies theta1, theta2 ([5] each, with or without history) and
/// value tables values1, values2 ([5]), drawing actions from `generator`. Returns each agent's
/// memory; the log-probabilities carry the policies' history.
std::pair<Memory, Memory> sample(const GameOptions& game, const Tensor& theta1,
                                 const Tensor& theta2, const Tensor& values1, const Tensor& values2,
                                 Generator& generator);

/// The outcome of a batch of games played without recording.
struct Score {
  /// Mean reward per round of each agent (between -3 and 0; -1 each when both always cooperate).
  double score1 = 0, score2 = 0;
  /// Fraction of rounds in which each agent cooperated.
  double cooperation1 = 0, cooperation2 = 0;
};

/// Plays a batch of games (TorchOpt's `step`) and scores it.
Score evaluate(const GameOptions& game, const Tensor& theta1, const Tensor& theta2,
               Generator& generator);

}  // namespace metagrad::examples::lola
