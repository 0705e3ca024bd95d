#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "engine/device.hpp"
#include "engine/tensor.hpp"
#include "examples/common/glyph_bank.hpp"

// The few-shot task sampler of TorchOpt's MAML tutorial (examples/few-shot/helpers/
// omniglot_loaders.py, OmniglotNShot), over the Hershey stand-in or the real Omniglot cache.

namespace metagrad::examples {

/// Which characters OmniglotNShot samples from.
enum class GlyphSource {
  /// Rendered Hershey fonts (root: the folder of .jhf files, /usr/share/hershey-fonts).
  hershey,
  /// root/omniglot.npy as TorchOpt's tutorial caches it (see load_omniglot_npy).
  omniglot,
};

/// One batch of tasks. For `batchsz` tasks of n_way classes: x_spt float32 [batchsz, n_way *
/// k_shot, 1, imgsz, imgsz], y_spt int64 [batchsz, n_way * k_shot], x_qry float32 [batchsz,
/// n_way * k_query, 1, imgsz, imgsz], y_qry int64 [batchsz, n_way * k_query]. Labels are in
/// [0, n_way): label j is the task's j-th sampled class in both the support and the query set;
/// each set is shuffled on its own.
struct NShotBatch {
  Tensor x_spt, y_spt, x_qry, y_qry;
};

/// Samples N-way K-shot tasks as the tutorial's loader: for each task, n_way distinct classes of
/// the split, and for each class k_shot + k_query distinct drawers (support first); then the
/// support and the query set are shuffled. Meta-training and meta-test classes are disjoint.
///
///   auto db = OmniglotNShot(kHersheyFontDir, 32, 5, 1, 15, 28, std::mt19937_64(1), kCPU);
///   auto [x_spt, y_spt, x_qry, y_qry] = db.next("train");
class OmniglotNShot {
 public:
  /// The tutorial's constructor. Hershey data is rendered at imgsz with the default
  /// HersheySplitOptions; Omniglot data must have imgsz x imgsz images. Throws metagrad::Error for
  /// sizes below 1, k_shot + k_query above the drawers per class, n_way above the classes of a
  /// split, or data that cannot be loaded (see load_hershey_dir, load_omniglot_npy).
  OmniglotNShot(const std::string& root, int64_t batchsz, int64_t n_way, int64_t k_shot,
                int64_t k_query, int64_t imgsz, std::mt19937_64 rng, Device device = kCPU,
                GlyphSource source = GlyphSource::hershey);
  /// Samples from an already built split (its images must be imgsz x imgsz), with the checks
  /// above.
  OmniglotNShot(GlyphSplit data, int64_t batchsz, int64_t n_way, int64_t k_shot, int64_t k_query,
                int64_t imgsz, std::mt19937_64 rng, Device device = kCPU);

  /// A new batch of tasks from "train" or "test" (throws for another mode), on the device.
  NShotBatch next(std::string_view mode = "train");

  /// The sampler's random engine. Its state is the sampler's whole position (the data and the
  /// sizes are fixed by the constructor), so a sampler given it back with set_rng draws the same
  /// tasks from there on.
  const std::mt19937_64& rng() const { return rng_; }
  /// Moves the sampler to the position `rng` (a copy of what rng() returned).
  void set_rng(const std::mt19937_64& rng) { rng_ = rng; }

  const GlyphBank& train_set() const { return data_.train; }
  const GlyphBank& test_set() const { return data_.test; }
  int64_t batchsz() const { return batchsz_; }
  int64_t n_way() const { return n_way_; }
  int64_t k_shot() const { return k_shot_; }
  int64_t k_query() const { return k_query_; }

 private:
  void check() const;

  GlyphSplit data_;
  int64_t batchsz_, n_way_, k_shot_, k_query_, imgsz_;
  std::mt19937_64 rng_;
  Device device_;
};

}  // namespace metagrad::examples
