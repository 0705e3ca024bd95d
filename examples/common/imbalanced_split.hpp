#pragma once

#include <cstdint>

#include "engine/tensor.hpp"
#include "examples/common/fashion_mnist.hpp"

// The binary, class-imbalanced and optionally label-noisy training set of the Learning to
// Reweight experiment (Ren et al. 2018; TorchOpt's examples/L2R get_imbalance_dataset), with a
// small clean balanced validation set and a balanced test set.

namespace metagrad::examples {

/// How make_imbalanced_split draws the sets.
struct ImbalancedSplitOptions {
  /// The class that gets label 1 and most of the training set, and the one that gets label 0.
  int64_t majority_class = 0;
  int64_t minority_class = 1;
  /// Training examples, and the fraction of them from the majority class (the rest, rounded,
  /// from the minority class).
  int64_t train_size = 5000;
  double ratio = 0.995;
  /// Fraction of the training labels flipped (chosen uniformly, rounded); validation and test
  /// labels stay clean.
  double noise = 0.0;
  /// Clean validation examples per class (drawn from the training pool, disjoint from the
  /// training set) and test examples per class (from the test pool).
  int64_t val_per_class = 10;
  int64_t test_per_class = 500;
  uint64_t seed = 1;
};

/// Images x float32 [N, 1, H, W] with binary labels y float32 [N] (1: majority class).
struct BinarySet {
  Tensor x;
  Tensor y;
};

/// The three sets and what went into the training set.
struct ImbalancedSplit {
  BinarySet train, val, test;
  int64_t train_majority = 0, train_minority = 0;
  /// Training labels flipped by the noise.
  int64_t flipped = 0;
};

/// Draws the sets from `train_pool` (training and validation examples) and `test_pool` (test
/// examples), deterministically from options.seed and independently of the standard library.
/// Each class's pool examples are shuffled; validation takes the first val_per_class, training
/// the following ones; training and test sets are shuffled. Throws metagrad::Error when a class
/// is outside the pools' labels or both classes are equal, when ratio is not in [0.5, 1], noise
/// not in [0, 1], a size is negative (train_size and val_per_class must be at least 1), or a
/// class has too few examples in a pool for the sizes asked.
ImbalancedSplit make_imbalanced_split(const LabeledImages& train_pool,
                                      const LabeledImages& test_pool,
                                      const ImbalancedSplitOptions& options);

}  // namespace metagrad::examples
