#include "examples/common/few_shot_options.hpp"

#include <fmt/core.h>

#include <random>

#include "engine/error.hpp"
#include "examples/common/hershey.hpp"
#include "examples/common/progress.hpp"
#include "examples/common/threads.hpp"

namespace metagrad::examples {
namespace {

constexpr const char* kOmniglotRoot = "/tmp/omniglot-data";

}  // namespace

void add_few_shot_options(Options& o, FewShotConfig& c, std::string_view files_prefix) {
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
              "cpu or cuda: where the networks, the tasks and the optimizer state live (cpu)",
              c.device)
      .text("--data", "SRC", "hershey (rendered glyphs) or omniglot (ROOT/omniglot.npy) (hershey)",
            c.data)
      .text("--root", "DIR",
            fmt::format("data folder (hershey: {}; omniglot: {})", kHersheyFontDir, kOmniglotRoot),
            c.root)
      .integer("--threads", "N", kAutoThreadsHelp, c.threads, 1)
      .text("--out", "DIR", fmt::format("where {0}-accs.svg and {0}-log.csv go (.)", files_prefix),
            c.out);
}

void complete_few_shot_options(FewShotConfig& c, std::string_view program) {
  MG_CHECK(c.data == "hershey" || c.data == "omniglot",
           "{}: --data must be hershey or omniglot, got '{}'", program, c.data);
  if (c.root.empty()) c.root = c.data == "hershey" ? kHersheyFontDir : kOmniglotRoot;
}

std::string_view data_title(const FewShotConfig& c) {
  return c.data == "hershey" ? "Hershey glyphs" : "Omniglot";
}

OmniglotNShot open_few_shot_data(const FewShotConfig& c,
                                 std::chrono::steady_clock::time_point start) {
  OmniglotNShot db(c.root, c.task_num, c.n_way, c.k_spt, c.k_qry, 28, std::mt19937_64(c.seed),
                   c.device, c.data == "hershey" ? GlyphSource::hershey : GlyphSource::omniglot);
  fmt::print(
      "data: {} from {}: {} meta-training classes, {} held-out meta-test classes, {} "
      "images each ({:.1f} s)\n",
      c.data == "hershey" ? "Hershey glyphs" : "omniglot.npy", c.root, db.train_set().num_classes(),
      db.test_set().num_classes(), db.train_set().drawers, seconds_since(start));
  return db;
}

void write_few_shot_run(const std::vector<FewShotLogEntry>& log, const FewShotConfig& c,
                        std::string_view method, std::string_view files_prefix,
                        std::string_view program) {
  write_few_shot_outputs(
      log, {.dir = c.out,
            .csv_name = fmt::format("{}-log.csv", files_prefix),
            .svg_name = fmt::format("{}-accs.svg", files_prefix),
            .title = fmt::format("{} {} ({}-way {}-shot)", method, data_title(c), c.n_way, c.k_spt),
            .epochs = c.epochs,
            .program = std::string(program)});
}

}  // namespace metagrad::examples
