#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/nn/layers.hpp"
#include "engine/tensor.hpp"

// What the few-shot classification examples (maml_omniglot, imaml_omniglot) share: the network of
// TorchOpt's tutorial, query accuracy, a log row per meta-step and per evaluation, the CSV log and
// the accuracy plot.

namespace metagrad::examples {

/// The tutorial's network for 1 x 28 x 28 images: 3 x [Conv(64, 3) + BatchNorm(momentum 1, affine)
/// + ReLU + MaxPool(2)], Flatten, Linear(64, n_way) (28 -> 26 -> 13 -> 11 -> 5 -> 3 -> 1).
/// `track_running_stats` is the BatchNorm option (TorchOpt's iMAML example turns it off).
nn::Sequential make_few_shot_net(int64_t n_way, bool track_running_stats = true);

/// Fraction of rows of logits [N, C] whose largest entry is at the label (int64 [N]); the first
/// largest entry wins ties. Reads the values only (no graph).
double top1_accuracy(const Tensor& logits, const Tensor& labels);

/// One row of a few-shot log: a meta-training step ("train", at epoch + step / steps) or an
/// evaluation on held-out tasks ("test", at a whole epoch), with the mean query loss, the
/// accuracy in percent and the seconds since the start.
struct FewShotLogEntry {
  double epoch;
  std::string mode;
  double loss, acc, time;
};

/// Where and how write_few_shot_outputs writes.
struct FewShotOutputs {
  /// The folder (it must exist) and the two file names in it.
  std::string dir, csv_name, svg_name;
  /// The plot's title and the epochs its x axis spans (at least 1 is shown).
  std::string title;
  int64_t epochs = 1;
  /// The program named by a write error.
  std::string program;
};

/// Writes the log as CSV ("epoch,mode,loss,acc,time_s" and a row per entry) and the plot of the
/// train accuracy per meta-step and the test accuracy per epoch (dots), y from the lowest
/// accuracy's multiple of 10 up to 100. Both files are replaced atomically; throws metagrad::Error
/// when one cannot be written.
void write_few_shot_outputs(const std::vector<FewShotLogEntry>& log, const FewShotOutputs& out);

/// Prints "[Epoch E.00] Test Loss: L | Acc: A% (N tasks of held-out classes)" for the evaluation
/// after `epoch` (0-based; -1 before meta-training), flushes stdout, and appends its log row.
void report_test(int64_t epoch, double loss, double acc, int64_t tasks, double time_s,
                 std::vector<FewShotLogEntry>& log);

}  // namespace metagrad::examples
