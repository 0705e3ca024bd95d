#include "examples/common/few_shot.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "engine/grad_mode.hpp"
#include "engine/io/atomic_file.hpp"
#include "engine/ops.hpp"
#include "examples/common/svg_plot.hpp"

namespace metagrad::examples {

nn::Sequential make_few_shot_net(int64_t n_way, bool track_running_stats) {
  const nn::BatchNormOptions bn{
      .momentum = 1.0, .affine = true, .track_running_stats = track_running_stats};
  return nn::Sequential(nn::Conv2d(1, 64, 3), nn::BatchNorm2d(64, bn), nn::ReLU(),
                        nn::MaxPool2d(2, 2), nn::Conv2d(64, 64, 3), nn::BatchNorm2d(64, bn),
                        nn::ReLU(), nn::MaxPool2d(2, 2), nn::Conv2d(64, 64, 3),
                        nn::BatchNorm2d(64, bn), nn::ReLU(), nn::MaxPool2d(2, 2), nn::Flatten(),
                        nn::Linear(64, n_way));
}

double top1_accuracy(const Tensor& logits, const Tensor& labels) {
  NoGradGuard no_grad;
  const Tensor predicted = argmax(logits, 1).to(labels.device());
  return eq(predicted, labels).to(kFloat64).mean().item<double>();
}

void write_few_shot_outputs(const std::vector<FewShotLogEntry>& log, const FewShotOutputs& out) {
  std::string csv = "epoch,mode,loss,acc,time_s\n";
  PlotSeries train{.label = "Train"}, test{.label = "Test", .markers = true};
  double lowest = 100.0;
  for (const FewShotLogEntry& e : log) {
    csv += fmt::format("{:.4f},{},{:.6f},{:.4f},{:.3f}\n", e.epoch, e.mode, e.loss, e.acc, e.time);
    PlotSeries& s = e.mode == "train" ? train : test;
    s.x.push_back(e.epoch);
    s.y.push_back(e.acc);
    lowest = std::min(lowest, e.acc);
  }
  const std::filesystem::path dir(out.dir);
  write_file_atomically((dir / out.csv_name).string(), csv, out.program);
  write_svg_plot((dir / out.svg_name).string(), {train, test},
                 {.title = out.title,
                  .xlabel = "Epoch",
                  .ylabel = "Accuracy (%)",
                  .x_min = 0.0,
                  .x_max = static_cast<double>(std::max<int64_t>(out.epochs, 1)),
                  .y_min = std::floor(lowest / 10.0) * 10.0,
                  .y_max = 100.0});
}

void report_test(int64_t epoch, double loss, double acc, int64_t tasks, double time_s,
                 std::vector<FewShotLogEntry>& log) {
  fmt::print("[Epoch {:.2f}] Test Loss: {:.3f} | Acc: {:.2f}% ({} tasks of held-out classes)\n",
             static_cast<double>(epoch + 1), loss, acc, tasks);
  std::fflush(stdout);
  log.push_back({static_cast<double>(epoch + 1), "test", loss, acc, time_s});
}

}  // namespace metagrad::examples
