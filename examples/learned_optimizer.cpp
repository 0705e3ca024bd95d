// Learning to learn by gradient descent by gradient descent (Andrychowicz et al., 2016): an LSTM
// optimizer, meta-trained on random quadratics, against Adam and SGD with their best step sizes.
//
// The functions are f(θ) = ||W θ - y||² with W ~ N(0, 1) of shape [dim, dim] and y ~ N(0, 1),
// θ starting at 0. The optimizer is the paper's coordinatewise network: a two-layer nn::LSTM with
// --hidden units whose batch is the coordinates of θ (so the same small network serves any
// dimension), reading each coordinate's gradient with the paper's log-magnitude and sign
// preprocessing and proposing the update 0.1 · Linear(h). Meta-training samples --batch
// functions per iteration, runs the optimizer --horizon steps in truncations of --unroll steps
// and, after each truncation, takes one Adam step (lr --meta-lr) on the LSTM's parameters
// against the sum of the losses along it: the meta-gradient flows back through the LSTM's
// recurrence and the updates of θ. As in the paper, the gradients the optimizer reads are
// treated as inputs (∂∇f/∂φ dropped); --second-order keeps that term, differentiating through
// the gradient computation too.
//
// Evaluation: --eval functions never seen in training, run --horizon steps by the learned
// optimizer and by Adam and SGD, each at every step size of its grid, the best (lowest final
// mean loss on these same functions) reported. Output: the mean loss after the first step, a
// tenth and half of the horizon and the last step for each, learned-optimizer.svg (mean loss
// against step, log scale) and learned-optimizer-log.csv in --out.
//
// The defaults (300 meta-iterations, dim 10, batch 32, horizon 100, unroll 20) took 17 s on one
// core of a busy 2-core machine; after 100 steps the held-out mean loss (10.1 at θ = 0) was 0.252
// for the learned optimizer (0.186 and 0.237 with --seed 2 and 3), 0.309 for the best Adam
// (lr 0.3) and 1.07 for the best SGD (lr 0.01).
//
// Usage: learned_optimizer [--iterations 300] [--dim 10] [--batch 32] [--horizon 100]
//          [--unroll 20] [--hidden 20] [--meta-lr 0.01] [--eval 64] [--second-order]
//          [--seed 1] [--out DIR]
#include <fmt/core.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "examples/common/cli.hpp"
#include "examples/common/example_main.hpp"
#include "examples/common/progress.hpp"
#include "examples/common/svg_plot.hpp"
#include "examples/common/threads.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace ex = metagrad::examples;

namespace {

constexpr const char* kProgram = "learned_optimizer";
constexpr uint64_t kEvalSeed = 20161114;  // the held-out functions, the same for every --seed

struct Config {
  int64_t iterations = 300, dim = 10, batch = 32, horizon = 100, unroll = 20, hidden = 20,
          eval = 64;
  double meta_lr = 0.01;
  bool second_order = false;
  uint64_t seed = 1;
  std::string out = ".";
};

void add_options(ex::Options& o, Config& c) {
  o.integer("--iterations", "N", "meta-training iterations (300)", c.iterations, 1)
      .integer("--dim", "D", "dimension of the quadratics (10)", c.dim, 1)
      .integer("--batch", "B", "functions per meta-iteration (32)", c.batch, 1)
      .integer("--horizon", "T", "optimizer steps per function (100)", c.horizon, 1)
      .integer("--unroll", "K", "steps per truncation of the meta-gradient (20)", c.unroll, 1)
      .integer("--hidden", "H", "LSTM units per layer (20)", c.hidden, 1)
      .positive("--meta-lr", "LR", "Adam step size of meta-training (0.01)", c.meta_lr)
      .integer("--eval", "N", "held-out functions (64)", c.eval, 1)
      .toggle("--second-order", "differentiate through the gradients the optimizer reads",
              c.second_order)
      .integer("--seed", "S", "random seed of the optimizer and the training functions (1)", c.seed,
               0)
      .text("--out", "DIR", "where learned-optimizer.svg and learned-optimizer-log.csv go (.)",
            c.out);
}

// A batch of quadratics f_b(θ) = ||W_b θ_b - y_b||².
struct Quadratics {
  mg::Tensor w, y;  // [B, D, D], [B, D]

  Quadratics(int64_t count, int64_t dim, mg::Generator& gen)
      : w(mg::randn({count, dim, dim}, mg::kFloat32, &gen)),
        y(mg::randn({count, dim}, mg::kFloat32, &gen)) {}

  // Each function's value at θ [B, D]: [B].
  mg::Tensor operator()(const mg::Tensor& theta) const {
    const mg::Tensor residual = mg::squeeze(mg::matmul(w, mg::unsqueeze(theta, -1)), -1) - y;
    return mg::sum(residual * residual, {1});
  }
};

// The paper's gradient preprocessing (p = 10): (log|g| / p, sign g) where |g| >= e^-p, else
// (-1, e^p g); one row of two features per coordinate.
mg::Tensor preprocess(const mg::Tensor& g) {
  constexpr double p = 10.0;
  const mg::Tensor magnitude = mg::abs(g);
  const mg::Tensor large = mg::ge(magnitude, std::exp(-p));
  const mg::Tensor log_part =
      mg::where(large, mg::log(mg::clamp(magnitude, std::exp(-p), std::nullopt)) / p, -1.0);
  const mg::Tensor sign_part = mg::where(large, mg::sign(g), g * std::exp(p));
  return mg::stack({mg::flatten(log_part), mg::flatten(sign_part)}, 1);
}

// The coordinatewise LSTM optimizer: every coordinate of θ is one row of the LSTM's batch.
class LstmOptimizer : public nn::Cloneable<LstmOptimizer> {
 public:
  explicit LstmOptimizer(int64_t hidden)
      : lstm_(register_module("lstm", nn::LSTM(2, hidden, {.num_layers = 2}))),
        head_(register_module("head", nn::Linear(hidden, 1))),
        hidden_(hidden) {}

  using State = std::tuple<mg::Tensor, mg::Tensor>;

  // Zero states for `coordinates` rows.
  State initial_state(int64_t coordinates) const {
    return {mg::zeros({2, coordinates, hidden_}), mg::zeros({2, coordinates, hidden_})};
  }

  // The update of θ for its gradient g (θ's shape), and the next state.
  std::pair<mg::Tensor, State> propose(const mg::Tensor& g, const State& state) {
    auto& lstm = static_cast<nn::LSTM&>(module_at(lstm_));
    const auto [out, next] = lstm.forward(mg::unsqueeze(preprocess(g), 0), state);
    const mg::Tensor update = module_at(head_)(mg::squeeze(out, 0)) * 0.1;
    return {mg::reshape(update, g.shape()), next};
  }

  // The first update from a zero state for gradient g.
  mg::Tensor forward(const mg::Tensor& g) override {
    return propose(g, initial_state(g.numel())).first;
  }

 private:
  size_t lstm_, head_;
  int64_t hidden_;
};

LstmOptimizer::State detached(const LstmOptimizer::State& s) {
  return {std::get<0>(s).detach(), std::get<1>(s).detach()};
}

// Meta-trains `opt` (one progress line per iteration).
void meta_train(const Config& cfg, LstmOptimizer& opt) {
  mg::Adam meta_opt(opt.parameters(), {.lr = cfg.meta_lr});
  mg::Generator gen(cfg.seed);
  ex::Progress progress(cfg.iterations, stdout, std::nullopt,
                        std::max<int64_t>(cfg.iterations / 10, 1));
  for (int64_t it = 1; it <= cfg.iterations; ++it) {
    const Quadratics f(cfg.batch, cfg.dim, gen);
    mg::Tensor theta = mg::zeros({cfg.batch, cfg.dim}).requires_grad_();
    LstmOptimizer::State state = opt.initial_state(cfg.batch * cfg.dim);
    double last_loss = 0.0;
    for (int64_t start = 0; start < cfg.horizon; start += cfg.unroll) {
      mg::Tensor meta_loss = mg::zeros({});
      for (int64_t t = start; t < std::min(start + cfg.unroll, cfg.horizon); ++t) {
        mg::Tensor g =
            mg::grad({mg::sum(f(theta))}, {theta}, {}, {.create_graph = cfg.second_order})[0];
        if (!cfg.second_order) g = g.detach();
        mg::Tensor update;
        std::tie(update, state) = opt.propose(g, state);
        theta = theta + update;
        meta_loss = meta_loss + mg::mean(f(theta));
      }
      meta_opt.zero_grad();
      meta_loss.backward();
      meta_opt.step();
      last_loss = meta_loss.item<double>() / static_cast<double>(cfg.unroll);
      theta = theta.detach().requires_grad_();
      state = detached(state);
    }
    progress.step({.epoch = 1,
                   .epochs = 1,
                   .step = it,
                   .steps = cfg.iterations,
                   .loss = last_loss,
                   .show_acc = false});
  }
  progress.break_line();
}

// Mean loss over the functions after each of cfg.horizon steps of `step_fn`, which maps
// (θ leaf, its gradient) to the next θ.
template <typename Step>
std::vector<double> run_curve(const Config& cfg, const Quadratics& f, Step&& step_fn) {
  std::vector<double> curve;
  mg::Tensor theta = mg::zeros({cfg.eval, cfg.dim}).requires_grad_();
  for (int64_t t = 0; t < cfg.horizon; ++t) {
    const mg::Tensor g = mg::grad({mg::sum(f(theta))}, {theta})[0];
    theta = step_fn(theta, g).detach().requires_grad_();
    curve.push_back(mg::mean(f(theta)).item<double>());
  }
  return curve;
}

struct Curve {
  std::string name;
  std::vector<double> losses;
};

// The lowest-final-loss curve of a classic optimizer over `lrs`.
template <typename MakeOptimizer>
Curve best_of(const Config& cfg, const Quadratics& f, const std::string& name,
              const std::vector<double>& lrs, MakeOptimizer&& make) {
  Curve best{name, {}};
  double best_lr = 0.0;
  for (double lr : lrs) {
    mg::Tensor leaf = mg::zeros({cfg.eval, cfg.dim}).requires_grad_();
    auto optimizer = make(leaf, lr);
    std::vector<double> curve;
    for (int64_t t = 0; t < cfg.horizon; ++t) {
      optimizer.zero_grad();
      mg::sum(f(leaf)).backward();
      optimizer.step();
      curve.push_back(mg::mean(f(leaf)).item<double>());
    }
    const double final_loss = std::isfinite(curve.back()) ? curve.back() : 1e300;
    if (best.losses.empty() || final_loss < best.losses.back()) {
      best.losses = curve;
      best_lr = lr;
    }
  }
  best.name = fmt::format("{} (lr {})", name, best_lr);
  return best;
}

void write_outputs(const Config& cfg, const std::vector<Curve>& curves) {
  const std::filesystem::path out(cfg.out);
  std::vector<ex::PlotSeries> series;
  for (const Curve& c : curves) {
    ex::PlotSeries s{.label = c.name};
    for (size_t i = 0; i < c.losses.size(); ++i) {
      s.x.push_back(static_cast<double>(i + 1));
      s.y.push_back(std::log10(std::max(c.losses[i], 1e-12)));
    }
    series.push_back(std::move(s));
  }
  ex::write_svg_plot(
      (out / "learned-optimizer.svg").string(), series,
      {.title = fmt::format("Held-out quadratics (dim {}): mean loss per step", cfg.dim),
       .xlabel = "step",
       .ylabel = "log10 mean loss"});
  std::string csv = "step";
  for (const Curve& c : curves) csv += "," + c.name.substr(0, c.name.find(' '));
  csv += "\n";
  for (int64_t i = 0; i < cfg.horizon; ++i) {
    csv += fmt::format("{}", i + 1);
    for (const Curve& c : curves) csv += fmt::format(",{:.6g}", c.losses[static_cast<size_t>(i)]);
    csv += "\n";
  }
  mg::write_file_atomically((out / "learned-optimizer-log.csv").string(), csv, kProgram);
}

void run(const Config& cfg) {
  (void)ex::use_threads(1);
  ex::make_out_dir(kProgram, cfg.out);
  fmt::print(
      "meta-training a 2-layer LSTM optimizer ({} units) on quadratics of dim {}: {} iterations "
      "of {} functions, horizon {} in truncations of {}, meta Adam lr {}, {} order\n",
      cfg.hidden, cfg.dim, cfg.iterations, cfg.batch, cfg.horizon, cfg.unroll, cfg.meta_lr,
      cfg.second_order ? "second" : "first");
  mg::manual_seed(cfg.seed);
  LstmOptimizer opt(cfg.hidden);
  const auto start = std::chrono::steady_clock::now();
  meta_train(cfg, opt);
  const double train_seconds = ex::seconds_since(start);

  mg::Generator eval_gen(kEvalSeed);
  const Quadratics f(cfg.eval, cfg.dim, eval_gen);
  std::vector<Curve> curves;
  LstmOptimizer::State state = opt.initial_state(cfg.eval * cfg.dim);
  curves.push_back({"learned", run_curve(cfg, f, [&](const mg::Tensor& theta, const mg::Tensor& g) {
                      auto [update, next] = opt.propose(g, state);
                      state =
                          detached(next);  // no meta-gradient here: each step's graph is dropped
                      return theta + update;
                    })});
  curves.push_back(
      best_of(cfg, f, "adam", {0.003, 0.01, 0.03, 0.1, 0.3, 1.0},
              [](const mg::Tensor& leaf, double lr) { return mg::Adam({leaf}, {.lr = lr}); }));
  curves.push_back(
      best_of(cfg, f, "sgd", {0.001, 0.003, 0.01, 0.03, 0.1},
              [](const mg::Tensor& leaf, double lr) { return mg::SGD({leaf}, {.lr = lr}); }));
  fmt::print(
      "meta-training took {:.1f} s; mean loss of {} held-out functions (at step 0: {:.4g})\n",
      train_seconds, cfg.eval, mg::mean(f(mg::zeros({cfg.eval, cfg.dim}))).item<double>());
  for (const Curve& c : curves) {
    const auto at = [&](int64_t step) {
      return c.losses[static_cast<size_t>(std::min(step, cfg.horizon) - 1)];
    };
    const int64_t tenth = std::max<int64_t>(cfg.horizon / 10, 1), half = (cfg.horizon + 1) / 2;
    fmt::print("{:>22}: step 1 {:.4g} | step {} {:.4g} | step {} {:.4g} | step {} {:.4g}\n", c.name,
               at(1), tenth, at(tenth), half, at(half), cfg.horizon, at(cfg.horizon));
  }
  write_outputs(cfg, curves);
  ex::print_written(cfg.out, "learned-optimizer.svg", "learned-optimizer-log.csv");
}

}  // namespace

int main(int argc, char** argv) { return ex::run_example(kProgram, argc, argv, add_options, run); }
