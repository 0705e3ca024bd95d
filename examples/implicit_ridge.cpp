// Per-feature ridge penalties learned by implicit differentiation (the seed's tutorial 5, after
// TorchOpt's tutorial "Implicit differentiation"), on synthetic regression data.
//
// Data: X [n, d], Xv [m, d] and Xt [t, d] standard normal; only the first k features matter
// (w_true[i] ~ N(0, 1) for i < k, 0 after); y = X w_true + noise * N(0, 1), likewise yv and yt.
// The training rows fit w, the validation rows fit λ, the test rows only measure.
// Inner problem, for penalties λ > 0 (one per feature):
//   w*(λ) = argmin_w ½‖X w − y‖² + ½ Σᵢ λᵢ wᵢ²,  i.e. (XᵀX + diag λ) w* = Xᵀy,
// solved without recording (a direct LU solve, or CG with --inner cg). Its optimality condition
// is the gradient of the inner objective, F(w, λ) = Xᵀ(X w − y) + λ ⊙ w. custom_root (argnums 1:
// λ) turns the solution into a differentiable function of λ: the backward solves the adjoint
// system (∂F/∂w)ᵀ u = −g by CG (solve_cg, as the Hessian XᵀX + diag λ is SPD) and returns
// (∂F/∂λ)ᵀ u = u ⊙ w*. The outer loss is the validation MSE, mean((Xv w* − yv)²); Adam updates
// ρ = log λ (so λ = exp ρ stays positive).
//
// At the first outer step the hypergradient is checked against its closed form
// dL/dλ = −w* ⊙ (XᵀX + diag λ)⁻¹ ∇_w L. For reference the program also reports the best single
// shared penalty on a grid (ordinary ridge regression tuned on the validation set).
//
// Output: a line per outer step, the final penalties of the informative and the noise features,
// implicit-ridge.svg (validation and test MSE per outer step, with those of the best shared λ)
// and implicit-ridge-log.csv in --out.
//
// The defaults (n 40, m 200, t 1000, d 30, k 5, noise 1, 200 outer steps of Adam lr 0.1) run in
// under a second on one core: the validation MSE goes from 3.57 (λ = 1 everywhere) to 0.82 and the
// test MSE from 4.13 to 1.19 (the noise floor is 1), where the best shared λ (10) gives 2.17 and
// 2.61; the geometric mean of the noise features' penalties grows from 1 to 73, the informative
// ones' falls to 0.41. The hypergradient matches its closed form to 3e-14 (LU inner solver).
//
// Usage: implicit_ridge [--n 40] [--m 200] [--t 1000] [--d 30] [--k 5] [--noise 1] [--steps 200]
// [--lr 0.1]
//          [--lambda0 1] [--inner direct|cg] [--rtol 1e-10] [--seed 1] [--threads 1]
//          [--device cpu|cuda] [--out DIR]
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "examples/common/cli.hpp"
#include "examples/common/example_main.hpp"
#include "examples/common/progress.hpp"
#include "examples/common/svg_plot.hpp"
#include "examples/common/threads.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;
namespace ex = metagrad::examples;

namespace {

constexpr const char* kProgram = "implicit_ridge";
constexpr int kGridPoints = 25;  // shared-λ grid: 10^-3 .. 10^3
constexpr double kGridLo = -3.0, kGridHi = 3.0;

struct Config {
  int64_t n = 40, m = 200, t = 1000, d = 30, k = 5, steps = 200;
  double noise = 1.0, lr = 0.1, lambda0 = 1.0, rtol = 1e-10;
  std::string inner = "direct";
  uint64_t seed = 1;
  int threads = 1;
  mg::Device device = mg::kCPU;
  std::string out = ".";
};

// The options of implicit_ridge, stored into `c`.
void add_options(ex::Options& o, Config& c) {
  o.integer("--n", "N", "training rows (40)", c.n, 1)
      .integer("--m", "M", "validation rows (200)", c.m, 1)
      .integer("--t", "T", "test rows (1000)", c.t, 1)
      .integer("--d", "D", "features (30)", c.d, 1)
      .integer("--k", "K", "informative features, the first K (5)", c.k, 0)
      .positive("--noise", "S", "standard deviation of the label noise (1)", c.noise)
      .integer("--steps", "N", "outer (Adam) steps on log λ (200)", c.steps, 0)
      .positive("--lr", "LR", "Adam's step size on log λ (0.1)", c.lr)
      .positive("--lambda0", "L", "initial penalty of every feature (1)", c.lambda0)
      .add("--inner", "direct|cg", "inner solver: LU solve or conjugate gradients (direct)",
           [&c](const std::string& flag, const std::string& value) {
             if (value != "direct" && value != "cg")
               MG_FAIL("{}: {} expects 'direct' or 'cg', got '{}'", kProgram, flag, value);
             c.inner = value;
           })
      .number_in("--rtol", "R", "relative tolerance of CG (inner and backward) (1e-10)", c.rtol,
                 1e-16, 1.0)
      .integer("--seed", "S", "random seed of the data (1)", c.seed, 0)
      .integer("--threads", "N", "CPU threads (1: the problem is tiny)", c.threads, 1)
      .device("--device", "cpu or cuda: where the data, λ and the optimizer state live (cpu)",
              c.device)
      .text("--out", "DIR", "where implicit-ridge.svg and implicit-ridge-log.csv go (.)", c.out);
}

// Training, validation and test data of one synthetic regression problem (float64), drawn on the
// CPU (the same numbers for every device) and moved to cfg.device.
struct Data {
  mg::Tensor x, y, xv, yv, xt, yt;
};

Data make_data(const Config& cfg) {
  mg::Generator gen(cfg.seed);
  const mg::TensorOptions f64(mg::kFloat64);
  std::vector<double> w(static_cast<size_t>(cfg.d), 0.0);
  const std::vector<double> informative =
      mg::randn({std::max<int64_t>(cfg.k, 1)}, f64, &gen).to_vector<double>();
  for (int64_t i = 0; i < std::min(cfg.k, cfg.d); ++i) w[i] = informative[i];
  const mg::Tensor w_true = mg::tensor(w, f64);
  Data data;
  data.x = mg::randn({cfg.n, cfg.d}, f64, &gen);
  data.y = data.x.mv(w_true) + cfg.noise * mg::randn({cfg.n}, f64, &gen);
  data.xv = mg::randn({cfg.m, cfg.d}, f64, &gen);
  data.yv = data.xv.mv(w_true) + cfg.noise * mg::randn({cfg.m}, f64, &gen);
  data.xt = mg::randn({cfg.t, cfg.d}, f64, &gen);
  data.yt = data.xt.mv(w_true) + cfg.noise * mg::randn({cfg.t}, f64, &gen);
  for (mg::Tensor* t : {&data.x, &data.y, &data.xv, &data.yv, &data.xt, &data.yt})
    *t = t->to(cfg.device);
  return data;
}

// XᵀX + diag λ, the inner objective's Hessian.
mg::Tensor ridge_matrix(const mg::Tensor& x, const mg::Tensor& lambda) {
  return x.t().matmul(x) + mg::eye(x.shape()[1], -1, {x.dtype(), x.device()}) * lambda;
}

// The inner objective's gradient in w, zero at w*(λ): Xᵀ(X w − y) + λ ⊙ w.
mg::TensorList ridge_optimality(const mg::TensorList& w, const mg::RootArgs& args) {
  const mg::Tensor& lambda = args[0].tensor();
  const mg::Tensor& x = args[1].tensor();
  const mg::Tensor& y = args[2].tensor();
  return {x.t().mv(x.mv(w[0]) - y) + lambda * w[0]};
}

// The inner solver (run without recording by custom_root): (XᵀX + diag λ) w = Xᵀy by LU, or by
// CG on w -> Xᵀ(X w) + λ ⊙ w started from `init`.
mg::RootSolver make_inner_solver(const Config& cfg) {
  if (cfg.inner == "cg") {
    return [rtol = cfg.rtol](const mg::TensorList& init, const mg::RootArgs& args) {
      const mg::Tensor& lambda = args[0].tensor();
      const mg::Tensor& x = args[1].tensor();
      const mg::Tensor& y = args[2].tensor();
      auto hessian = [&](const mg::TensorList& v) -> mg::TensorList {
        return {x.t().mv(x.mv(v[0])) + lambda * v[0]};
      };
      return mg::linalg::cg(hessian, {x.t().mv(y)}, {.x0 = init, .rtol = rtol});
    };
  }
  return [](const mg::TensorList&, const mg::RootArgs& args) -> mg::TensorList {
    const mg::Tensor& lambda = args[0].tensor();
    const mg::Tensor& x = args[1].tensor();
    const mg::Tensor& y = args[2].tensor();
    return {mg::linalg::solve(ridge_matrix(x, lambda), x.t().mv(y))};
  };
}

// mean((X w − y)²).
mg::Tensor mse(const mg::Tensor& x, const mg::Tensor& w, const mg::Tensor& y) {
  return (x.mv(w) - y).square().mean();
}

// The ridge solution for penalties λ, directly (no history).
mg::Tensor ridge_solution(const Data& data, const mg::Tensor& lambda) {
  const mg::NoGradGuard no_grad;
  return mg::linalg::solve(ridge_matrix(data.x, lambda), data.x.t().mv(data.y));
}

// The closed-form hypergradient dL/dλ = −w* ⊙ (XᵀX + diag λ)⁻¹ ∇_w L, ∇_w L = 2/m Xvᵀ(Xv w* − yv).
mg::Tensor closed_form_hypergradient(const Data& data, const mg::Tensor& lambda) {
  const mg::NoGradGuard no_grad;
  const mg::Tensor w = ridge_solution(data, lambda);
  const auto m = static_cast<double>(data.xv.shape()[0]);
  const mg::Tensor grad_w = data.xv.t().mv(data.xv.mv(w) - data.yv) * (2.0 / m);
  return -(w * mg::linalg::solve(ridge_matrix(data.x, lambda), grad_w));
}

// The best single penalty shared by all features on a log grid, by validation MSE.
struct SharedLambda {
  double lambda = 0.0, val_mse = INFINITY, test_mse = INFINITY;
};

SharedLambda best_shared_lambda(const Data& data, int64_t d) {
  SharedLambda best;
  for (int i = 0; i < kGridPoints; ++i) {
    const double lambda =
        std::pow(10.0, kGridLo + (kGridHi - kGridLo) * i / static_cast<double>(kGridPoints - 1));
    const mg::Tensor w =
        ridge_solution(data, mg::full({d}, lambda, {mg::kFloat64, data.x.device()}));
    const double val = mse(data.xv, w, data.yv).item<double>();
    if (val < best.val_mse) best = {lambda, val, mse(data.xt, w, data.yt).item<double>()};
  }
  return best;
}

// The geometric mean of lambda[lo, hi) (NaN for an empty range).
double geometric_mean(const std::vector<double>& lambda, int64_t lo, int64_t hi) {
  if (hi <= lo) return NAN;
  double sum = 0.0;
  for (int64_t i = lo; i < hi; ++i) sum += std::log(lambda[i]);
  return std::exp(sum / static_cast<double>(hi - lo));
}

// One row of the log.
struct StepRecord {
  double val_mse, test_mse, train_mse, lambda_informative, lambda_noise, grad_norm;
};

void write_outputs(const std::vector<StepRecord>& log, const SharedLambda& shared,
                   const Config& cfg) {
  std::string csv =
      "step,val_mse,test_mse,train_mse,lambda_informative_gmean,lambda_noise_gmean,grad_norm\n";
  ex::PlotSeries val{.label = "Validation MSE (the outer loss)", .color = "#1f77b4"},
      test{.label = "Test MSE", .color = "#d62728"},
      shared_val{.label = fmt::format("Validation MSE, best shared λ = {:.3g}", shared.lambda),
                 .color = "#9ec5e8"},
      shared_test{.label = "Test MSE, best shared λ", .color = "#f0a8a8"};
  for (size_t s = 0; s < log.size(); ++s) {
    const StepRecord& r = log[s];
    csv += fmt::format("{},{:.8g},{:.8g},{:.8g},{:.8g},{:.8g},{:.8g}\n", s, r.val_mse, r.test_mse,
                       r.train_mse, r.lambda_informative, r.lambda_noise, r.grad_norm);
    val.x.push_back(static_cast<double>(s)), val.y.push_back(r.val_mse);
    test.x.push_back(static_cast<double>(s)), test.y.push_back(r.test_mse);
  }
  const double last = static_cast<double>(std::max<size_t>(log.size(), 2) - 1);
  shared_val.x = shared_test.x = {0.0, last};
  shared_val.y = {shared.val_mse, shared.val_mse};
  shared_test.y = {shared.test_mse, shared.test_mse};
  double top = std::max(shared.val_mse, shared.test_mse);
  for (const StepRecord& r : log) top = std::max({top, r.val_mse, r.test_mse});
  const std::filesystem::path out(cfg.out);
  mg::write_file_atomically((out / "implicit-ridge-log.csv").string(), csv, kProgram);
  ex::write_svg_plot(
      (out / "implicit-ridge.svg").string(), {val, test, shared_val, shared_test},
      {.title = fmt::format("Per-feature ridge penalties by implicit hypergradients (n {}, d {}, "
                            "{} informative)",
                            cfg.n, cfg.d, cfg.k),
       .xlabel = "outer step (Adam on log λ)",
       .ylabel = "mean squared error",
       .height = 480,
       // Room below the curves for the legend (lower right corner).
       .y_min = -0.36 * 1.05 * top,
       .y_max = 1.05 * top});
}

void run(const Config& cfg) {
  MG_CHECK(cfg.k <= cfg.d, "{}: --k ({}) must not exceed --d ({})", kProgram, cfg.k, cfg.d);
  const ex::ThreadChoice threads = ex::use_threads(cfg.threads);
  ex::make_out_dir(kProgram, cfg.out);
  const auto t0 = std::chrono::steady_clock::now();
  const Data data = make_data(cfg);
  fmt::print(
      "ridge regression, {} training, {} validation and {} test rows, {} features ({} "
      "informative), noise {}; inner solver: {}; hypergradients by custom_root + solve_cg (rtol "
      "{:g}); Adam lr {} on log λ, {}, on {}\n",
      cfg.n, cfg.m, cfg.t, cfg.d, cfg.k, cfg.noise, cfg.inner == "cg" ? "CG" : "LU", cfg.rtol,
      cfg.lr, threads.describe(), cfg.device.str());

  // The differentiable solver, built once: w*(λ) with gradients to λ (argnums 1 = args[0]).
  const mg::RootSolver solver = mg::custom_root(
      ridge_optimality, {1},
      {.solve = mg::linear_solve::solve_cg({.rtol = cfg.rtol})})(make_inner_solver(cfg));

  const mg::TensorOptions f64(mg::kFloat64, cfg.device);
  mg::Tensor rho = mg::full({cfg.d}, std::log(cfg.lambda0), f64).set_requires_grad(true);
  mg::Adam outer({rho}, {.lr = cfg.lr});
  mg::TensorList w = {mg::zeros({cfg.d}, f64)};
  std::vector<StepRecord> log;
  for (int64_t step = 0; step <= cfg.steps; ++step) {
    const mg::Tensor lambda = rho.exp();
    w = solver(mg::tree::detach(w), {lambda, data.x, data.y});
    const mg::Tensor val_loss = mse(data.xv, w[0], data.yv);
    const mg::TensorList grads = mg::grad({val_loss}, {rho});
    const std::vector<double> lambdas = lambda.detach().to_vector<double>();
    const mg::Tensor w_now = w[0].detach();
    StepRecord record{val_loss.item<double>(),
                      mse(data.xt, w_now, data.yt).item<double>(),
                      mse(data.x, w_now, data.y).item<double>(),
                      geometric_mean(lambdas, 0, cfg.k),
                      geometric_mean(lambdas, cfg.k, cfg.d),
                      std::sqrt(mg::tree::squared_norm(grads))};
    log.push_back(record);
    if (step == 0) {
      // dL/dρ = dL/dλ ⊙ λ.
      const mg::Tensor reference =
          closed_form_hypergradient(data, lambda.detach()) * lambda.detach();
      const double err = (grads[0] - reference).norm().item<double>() /
                         std::max(reference.norm().item<double>(), 1e-300);
      fmt::print("hypergradient check at step 0: relative error against the closed form {:.2e}\n",
                 err);
    }
    fmt::print(
        "outer step {}/{} | val MSE {:.5f} | test MSE {:.5f} | train MSE {:.5f} | λ gmean: "
        "informative {:.4g}, noise {:.4g} | ‖dL/dlog λ‖ {:.3e}\n",
        step, cfg.steps, record.val_mse, record.test_mse, record.train_mse,
        record.lambda_informative, record.lambda_noise, record.grad_norm);
    if (step == cfg.steps) break;
    rho.set_grad(grads[0]);
    outer.step();
  }
  std::fflush(stdout);

  const SharedLambda shared = best_shared_lambda(data, cfg.d);
  fmt::print(
      "after {} outer steps: validation MSE {:.5f} -> {:.5f}, test MSE {:.5f} -> {:.5f} (from λ = "
      "{} everywhere) | best shared λ on a grid of {}: λ = {:.3g}, validation MSE {:.5f}, test "
      "MSE {:.5f} | {}\n",
      cfg.steps, log.front().val_mse, log.back().val_mse, log.front().test_mse, log.back().test_mse,
      cfg.lambda0, kGridPoints, shared.lambda, shared.val_mse, shared.test_mse,
      ex::format_duration(ex::seconds_since(t0)));
  const std::vector<double> lambdas = rho.detach().exp().to_vector<double>();
  std::string informative, noise;
  for (int64_t i = 0; i < cfg.d; ++i)
    (i < cfg.k ? informative : noise) += fmt::format(" {:.3g}", lambdas[i]);
  fmt::print("final λ, informative features:{}\nfinal λ, noise features:{}\n", informative, noise);
  write_outputs(log, shared, cfg);
  ex::print_written(cfg.out, "implicit-ridge.svg", "implicit-ridge-log.csv");
}

}  // namespace

int main(int argc, char** argv) { return ex::run_example(kProgram, argc, argv, add_options, run); }
