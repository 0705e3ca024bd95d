#include "examples/common/imbalanced_split.hpp"

#include <cmath>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "engine/error.hpp"
#include "engine/ops.hpp"
#include "examples/common/sampling.hpp"

namespace metagrad::examples {

namespace {

// Fisher-Yates with uniform_index.
template <typename T>
void shuffle(std::vector<T>& items, std::mt19937_64& rng) {
  const auto n = static_cast<int64_t>(items.size());
  for (int64_t i = 0; i + 1 < n; ++i) std::swap(items[i], items[i + uniform_index(rng, n - i)]);
}

// Indices of the pool's examples of class `cls`, shuffled; throws unless there are `needed`.
std::vector<int64_t> shuffled_class(const LabeledImages& pool, int64_t cls, int64_t needed,
                                    std::mt19937_64& rng, const char* pool_name) {
  std::vector<int64_t> found;
  const int64_t* labels = pool.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < pool.labels.size(0); ++i)
    if (labels[i] == cls) found.push_back(i);
  MG_CHECK(static_cast<int64_t>(found.size()) >= needed,
           "make_imbalanced_split: the {} pool has {} examples of class {}, {} needed", pool_name,
           found.size(), cls, needed);
  shuffle(found, rng);
  return found;
}

struct Pick {
  int64_t index;
  float label;
};

BinarySet gather(const LabeledImages& pool, const std::vector<Pick>& picks) {
  const Dims& shape = pool.images.shape();
  const int64_t n = static_cast<int64_t>(picks.size()), area = shape[1] * shape[2] * shape[3];
  BinarySet set{empty({n, shape[1], shape[2], shape[3]}, kFloat32), empty({n}, kFloat32)};
  const Tensor images = pool.images.contiguous();
  const float* src = images.data_ptr<float>();
  float* x = set.x.data_ptr<float>();
  float* y = set.y.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(x + i * area, src + picks[i].index * area, sizeof(float) * area);
    y[i] = picks[i].label;
  }
  return set;
}

void check_pool(const LabeledImages& pool, const char* name) {
  MG_CHECK(pool.images.dim() == 4 && pool.images.dtype() == kFloat32 && pool.labels.dim() == 1 &&
               pool.labels.dtype() == kInt64 && pool.labels.size(0) == pool.images.size(0),
           "make_imbalanced_split: the {} pool must hold float32 images [N, C, H, W] and int64 "
           "labels [N]; got {} {} and {} {}",
           name, dtype_name(pool.images.dtype()), shape_str(pool.images.shape()),
           dtype_name(pool.labels.dtype()), shape_str(pool.labels.shape()));
}

}  // namespace

ImbalancedSplit make_imbalanced_split(const LabeledImages& train_pool,
                                      const LabeledImages& test_pool,
                                      const ImbalancedSplitOptions& o) {
  check_pool(train_pool, "training");
  check_pool(test_pool, "test");
  MG_CHECK(o.majority_class >= 0 && o.minority_class >= 0 && o.majority_class != o.minority_class,
           "make_imbalanced_split: the classes must be two different labels >= 0, got {} and {}",
           o.majority_class, o.minority_class);
  MG_CHECK(o.ratio >= 0.5 && o.ratio <= 1.0,
           "make_imbalanced_split: ratio (the majority's share of the training set) must be in "
           "[0.5, 1], got {}",
           o.ratio);
  MG_CHECK(o.noise >= 0.0 && o.noise <= 1.0,
           "make_imbalanced_split: noise (the fraction of flipped training labels) must be in "
           "[0, 1], got {}",
           o.noise);
  MG_CHECK(o.train_size >= 1 && o.val_per_class >= 1 && o.test_per_class >= 0,
           "make_imbalanced_split: train_size ({}) and val_per_class ({}) must be at least 1 and "
           "test_per_class ({}) at least 0",
           o.train_size, o.val_per_class, o.test_per_class);

  ImbalancedSplit split;
  split.train_minority = std::llround(static_cast<double>(o.train_size) * (1.0 - o.ratio));
  split.train_majority = o.train_size - split.train_minority;
  std::mt19937_64 rng(o.seed);
  const std::vector<int64_t> major = shuffled_class(
      train_pool, o.majority_class, o.val_per_class + split.train_majority, rng, "training");
  const std::vector<int64_t> minor = shuffled_class(
      train_pool, o.minority_class, o.val_per_class + split.train_minority, rng, "training");

  std::vector<Pick> val, train;
  for (int64_t i = 0; i < o.val_per_class; ++i) val.push_back({major[i], 1.0f});
  for (int64_t i = 0; i < o.val_per_class; ++i) val.push_back({minor[i], 0.0f});
  for (int64_t i = 0; i < split.train_majority; ++i)
    train.push_back({major[o.val_per_class + i], 1.0f});
  for (int64_t i = 0; i < split.train_minority; ++i)
    train.push_back({minor[o.val_per_class + i], 0.0f});
  shuffle(val, rng);
  shuffle(train, rng);
  // Flip the labels of a uniformly chosen subset (the first entries of a shuffled index list).
  split.flipped = std::llround(static_cast<double>(o.train_size) * o.noise);
  std::vector<int64_t> order(train.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  shuffle(order, rng);
  for (int64_t i = 0; i < split.flipped; ++i) train[order[i]].label = 1.0f - train[order[i]].label;

  const std::vector<int64_t> test_major =
      shuffled_class(test_pool, o.majority_class, o.test_per_class, rng, "test");
  const std::vector<int64_t> test_minor =
      shuffled_class(test_pool, o.minority_class, o.test_per_class, rng, "test");
  std::vector<Pick> test;
  for (int64_t i = 0; i < o.test_per_class; ++i) test.push_back({test_major[i], 1.0f});
  for (int64_t i = 0; i < o.test_per_class; ++i) test.push_back({test_minor[i], 0.0f});
  shuffle(test, rng);

  split.train = gather(train_pool, train);
  split.val = gather(train_pool, val);
  split.test = gather(test_pool, test);
  return split;
}

}  // namespace metagrad::examples
