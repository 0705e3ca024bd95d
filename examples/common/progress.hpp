#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

// A training progress line: epoch, step, loss, accuracy, steps per second and the estimated time
// left. On a terminal one line is rewritten in place ('\r'); otherwise (a pipe, a log file) plain
// lines are printed, at most one every `plain_every` steps and always for an epoch's last step.

namespace metagrad::examples {

/// What one progress line shows.
struct ProgressInfo {
  int64_t epoch = 0;  // 1-based
  int64_t epochs = 0;
  int64_t step = 0;   // 1-based, within the epoch
  int64_t steps = 0;  // per epoch
  double loss = 0.0;
  double acc = 0.0;      // percent
  bool show_acc = true;  // false: the line has no accuracy part (regression)
};

/// The line for `info` after `done` of `total` steps took `elapsed_s` seconds, e.g.
/// "epoch 2/8 step 37/120 | loss 0.813 | acc 71.20% | 3.41 steps/s | ETA 3m05s" (without the
/// "acc" part when info.show_acc is false).
/// Steps per second is done / elapsed_s; the ETA assumes the same rate for the remaining
/// total - done steps ("--" before the first step).
std::string format_progress(const ProgressInfo& info, int64_t done, int64_t total,
                            double elapsed_s);

/// "1h02m03s", "4m05s" or "6s" for a duration in seconds (negative counts as zero).
std::string format_duration(double seconds);

/// Seconds from `start` to now (steady clock).
double seconds_since(std::chrono::steady_clock::time_point start);

/// Prints progress lines to `out` for a run of `total_steps` steps. Whether `out` is a terminal
/// is found with isatty unless `tty` says.
class Progress {
 public:
  explicit Progress(int64_t total_steps, std::FILE* out = stdout,
                    std::optional<bool> tty = std::nullopt, int64_t plain_every = 10);
  /// Records one more finished step and shows `info`.
  void step(const ProgressInfo& info);
  /// Ends the in-place line on a terminal (a newline), so that other output starts on its own
  /// line. Safe to call at any time and more than once.
  void break_line();
  bool is_tty() const { return tty_; }
  /// Steps recorded so far.
  int64_t done() const { return done_; }

 private:
  int64_t total_;
  std::FILE* out_;
  bool tty_;
  int64_t plain_every_;
  int64_t done_ = 0;
  bool open_line_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace metagrad::examples
