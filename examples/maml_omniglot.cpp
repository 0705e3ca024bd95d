// Model-Agnostic Meta-Learning on few-shot Omniglot, step by step as TorchOpt's tutorial
// (examples/few-shot/maml_omniglot.py): load the data set, build the network, meta-train,
// meta-test, plot.
//
// Every task adapts the network to its support set with 5 differentiable SGD steps (MetaSGD,
// lr 0.1); the adapted network's loss on the task's query set is differentiated back through
// those steps to the initial parameters, which Adam (lr 1e-3) meta-trains. The tasks of a
// meta-batch run concurrently (mg::meta_batch: one task per CPU thread, each on its own replica of
// the network that starts from the initial parameters, as the tutorial's reset to the extracted
// state does).
//
// Data: rendered Hershey glyphs by default (fonts as alphabets, 20 renders per character, quarter
// turns as new classes; meta-test alphabets held out), or TorchOpt's omniglot.npy cache with
// --data omniglot --root DIR. Output: a progress line per meta-step, per-epoch train and test
// loss and accuracy, and at the end (rewritten after every epoch) maml-accs.svg and maml-log.csv
// in --out.
//
// The defaults (12 epochs of 100 meta-steps of 4 tasks, 60 held-out test tasks per evaluation)
// took 11m19s under `make demo` on 2 cores (0.53 s per meta-step, release build) and reached
// 82.9% 5-way 1-shot accuracy on the held-out Hershey alphabets (69.0% before meta-training).
//
// Usage: maml_omniglot [--n_way 5] [--k_spt 1] [--k_qry 15] [--task_num 4] [--epochs 12]
//          [--steps 100] [--test_steps 15] [--seed 1] [--device cpu] [--data hershey|omniglot]
//          [--root DIR] [--threads auto] [--out DIR]
#include <fmt/core.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "examples/common/cli.hpp"
#include "examples/common/example_main.hpp"
#include "examples/common/few_shot.hpp"
#include "examples/common/omniglot_nshot.hpp"
#include "examples/common/progress.hpp"
#include "examples/common/threads.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace ex = metagrad::examples;

namespace {

constexpr const char* kProgram = "maml_omniglot";
constexpr int kInnerSteps = 5;     // n_inner_iter of the tutorial
constexpr double kInnerLr = 0.1;   // MetaSGD(net, lr=1e-1)
constexpr double kOuterLr = 1e-3;  // optim.Adam(net.parameters(), lr=1e-3)

struct Config {
  int64_t n_way = 5, k_spt = 1, k_qry = 15, task_num = 4;
  int64_t epochs = 12, steps = 100, test_steps = 15;
  uint64_t seed = 1;
  mg::Device device = mg::kCPU;
  std::string data = "hershey", root, out = ".";
  int threads = 0;  // 0: auto (see ex::auto_threads)
};

// The options of maml_omniglot, stored into `c`.
void add_options(ex::Options& o, Config& c) {
  o.integer("--n_way", "N", "classes per task (5)", c.n_way, 2)
      .integer("--k_spt", "K", "support images per class (1)", c.k_spt, 1)
      .integer("--k_qry", "K", "query images per class (15)", c.k_qry, 1)
      .integer("--task_num", "T", "tasks per meta-batch (4)", c.task_num, 1)
      .integer("--epochs", "E", "meta-training epochs (12)", c.epochs, 0)
      .integer("--steps", "S", "meta-steps per epoch (100)", c.steps, 1)
      .integer("--test_steps", "S", "meta-test batches (of task_num tasks) per evaluation (15)",
               c.test_steps, 1)
      .integer("--seed", "S", "random seed of the network and the task sampler (1)", c.seed, 0)
      .device("--device",
              "cpu or cuda: where the network, the tasks and the optimizer state live (cpu)",
              c.device)
      .text("--data", "SRC", "hershey (rendered glyphs) or omniglot (ROOT/omniglot.npy) (hershey)",
            c.data)
      .text("--root", "DIR",
            fmt::format("data folder (hershey: {}; omniglot: /tmp/omniglot-data)",
                        ex::kHersheyFontDir),
            c.root)
      .integer("--threads", "N", ex::kAutoThreadsHelp, c.threads, 1)
      .text("--out", "DIR", "where maml-accs.svg and maml-log.csv go (.)", c.out);
}

// Checks the choices among the options' values and fills in the default --root of --data.
void complete(Config& c) {
  MG_CHECK(c.data == "hershey" || c.data == "omniglot",
           "maml_omniglot: --data must be hershey or omniglot, got '{}'", c.data);
  if (c.root.empty()) c.root = c.data == "hershey" ? ex::kHersheyFontDir : "/tmp/omniglot-data";
}

// Adapts a network (a meta_batch replica) to task i's support set with kInnerSteps differentiable
// SGD steps.
void adapt(nn::Module& net, const ex::NShotBatch& batch, int64_t i) {
  mg::MetaSGD inner_opt(net, {.lr = kInnerLr});
  const mg::Tensor x = batch.x_spt.select(0, i), y = batch.y_spt.select(0, i);
  for (int k = 0; k < kInnerSteps; ++k) inner_opt.step(mg::cross_entropy(net(x), y));
}

// The tasks of a meta-batch run side by side on the CPU's threads (meta_batch gives each worker its
// own replica of the network, reset to the network's parameters before every task, which is the
// tutorial's extract_state_dict / recover_state_dict). On a GPU the device runs one task at a time.
mg::MetaBatchOptions task_options(mg::Device device) {
  return {.reduction = mg::MetaBatchReduction::Mean,
          .parallel = {.workers = device.is_cuda() ? 1 : 0}};
}

void train(ex::OmniglotNShot& db, nn::Sequential& net, mg::Adam& meta_opt, int64_t epoch,
           const Config& cfg, ex::Progress& progress, std::vector<ex::FewShotLogEntry>& log,
           std::chrono::steady_clock::time_point t0) {
  net.train();
  for (int64_t batch_idx = 0; batch_idx < cfg.steps; ++batch_idx) {
    const ex::NShotBatch batch = db.next("train");
    const int64_t task_num = batch.x_spt.size(0);
    std::vector<double> accs(static_cast<size_t>(task_num));
    meta_opt.zero_grad();
    // The mean query loss of the adapted networks, differentiated back to the initial parameters.
    const mg::TensorList qry_losses = mg::meta_batch(
        net, task_num,
        [&](nn::Module& replica, int64_t i) {
          adapt(replica, batch, i);
          const mg::Tensor y_qry = batch.y_qry.select(0, i);
          const mg::Tensor qry_logits = replica(batch.x_qry.select(0, i));
          accs[static_cast<size_t>(i)] = ex::top1_accuracy(qry_logits, y_qry);
          return mg::cross_entropy(qry_logits, y_qry);
        },
        task_options(cfg.device));
    meta_opt.step();
    const double loss = mg::stack(qry_losses).mean().item<double>();
    double acc_sum = 0.0;
    for (double a : accs) acc_sum += a;
    const double acc = 100.0 * acc_sum / static_cast<double>(task_num);
    progress.step({epoch + 1, cfg.epochs, batch_idx + 1, cfg.steps, loss, acc});
    log.push_back({epoch + static_cast<double>(batch_idx) / cfg.steps, "train", loss, acc,
                   ex::seconds_since(t0)});
  }
}

// Meta-test on held-out classes: adapt to each support set, score the query set (no
// meta-update). As in the tutorial, BatchNorm uses batch statistics (train mode).
void test(ex::OmniglotNShot& db, nn::Sequential& net, int64_t epoch, const Config& cfg,
          std::vector<ex::FewShotLogEntry>& log, std::chrono::steady_clock::time_point t0) {
  net.train();
  double loss_sum = 0.0, acc_sum = 0.0;
  int64_t tasks = 0;
  for (int64_t step = 0; step < cfg.test_steps; ++step) {
    const ex::NShotBatch batch = db.next("test");
    const int64_t task_num = batch.x_spt.size(0);
    std::vector<double> accs(static_cast<size_t>(task_num));
    const mg::TensorList qry_losses = mg::meta_batch(
        net, task_num,
        [&](nn::Module& replica, int64_t i) {
          adapt(replica, batch, i);
          mg::NoGradGuard no_grad;  // the query logits are only scored (.detach() in the tutorial)
          const mg::Tensor y_qry = batch.y_qry.select(0, i);
          const mg::Tensor qry_logits = replica(batch.x_qry.select(0, i));
          accs[static_cast<size_t>(i)] = ex::top1_accuracy(qry_logits, y_qry);
          return mg::cross_entropy(qry_logits, y_qry);
        },
        task_options(cfg.device));
    for (int64_t i = 0; i < task_num; ++i, ++tasks) {
      loss_sum += qry_losses[static_cast<size_t>(i)].item<double>();
      acc_sum += accs[static_cast<size_t>(i)];
    }
  }
  ex::report_test(epoch, loss_sum / tasks, 100.0 * acc_sum / tasks, tasks, ex::seconds_since(t0),
                  log);
}

// maml-log.csv and maml-accs.svg (train accuracy per meta-step, test accuracy per epoch).
void write_outputs(const std::vector<ex::FewShotLogEntry>& log, const Config& cfg) {
  ex::write_few_shot_outputs(
      log, {.dir = cfg.out,
            .csv_name = "maml-log.csv",
            .svg_name = "maml-accs.svg",
            .title = fmt::format("MAML {} ({}-way {}-shot)",
                                 cfg.data == "hershey" ? "Hershey glyphs" : "Omniglot", cfg.n_way,
                                 cfg.k_spt),
            .epochs = cfg.epochs,
            .program = kProgram});
}

void run(Config cfg) {
  complete(cfg);
  const ex::ThreadChoice threads = ex::use_threads(cfg.threads);
  const mg::Device device = cfg.device;
  ex::make_out_dir(kProgram, cfg.out);

  mg::manual_seed(cfg.seed);
  const auto t0 = std::chrono::steady_clock::now();

  // 1. The data set.
  ex::OmniglotNShot db(
      cfg.root, cfg.task_num, cfg.n_way, cfg.k_spt, cfg.k_qry, 28, std::mt19937_64(cfg.seed),
      device, cfg.data == "hershey" ? ex::GlyphSource::hershey : ex::GlyphSource::omniglot);
  fmt::print(
      "data: {} from {}: {} meta-training classes, {} held-out meta-test classes, {} "
      "images each ({:.1f} s)\n",
      cfg.data == "hershey" ? "Hershey glyphs" : "omniglot.npy", cfg.root,
      db.train_set().num_classes(), db.test_set().num_classes(), db.train_set().drawers,
      ex::seconds_since(t0));
  fmt::print(
      "{}-way {}-shot, {} query images per class, {} tasks per meta-batch, {} epochs of {} "
      "meta-steps, {}, on {}\n",
      cfg.n_way, cfg.k_spt, cfg.k_qry, cfg.task_num, cfg.epochs, cfg.steps, threads.describe(),
      device.str());

  // 2. The network and the meta-optimizer.
  nn::Sequential net = ex::make_few_shot_net(cfg.n_way);
  net.to(device);
  mg::Adam meta_opt(net.parameters(), {.lr = kOuterLr});

  // 3. Meta-train and meta-test.
  std::vector<ex::FewShotLogEntry> log;
  test(db, net, -1, cfg, log, t0);
  ex::Progress progress(cfg.epochs * cfg.steps);
  double train_seconds = 0.0;
  for (int64_t epoch = 0; epoch < cfg.epochs; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    train(db, net, meta_opt, epoch, cfg, progress, log, t0);
    train_seconds += ex::seconds_since(epoch_start);
    progress.break_line();
    test(db, net, epoch, cfg, log, t0);
    write_outputs(log, cfg);  // 4. Plot (after every epoch, as the tutorial).
  }
  if (cfg.epochs == 0) write_outputs(log, cfg);
  const double total = ex::seconds_since(t0);
  fmt::print(
      "final held-out accuracy {:.2f}% | {:.3f} s per meta-step ({} tasks) | meta-training "
      "{} | total {}\n",
      log.back().acc, cfg.epochs > 0 ? train_seconds / (cfg.epochs * cfg.steps) : 0.0, cfg.task_num,
      ex::format_duration(train_seconds), ex::format_duration(total));
  ex::print_written(cfg.out, "maml-accs.svg", "maml-log.csv");
}

}  // namespace

int main(int argc, char** argv) { return ex::run_example(kProgram, argc, argv, add_options, run); }
