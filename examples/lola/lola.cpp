// LOLA on the iterated prisoner's dilemma (TorchOpt's examples/LOLA/lola_dice.py, after Foerster
// et al., "Learning with Opponent-Learning Awareness", 2018, with the DiCE estimator). Each agent
// looks ahead: it takes `n` differentiable MetaSGD steps of the other agent's policy (a virtual
// copy), then updates its own policy with Adam on its DiCE objective against that anticipated
// opponent, differentiating through the opponent's steps. With 0 lookaheads this is two naive
// learners, which learn to defect (joint score near -2); with 1 or 2 lookaheads the agents learn
// to cooperate (joint score near -1), as TorchOpt's README plot shows.
//
//   ./lola [--lookaheads 0,1] [--updates N] [--len N] [--batch N] [--seed S] ...
//
// The defaults (batch 256, 100 updates, lookaheads 0 and 1) run in about 40 s on two
// cores; TorchOpt's run is --batch 1024 --updates 100 (200 in its plot) --lookaheads 0,1,2.
#include <fmt/core.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "examples/common/cli.hpp"
#include "examples/common/example_main.hpp"
#include "examples/lola/ipd.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;
namespace ex = metagrad::examples;
namespace lola = metagrad::examples::lola;

namespace {

constexpr const char* kProgram = "lola";

struct Config {
  std::vector<int64_t> lookaheads = {0, 1};
  int64_t updates = 100, print_every = 10;
  lola::GameOptions game{.len = 150, .batch = 256};
  double lr_in = 0.3, lr_out = 0.2, lr_v = 0.1, gamma = 0.96;
  bool use_baseline = true;
  uint64_t seed = 6666;
};

// "0,1,2" -> {0, 1, 2}.
std::vector<int64_t> parse_lookaheads(const std::string& flag, const std::string& text) {
  std::vector<int64_t> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(ex::parse_int(kProgram, flag, item, 0));
  MG_CHECK(!out.empty(), "{}: {} expects a list like 0,1,2, got '{}'", kProgram, flag, text);
  return out;
}

void add_options(ex::Options& o, Config& c) {
  o.add("--lookaheads", "LIST", "lookahead steps of each run, e.g. 0,1,2 (0,1)",
        [&c](const std::string& flag, const std::string& v) {
          c.lookaheads = parse_lookaheads(flag, v);
        })
      .integer("--updates", "N", "policy updates of each run (100, as TorchOpt)", c.updates, 1)
      .integer("--print-every", "N", "updates between progress lines (10)", c.print_every, 1)
      .integer("--len", "N", "rounds of each game (150)", c.game.len, 1)
      .integer("--batch", "N", "games per batch (256; TorchOpt: 1024)", c.game.batch, 1)
      .positive("--lr-in", "LR", "MetaSGD step of the lookahead (0.3)", c.lr_in)
      .positive("--lr-out", "LR", "Adam step of the policy (0.2)", c.lr_out)
      .positive("--lr-v", "LR", "Adam step of the value function (0.1)", c.lr_v)
      .number_in("--gamma", "G", "discount factor (0.96)", c.gamma, 0.0, 1.0)
      .add("--baseline", "on|off", "DiCE's variance-reduction baseline (on)",
           [&c](const std::string& flag, const std::string& v) {
             MG_CHECK(v == "on" || v == "off", "{}: {} expects on or off, got '{}'", kProgram, flag,
                      v);
             c.use_baseline = v == "on";
           })
      .integer("--seed", "S", "random seed of the games (6666, as TorchOpt)", c.seed, 0);
}

// The virtual copy of a policy that a lookahead updates: a module with one parameter, theta.
class ThetaModel : public mg::nn::Cloneable<ThetaModel> {
 public:
  explicit ThetaModel(const mg::Tensor& theta)
      : theta_(register_parameter("theta", theta.detach().clone())) {}
  std::string type_name() const override { return "ThetaModel"; }
  const mg::Tensor& theta() const { return parameter_at(theta_); }

 private:
  size_t theta_;
};

// An agent: its policy theta and value table (each with Adam), and the virtual copy of its
// policy that the other agent's lookahead steps.
struct Agent {
  explicit Agent(const Config& c)
      : theta(mg::zeros({lola::kStates}).requires_grad_()),
        values(mg::zeros({lola::kStates}).requires_grad_()),
        theta_optimizer({theta}, {.lr = c.lr_out}),
        value_optimizer({values}, {.lr = c.lr_v}),
        lr_in(c.lr_in) {
    set_virtual();
  }
  // A fresh virtual copy of theta and its MetaSGD.
  void set_virtual() {
    virtual_optimizer.reset();
    virtual_theta = std::make_unique<ThetaModel>(theta);
    virtual_optimizer =
        std::make_unique<mg::MetaSGD>(*virtual_theta, mg::MetaSGDOptions{.lr = lr_in});
  }
  void value_update(const mg::Tensor& loss) {
    value_optimizer.zero_grad();
    loss.backward();
    value_optimizer.step();
  }

  mg::Tensor theta, values;
  mg::Adam theta_optimizer, value_optimizer;
  double lr_in;
  std::unique_ptr<ThetaModel> virtual_theta;
  std::unique_ptr<mg::MetaSGD> virtual_optimizer;
};

// P(cooperate) in each state: 1 - sigmoid(theta).
std::string policy(const mg::Tensor& theta) {
  mg::NoGradGuard no_grad;
  const std::vector<double> p = (1 - mg::sigmoid(theta)).to_vector<double>();
  return fmt::format("{{{:.3f}, {:.3f}, {:.3f}, {:.3f}, {:.3f}}}", p[0], p[1], p[2], p[3], p[4]);
}

// One run of `n` lookaheads; prints its progress and summary.
void run_lookaheads(const Config& c, int64_t n) {
  mg::Generator gen(c.seed);
  Agent agent1(c), agent2(c);
  fmt::print("start iterations with {} lookaheads:\n", n);
  lola::Score score;
  for (int64_t update = 0; update < c.updates; ++update) {
    agent1.set_virtual();
    agent2.set_virtual();
    // Agent 2's view: agent 1 takes n steps on its own objective.
    for (int64_t k = 0; k < n; ++k) {
      const auto [m1, m2] = lola::sample(c.game, agent1.virtual_theta->theta(), agent2.theta,
                                         agent1.values, agent2.values, gen);
      agent1.virtual_optimizer->step(m1.dice_objective(c.gamma, c.use_baseline));
    }
    // Agent 1's view: agent 2 takes n steps.
    for (int64_t k = 0; k < n; ++k) {
      const auto [m1, m2] = lola::sample(c.game, agent1.theta, agent2.virtual_theta->theta(),
                                         agent1.values, agent2.values, gen);
      agent2.virtual_optimizer->step(m2.dice_objective(c.gamma, c.use_baseline));
    }
    // Agent 1 against the anticipated agent 2; the gradient flows through agent 2's steps.
    {
      const auto [m1, m2] = lola::sample(c.game, agent1.theta, agent2.virtual_theta->theta(),
                                         agent1.values, agent2.values, gen);
      agent1.theta_optimizer.zero_grad();
      m1.dice_objective(c.gamma, c.use_baseline).backward({}, /*retain_graph=*/true);
      agent1.theta_optimizer.step();
      agent1.value_update(m1.value_loss());
    }
    // Agent 2 against the anticipated agent 1.
    {
      const auto [m1, m2] = lola::sample(c.game, agent1.virtual_theta->theta(), agent2.theta,
                                         agent1.values, agent2.values, gen);
      agent2.theta_optimizer.zero_grad();
      m2.dice_objective(c.gamma, c.use_baseline).backward({}, /*retain_graph=*/true);
      agent2.theta_optimizer.step();
      agent2.value_update(m2.value_loss());
    }
    score = lola::evaluate(c.game, agent1.theta, agent2.theta, gen);
    if (update % c.print_every == 0 || update == c.updates - 1)
      fmt::print("update {} score ({:.3f},{:.3f}) P(cooperate) (agent1) = {} (agent2) = {}\n",
                 update, score.score1, score.score2, policy(agent1.theta), policy(agent2.theta));
  }
  fmt::print(
      "lookaheads {}: joint score {:.3f} | cooperation rate agent1 {:.3f} agent2 {:.3f} | "
      "mean {:.3f}\n",
      n, 0.5 * (score.score1 + score.score2), score.cooperation1, score.cooperation2,
      0.5 * (score.cooperation1 + score.cooperation2));
}

void run(const Config& c) {
  fmt::print("states: s0 (start), DD, DC, CD, CC (own action first)\n");
  for (int64_t n : c.lookaheads) run_lookaheads(c, n);
}

}  // namespace

int main(int argc, char** argv) { return ex::run_example(kProgram, argc, argv, add_options, run); }
