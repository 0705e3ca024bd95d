#include "examples/common/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace metagrad::examples {

std::string format_duration(double seconds) {
  const auto total = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  const int64_t h = total / 3600, m = total / 60 % 60, s = total % 60;
  if (h > 0) return fmt::format("{}h{:02}m{:02}s", h, m, s);
  if (m > 0) return fmt::format("{}m{:02}s", m, s);
  return fmt::format("{}s", s);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string format_progress(const ProgressInfo& info, int64_t done, int64_t total,
                            double elapsed_s) {
  std::string rate = "-- steps/s", eta = "--";
  if (done > 0 && elapsed_s > 0) {
    const double per_second = static_cast<double>(done) / elapsed_s;
    rate = fmt::format("{:.2f} steps/s", per_second);
    eta = format_duration(static_cast<double>(std::max<int64_t>(total - done, 0)) / per_second);
  }
  const std::string acc = info.show_acc ? fmt::format(" | acc {:.2f}%", info.acc) : "";
  return fmt::format("epoch {}/{} step {}/{} | loss {:.3f}{} | {} | ETA {}", info.epoch,
                     info.epochs, info.step, info.steps, info.loss, acc, rate, eta);
}

Progress::Progress(int64_t total_steps, std::FILE* out, std::optional<bool> tty,
                   int64_t plain_every)
    : total_(total_steps),
      out_(out),
      tty_(tty.value_or(isatty(fileno(out)) != 0)),
      plain_every_(std::max<int64_t>(plain_every, 1)),
      start_(std::chrono::steady_clock::now()) {}

void Progress::step(const ProgressInfo& info) {
  ++done_;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::string line = format_progress(info, done_, total_, elapsed);
  if (tty_) {
    // "\x1b[K" clears what a longer previous line left on the right.
    fmt::print(out_, "\r{}\x1b[K", line);
    open_line_ = true;
  } else if (info.step % plain_every_ == 0 || info.step == info.steps || info.step == 1) {
    fmt::print(out_, "{}\n", line);
  }
  std::fflush(out_);
}

void Progress::break_line() {
  if (open_line_) {
    fmt::print(out_, "\n");
    std::fflush(out_);
  }
  open_line_ = false;
}

}  // namespace metagrad::examples
