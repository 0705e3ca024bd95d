#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/device.hpp"
#include "examples/common/cli.hpp"
#include "examples/common/few_shot.hpp"
#include "examples/common/omniglot_nshot.hpp"

// The command line, data set and output files that the few-shot Omniglot examples
// (maml_omniglot, imaml_omniglot) share.

namespace metagrad::examples {

/// The options of a few-shot Omniglot run, with the tutorial's defaults. A program's own
/// configuration derives from it and adds its options.
struct FewShotConfig {
  int64_t n_way = 5, k_spt = 1, k_qry = 15, task_num = 4;
  int64_t epochs = 12, steps = 100, test_steps = 15;
  uint64_t seed = 1;
  Device device = kCPU;
  std::string data = "hershey", root, out = ".";
  int threads = 0;  // 0: auto (see auto_threads)
};

/// Adds the shared options to `o`, stored into `c`: --n_way, --k_spt, --k_qry, --task_num,
/// --epochs, --steps, --test_steps, --seed, --device, --data, --root, --threads and --out, whose
/// help names the files FILES_PREFIX-accs.svg and FILES_PREFIX-log.csv.
void add_few_shot_options(Options& o, FewShotConfig& c, std::string_view files_prefix);

/// Checks --data (hershey or omniglot; the error names `program`) and fills in its default
/// --root.
void complete_few_shot_options(FewShotConfig& c, std::string_view program);

/// "Hershey glyphs" or "Omniglot": the data set of `c` in titles.
std::string_view data_title(const FewShotConfig& c);

/// The task sampler over the data set of `c` (seeded with c.seed, on c.device), after printing
/// where the data came from, its classes and images, and the seconds since `start`.
OmniglotNShot open_few_shot_data(const FewShotConfig& c,
                                 std::chrono::steady_clock::time_point start);

/// Writes `log` as FILES_PREFIX-log.csv and FILES_PREFIX-accs.svg in c.out
/// (write_few_shot_outputs), the plot titled "METHOD DATA (N-way K-shot)"; write errors name
/// `program`.
void write_few_shot_run(const std::vector<FewShotLogEntry>& log, const FewShotConfig& c,
                        std::string_view method, std::string_view files_prefix,
                        std::string_view program);

}  // namespace metagrad::examples
