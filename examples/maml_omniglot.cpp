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
// Checkpoints: with --checkpoint DIR the run writes DIR/maml-checkpoint.safetensors (atomically)
// every --checkpoint_every meta-steps and at the end: the network (parameters and BatchNorm
// buffers), Adam's state, the task sampler's and the default generator's positions, the epoch and
// the next meta-step, and the log so far. --resume continues from it (after a kill, say) and, on
// the same device, ends with the same parameters, bit for bit, as a run that was never
// interrupted. The options that shape the run must be the checkpoint's; --epochs may grow, and
// --out, --threads (the results do not depend on it) and --device may change.
//
// Distributed: `mpirun -np N maml_omniglot --distributed` splits every meta-batch's tasks over the
// N ranks (distributed::meta_batch): each rank adapts its share, one bucketed all_reduce sums the
// meta-gradient, and every rank applies the same Adam step; after every epoch the ranks check that
// their parameters and buffers are still identical. Rank 0 prints and writes the outputs and the
// checkpoint; every rank reads the checkpoint on --resume. With the same seed and --task_num the
// run follows the single-process one (the meta-gradient's sum differs only in order).
//
// Usage: maml_omniglot [--n_way 5] [--k_spt 1] [--k_qry 15] [--task_num 4] [--epochs 12]
//          [--steps 100] [--test_steps 15] [--seed 1] [--device cpu] [--data hershey|omniglot]
//          [--root DIR] [--threads auto] [--out DIR] [--checkpoint DIR] [--checkpoint_every 50]
//          [--resume] [--distributed]
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "examples/common/cli.hpp"
#include "examples/common/example_main.hpp"
#include "examples/common/few_shot.hpp"
#include "examples/common/few_shot_checkpoint.hpp"
#include "examples/common/few_shot_options.hpp"
#include "examples/common/omniglot_nshot.hpp"
#include "examples/common/progress.hpp"
#include "examples/common/threads.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace ex = metagrad::examples;
namespace dist = metagrad::distributed;

namespace {

constexpr const char* kProgram = "maml_omniglot";
constexpr int kInnerSteps = 5;     // n_inner_iter of the tutorial
constexpr double kInnerLr = 0.1;   // MetaSGD(net, lr=1e-1)
constexpr double kOuterLr = 1e-3;  // optim.Adam(net.parameters(), lr=1e-3)
constexpr const char* kCheckpointName = "maml-checkpoint.safetensors";

struct Config : ex::FewShotConfig {
  std::string checkpoint;  // empty: no checkpoints
  int64_t checkpoint_every = 50;
  bool resume = false;
  bool distributed = false;  // split the tasks over the ranks of mpirun
};

// The options of maml_omniglot, stored into `c`.
void add_options(ex::Options& o, Config& c) {
  ex::add_few_shot_options(o, c, "maml");
  o.text("--checkpoint", "DIR",
         fmt::format("write DIR/{} every --checkpoint_every meta-steps\nand at the end (none)",
                     kCheckpointName),
         c.checkpoint)
      .integer("--checkpoint_every", "K", "meta-steps between checkpoints (50)", c.checkpoint_every,
               1)
      .toggle("--resume", "continue from the checkpoint in --checkpoint DIR", c.resume)
      .toggle("--distributed",
              "split each meta-batch's tasks over the ranks of mpirun\n(one all_reduce of the "
              "meta-gradient per step)",
              c.distributed);
}

// Checks the choices among the options' values (and that --resume has a --checkpoint folder) and
// fills in the default --root of --data.
void complete(Config& c) {
  ex::complete_few_shot_options(c, kProgram);
  MG_CHECK(!c.resume || !c.checkpoint.empty(),
           "maml_omniglot: --resume needs --checkpoint DIR, the folder of the run's {}",
           kCheckpointName);
}

// The options that shape a run's trajectory: a run resumes only with the checkpoint's values.
std::map<std::string, std::string> trajectory_options(const Config& c) {
  return {{"n_way", std::to_string(c.n_way)},
          {"k_spt", std::to_string(c.k_spt)},
          {"k_qry", std::to_string(c.k_qry)},
          {"task_num", std::to_string(c.task_num)},
          {"steps", std::to_string(c.steps)},
          {"test_steps", std::to_string(c.test_steps)},
          {"seed", std::to_string(c.seed)},
          {"data", c.data},
          {"root", c.root}};
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

// The query losses and top-1 accuracies of a batch's tasks, each adapted to its support set. When
// training, the mean query loss's meta-gradient goes to net's .grad; otherwise the query set is
// only scored. With --distributed the ranks share the tasks and every rank gets every task's
// results.
struct TaskResults {
  mg::TensorList losses;
  std::vector<double> accs;
};

TaskResults run_tasks(nn::Module& net, const ex::NShotBatch& batch, bool training,
                      const Config& cfg) {
  const int64_t task_num = batch.x_spt.size(0);
  std::vector<double> accs(static_cast<size_t>(task_num), 0.0);
  const mg::MetaTask task = [&](nn::Module& replica, int64_t i) {
    adapt(replica, batch, i);
    std::optional<mg::NoGradGuard> no_grad;  // scoring only: .detach() in the tutorial
    if (!training) no_grad.emplace();
    const mg::Tensor y_qry = batch.y_qry.select(0, i);
    const mg::Tensor qry_logits = replica(batch.x_qry.select(0, i));
    accs[static_cast<size_t>(i)] = ex::top1_accuracy(qry_logits, y_qry);
    return mg::cross_entropy(qry_logits, y_qry);
  };
  if (!cfg.distributed)
    return {mg::meta_batch(net, task_num, task, task_options(cfg.device)), accs};
  mg::TensorList losses = dist::meta_batch(net, task_num, task, task_options(cfg.device));
  // Each rank scored its share; the others' entries are zeros, so the sum fills them all.
  return {losses, dist::all_reduce(mg::tensor(accs, mg::kFloat64)).to_vector<double>()};
}

// --distributed: checks that every rank holds rank 0's parameters and buffers, bit for bit.
void check_replicas(const nn::Module& net, int64_t epoch) {
  mg::NoGradGuard no_grad;
  std::vector<std::string> names;
  mg::TensorList values;
  for (const auto& [name, t] : net.named_parameters()) names.push_back(name), values.push_back(t);
  for (const auto& [name, t] : net.named_buffers()) names.push_back(name), values.push_back(t);
  const mg::TensorList root = dist::broadcast(values, 0);
  int64_t first_difference = -1;
  for (size_t k = 0; k < values.size() && first_difference < 0; ++k)
    if (mg::any(mg::ne(values[k], root[k])).item<bool>())
      first_difference = static_cast<int64_t>(k);
  const mg::Tensor worst = dist::all_reduce(
      mg::scalar_tensor(static_cast<double>(first_difference), mg::kInt64), dist::ReduceOp::max);
  MG_CHECK(worst.item<int64_t>() < 0,
           "{}: after epoch {} the ranks' networks differ from rank 0's{}; the ranks must run the "
           "same program on the same data",
           kProgram, epoch + 1,
           first_difference >= 0 ? fmt::format(" (rank {}: {})", dist::rank(),
                                               names[static_cast<size_t>(first_difference)])
                                 : std::string());
}

// DIR/maml-checkpoint.safetensors of --checkpoint DIR.
std::string checkpoint_path(const Config& cfg) {
  return (std::filesystem::path(cfg.checkpoint) / kCheckpointName).string();
}

// A meta-training run: the network, its meta-optimizer, the task sampler and where the run stands
// (state: the epoch, the next meta-step, the log), which save() writes to the checkpoint.
struct Run {
  const Config& cfg;
  ex::OmniglotNShot& db;
  nn::Sequential& net;
  mg::Adam& meta_opt;
  ex::FewShotRunState state;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  double time_offset = 0.0;  // the seconds logged before a --resume
  int64_t saved_at = -1;     // the meta-steps done at the last checkpoint

  // Seconds since the run began, across resumes.
  double elapsed() const { return time_offset + ex::seconds_since(t0); }
  // Meta-steps done.
  int64_t done() const { return state.epoch * cfg.steps + state.step; }

  // Writes the checkpoint of the current position (nothing without --checkpoint).
  // With --distributed rank 0 writes it (every rank holds the same state).
  void save() {
    if (cfg.checkpoint.empty()) return;
    state.sampler = db.rng();
    state.generator = mg::default_generator().state();
    if (dist::rank() == 0)
      mg::save_checkpoint(checkpoint_path(cfg), net, meta_opt, ex::encode_run_state(state));
    saved_at = done();
  }
  // Writes the checkpoint when a multiple of --checkpoint_every meta-steps is done.
  void save_if_due() {
    if (done() % cfg.checkpoint_every == 0) save();
  }
};

// The meta-steps of the current epoch from state.step on.
void train(Run& r, ex::Progress& progress) {
  const Config& cfg = r.cfg;
  r.net.train();
  while (r.state.step < cfg.steps) {
    const int64_t epoch = r.state.epoch, step = r.state.step;
    const auto step_start = std::chrono::steady_clock::now();
    const ex::NShotBatch batch = r.db.next("train");
    const int64_t task_num = batch.x_spt.size(0);
    // set_to_none: a resumed run, whose parameters start without a .grad, then accumulates the
    // meta-gradient exactly as the uninterrupted run does.
    r.meta_opt.zero_grad(/*set_to_none=*/true);
    // The mean query loss of the adapted networks, differentiated back to the initial parameters.
    const TaskResults results = run_tasks(r.net, batch, /*training=*/true, cfg);
    r.meta_opt.step();
    r.state.train_seconds += ex::seconds_since(step_start);
    const double loss = mg::stack(results.losses).mean().item<double>();
    double acc_sum = 0.0;
    for (double a : results.accs) acc_sum += a;
    const double acc = 100.0 * acc_sum / static_cast<double>(task_num);
    progress.step({epoch + 1, cfg.epochs, step + 1, cfg.steps, loss, acc});
    r.state.log.push_back(
        {epoch + static_cast<double>(step) / cfg.steps, "train", loss, acc, r.elapsed()});
    r.state.step = step + 1;
    // The checkpoint after an epoch's last meta-step is written after the epoch's test.
    if (r.state.step < cfg.steps) r.save_if_due();
  }
}

// Meta-test on held-out classes: adapt to each support set, score the query set (no
// meta-update). As in the tutorial, BatchNorm uses batch statistics (train mode).
void test(Run& r, int64_t epoch) {
  const Config& cfg = r.cfg;
  r.net.train();
  double loss_sum = 0.0, acc_sum = 0.0;
  int64_t tasks = 0;
  for (int64_t step = 0; step < cfg.test_steps; ++step) {
    const ex::NShotBatch batch = r.db.next("test");
    const int64_t task_num = batch.x_spt.size(0);
    const TaskResults results = run_tasks(r.net, batch, /*training=*/false, cfg);
    for (int64_t i = 0; i < task_num; ++i, ++tasks) {
      loss_sum += results.losses[static_cast<size_t>(i)].item<double>();
      acc_sum += results.accs[static_cast<size_t>(i)];
    }
  }
  ex::report_test(epoch, loss_sum / tasks, 100.0 * acc_sum / tasks, tasks, r.elapsed(),
                  r.state.log);
}

// Before anything is loaded: --resume needs the checkpoint, written with this run's options.
void check_resumable(const Config& cfg) {
  const std::string path = checkpoint_path(cfg);
  MG_CHECK(std::filesystem::is_regular_file(path),
           "{}: --resume: there is no checkpoint '{}'; run without --resume to start a new run",
           kProgram, path);
  const ex::FewShotRunState saved =
      ex::decode_run_state(mg::read_checkpoint_extra(path), kProgram, path);
  ex::check_resume_options(saved.options, trajectory_options(cfg), kProgram, path);
}

// Continues `r` from its checkpoint: the network, Adam, the sampler's and the default generator's
// positions, the epoch, the next meta-step and the log.
void resume(Run& r) {
  const std::string path = checkpoint_path(r.cfg);
  r.state = ex::decode_run_state(mg::load_checkpoint(path, r.net, r.meta_opt), kProgram, path);
  MG_CHECK(r.state.step < r.cfg.steps, "{}: checkpoint '{}': step {} is not below --steps {}",
           kProgram, path, r.state.step, r.cfg.steps);
  r.db.set_rng(r.state.sampler);
  mg::default_generator().set_state(r.state.generator);
  r.time_offset = r.state.log.empty() ? 0.0 : r.state.log.back().time;
  r.saved_at = r.done();
  fmt::print("resumed from {}: epoch {}, meta-step {} ({} meta-steps done)\n", path,
             r.state.epoch + 1, r.state.step + 1, r.done());
}

// The meta-training job (on this rank, with --distributed).
void run_job(const Config& cfg) {
  const ex::ThreadChoice threads = ex::use_threads(cfg.threads);
  const mg::Device device = cfg.device;
  ex::make_out_dir(kProgram, cfg.out);
  if (!cfg.checkpoint.empty()) ex::make_out_dir(kProgram, cfg.checkpoint, "--checkpoint");
  if (cfg.resume) check_resumable(cfg);

  mg::manual_seed(cfg.seed);
  const auto t0 = std::chrono::steady_clock::now();

  // 1. The data set.
  ex::OmniglotNShot db = ex::open_few_shot_data(cfg, t0);
  fmt::print(
      "{}-way {}-shot, {} query images per class, {} tasks per meta-batch, {} epochs of {} "
      "meta-steps, {}, on {}\n",
      cfg.n_way, cfg.k_spt, cfg.k_qry, cfg.task_num, cfg.epochs, cfg.steps, threads.describe(),
      device.str());
  if (cfg.distributed)
    fmt::print("distributed: {} rank(s) over {}, each with its share of the {} tasks\n",
               dist::world_size(), dist::backend_name(dist::current_group()->backend()),
               cfg.task_num);

  // 2. The network and the meta-optimizer.
  nn::Sequential net = ex::make_few_shot_net(cfg.n_way);
  net.to(device);
  mg::Adam meta_opt(net.parameters(), {.lr = kOuterLr});

  // 3. Meta-train and meta-test (or continue from the checkpoint).
  Run r{.cfg = cfg, .db = db, .net = net, .meta_opt = meta_opt, .t0 = t0};
  r.state.options = trajectory_options(cfg);
  if (cfg.resume) {
    resume(r);
  } else {
    test(r, -1);
  }
  ex::Progress progress(std::max<int64_t>(cfg.epochs * cfg.steps - r.done(), 0));
  bool plotted = false;
  while (r.state.epoch < cfg.epochs) {
    train(r, progress);
    progress.break_line();
    test(r, r.state.epoch);
    if (cfg.distributed) check_replicas(net, r.state.epoch);
    r.state.epoch += 1;
    r.state.step = 0;
    if (dist::rank() == 0)
      ex::write_few_shot_run(r.state.log, cfg, "MAML", "maml",
                             kProgram);  // 4. Plot (after every epoch).
    plotted = true;
    r.save_if_due();
  }
  if (!plotted && dist::rank() == 0)
    ex::write_few_shot_run(r.state.log, cfg, "MAML", "maml", kProgram);
  if (r.saved_at != r.done()) r.save();  // the checkpoint at the end of training
  const double train_seconds = r.state.train_seconds;
  fmt::print(
      "final held-out accuracy {:.2f}% | {:.3f} s per meta-step ({} tasks) | meta-training "
      "{} | total {}\n",
      r.state.log.back().acc, r.done() > 0 ? train_seconds / static_cast<double>(r.done()) : 0.0,
      cfg.task_num, ex::format_duration(train_seconds), ex::format_duration(r.elapsed()));
  ex::print_written(cfg.out, "maml-accs.svg", "maml-log.csv");
  if (!cfg.checkpoint.empty()) fmt::print("checkpoint: {}\n", checkpoint_path(cfg));
}

// With --distributed each rank gets an equal share of the cores unless --threads says otherwise,
// and only rank 0 prints.
void run(Config cfg) {
  complete(cfg);
  if (!cfg.distributed) return run_job(cfg);
  dist::ProcessGroup group = dist::init();
  if (cfg.threads == 0) {
    const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    const int ranks_here = local != nullptr ? std::max(1, std::atoi(local)) : group.world_size();
    cfg.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / ranks_here);
  }
  if (group.rank() != 0 && std::freopen("/dev/null", "w", stdout) == nullptr)
    throw mg::Error(fmt::format("{}: rank {} cannot silence its output", kProgram, group.rank()));
  group.guard([&] { run_job(cfg); });
  group.finalize();
}

}  // namespace

int main(int argc, char** argv) { return ex::run_example(kProgram, argc, argv, add_options, run); }
