#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "engine/random/generator.hpp"
#include "examples/common/few_shot.hpp"

// What a few-shot meta-training example (maml_omniglot) keeps in its training checkpoint besides
// the network and the meta-optimizer (save_checkpoint's `extra` strings): where the run stands,
// the positions of the task sampler and of the default generator, the log so far and the options
// that fix the run's trajectory. Every value round-trips exactly, so that a resumed run continues
// bit for bit.

namespace metagrad::examples {

/// Where a few-shot meta-training run stands between two meta-steps.
struct FewShotRunState {
  /// The epoch (0-based) and the meta-step within it that run next. Step 0 of epoch E comes after
  /// the evaluation that ends epoch E - 1 (or the one before meta-training, for E = 0).
  int64_t epoch = 0, step = 0;
  /// The task sampler's random engine (OmniglotNShot::rng).
  std::mt19937_64 sampler;
  /// The default generator's position (default_generator().state()).
  GeneratorState generator;
  /// The log rows so far.
  std::vector<FewShotLogEntry> log;
  /// Seconds spent in meta-training steps so far.
  double train_seconds = 0.0;
  /// The options that fix the trajectory, by flag name without dashes ("n_way" -> "5").
  std::map<std::string, std::string> options;
};

/// The checkpoint strings of `state`: "epoch", "step", "sampler" (the engine's state as its
/// operator<< writes it), "generator" ("<seed> <offset>"), "log" (a line per row,
/// "epoch,mode,loss,acc,time" with each number in its shortest exact form), "train_seconds" and
/// "option.<name>" for each option.
std::map<std::string, std::string> encode_run_state(const FewShotRunState& state);

/// The state that encode_run_state stored in `extra`, bit for bit. Throws metagrad::Error
/// "<program>: checkpoint '<path>': <what is wrong>" for a missing or malformed entry.
FewShotRunState decode_run_state(const std::map<std::string, std::string>& extra,
                                 std::string_view program, const std::string& path);

/// Checks that a run with the options `current` may resume from the checkpoint `path` written
/// with the options `saved`: throws metagrad::Error "<program>: cannot resume from '<path>': it
/// was written with --<name> <saved value> but this run has --<name> <current value>; ..." for
/// the first option whose values differ ("(none)" for an option missing on one side).
void check_resume_options(const std::map<std::string, std::string>& saved,
                          const std::map<std::string, std::string>& current,
                          std::string_view program, const std::string& path);

}  // namespace metagrad::examples
