// The imbalanced, label-noisy split of the L2R example, on pools whose images name their pool
// index and class: sizes, labels, balance, disjoint sets, the flipped labels, determinism, errors.
#include "examples/common/imbalanced_split.hpp"

#include <set>
#include <vector>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;
using namespace metagrad::examples;

namespace {

// `per_class` examples of each of `classes` classes (interleaved); image i is 2 x 2 with pixel 0
// = first_id + i and pixel 1 = its class.
LabeledImages tagged_pool(int64_t classes, int64_t per_class, int64_t first_id) {
  const int64_t n = classes * per_class;
  LabeledImages pool{empty({n, 1, 2, 2}, kFloat32), empty({n}, kInt64)};
  float* x = pool.images.data_ptr<float>();
  int64_t* y = pool.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    y[i] = i % classes;
    x[4 * i] = static_cast<float>(first_id + i);
    x[4 * i + 1] = static_cast<float>(y[i]);
    x[4 * i + 2] = x[4 * i + 3] = 0.5f;
  }
  return pool;
}

struct Example {
  int64_t id, cls;
  float label;
};

std::vector<Example> decode(const BinarySet& set) {
  const std::vector<float> x = set.x.to_vector<float>(), y = set.y.to_vector<float>();
  std::vector<Example> out;
  for (size_t i = 0; i < y.size(); ++i)
    out.push_back({static_cast<int64_t>(x[4 * i]), static_cast<int64_t>(x[4 * i + 1]), y[i]});
  return out;
}

// Counts the examples of class `cls`, checking each label: 1 for `major`, 0 otherwise.
int64_t count_class(const std::vector<Example>& set, int64_t cls, int64_t major) {
  int64_t n = 0;
  for (const Example& e : set) {
    if (e.cls != cls) continue;
    ++n;
    CHECK(e.label == (cls == major ? 1.0f : 0.0f));
  }
  return n;
}

}  // namespace

TEST_CASE("make_imbalanced_split draws imbalanced training, clean balanced validation and test",
          "[examples][l2r]") {
  const LabeledImages train_pool = tagged_pool(3, 40, 0), test_pool = tagged_pool(3, 12, 1000);
  const ImbalancedSplitOptions options{.majority_class = 2,
                                       .minority_class = 0,
                                       .train_size = 30,
                                       .ratio = 0.9,
                                       .val_per_class = 4,
                                       .test_per_class = 6,
                                       .seed = 7};
  const ImbalancedSplit split = make_imbalanced_split(train_pool, test_pool, options);
  CHECK(split.train_majority == 27);
  CHECK(split.train_minority == 3);
  CHECK(split.flipped == 0);
  REQUIRE(split.train.x.shape() == Dims{30, 1, 2, 2});
  REQUIRE(split.val.x.shape() == Dims{8, 1, 2, 2});
  REQUIRE(split.test.x.shape() == Dims{12, 1, 2, 2});
  CHECK(split.train.y.dtype() == kFloat32);

  const auto train = decode(split.train), val = decode(split.val), test = decode(split.test);
  CHECK(count_class(train, 2, 2) == 27);
  CHECK(count_class(train, 0, 2) == 3);
  CHECK(count_class(val, 2, 2) == 4);
  CHECK(count_class(val, 0, 2) == 4);
  CHECK(count_class(test, 2, 2) == 6);
  CHECK(count_class(test, 0, 2) == 6);
  CHECK(count_class(train, 1, 2) + count_class(val, 1, 2) + count_class(test, 1, 2) == 0);

  // Distinct examples; validation and training disjoint; test examples from the test pool.
  std::set<int64_t> ids;
  for (const auto& set : {train, val}) {
    for (const Example& e : set) {
      CHECK(e.id < 1000);
      ids.insert(e.id);
    }
  }
  CHECK(ids.size() == 38);
  std::set<int64_t> test_ids;
  for (const Example& e : test) {
    CHECK(e.id >= 1000);
    test_ids.insert(e.id);
  }
  CHECK(test_ids.size() == 12);

  // Shuffled: the three minority examples are not all at the end of the training set.
  int64_t minority_in_last_three = 0;
  for (size_t i = 27; i < 30; ++i) minority_in_last_three += train[i].cls == 0;
  CHECK(minority_in_last_three < 3);
}

TEST_CASE("make_imbalanced_split flips the asked fraction of training labels only",
          "[examples][l2r]") {
  const LabeledImages pool = tagged_pool(2, 60, 0);
  const ImbalancedSplit split = make_imbalanced_split(pool, pool,
                                                      {.majority_class = 1,
                                                       .minority_class = 0,
                                                       .train_size = 40,
                                                       .ratio = 0.75,
                                                       .noise = 0.2,
                                                       .val_per_class = 5,
                                                       .test_per_class = 5,
                                                       .seed = 3});
  CHECK(split.flipped == 8);
  int64_t flipped = 0;
  for (const Example& e : decode(split.train)) flipped += e.label != (e.cls == 1 ? 1.0f : 0.0f);
  CHECK(flipped == 8);
  for (const auto& set : {split.val, split.test})
    for (const Example& e : decode(set)) CHECK(e.label == (e.cls == 1 ? 1.0f : 0.0f));
}

TEST_CASE("make_imbalanced_split is deterministic in the seed", "[examples][l2r]") {
  const LabeledImages pool = tagged_pool(2, 50, 0);
  ImbalancedSplitOptions options{.train_size = 30,
                                 .ratio = 0.8,
                                 .noise = 0.1,
                                 .val_per_class = 3,
                                 .test_per_class = 10,
                                 .seed = 11};
  const ImbalancedSplit a = make_imbalanced_split(pool, pool, options);
  const ImbalancedSplit b = make_imbalanced_split(pool, pool, options);
  CHECK(a.train.x.to_vector<float>() == b.train.x.to_vector<float>());
  CHECK(a.train.y.to_vector<float>() == b.train.y.to_vector<float>());
  CHECK(a.val.x.to_vector<float>() == b.val.x.to_vector<float>());
  CHECK(a.test.x.to_vector<float>() == b.test.x.to_vector<float>());
  options.seed = 12;
  const ImbalancedSplit c = make_imbalanced_split(pool, pool, options);
  CHECK(a.train.x.to_vector<float>() != c.train.x.to_vector<float>());
}

TEST_CASE("make_imbalanced_split rejects bad options", "[examples][l2r]") {
  const LabeledImages pool = tagged_pool(2, 20, 0);
  const auto split = [&](ImbalancedSplitOptions o) { return make_imbalanced_split(pool, pool, o); };
  CHECK_THROWS_WITH(split({.majority_class = 1, .minority_class = 1}),
                    MG_CONTAINS("two different labels >= 0, got 1 and 1"));
  CHECK_THROWS_WITH(split({.ratio = 0.4}), MG_CONTAINS("must be in [0.5, 1], got 0.4"));
  CHECK_THROWS_WITH(split({.noise = 1.5}), MG_CONTAINS("must be in [0, 1], got 1.5"));
  CHECK_THROWS_WITH(split({.train_size = 0}), MG_CONTAINS("train_size (0)"));
  // 20 examples of class 0 (the majority by default): 10 validation + 10 training are too many
  // with ratio 0.9 of 12 (11 majority).
  CHECK_THROWS_WITH(split({.train_size = 12, .ratio = 0.9, .val_per_class = 10}),
                    MG_CONTAINS("the training pool has 20 examples of class 0, 21 needed"));
  CHECK_THROWS_WITH(split({.train_size = 4, .val_per_class = 2, .test_per_class = 21}),
                    MG_CONTAINS("the test pool has 20 examples of class 0, 21 needed"));
  CHECK_THROWS_WITH(
      split({.majority_class = 0, .minority_class = 5, .train_size = 4, .val_per_class = 2}),
      MG_CONTAINS("has 0 examples of class 5"));
  LabeledImages wrong{zeros({4, 2, 2}), zeros({4}, kInt64)};
  CHECK_THROWS_WITH(make_imbalanced_split(wrong, pool, {}),
                    MG_CONTAINS("the training pool must hold float32 images [N, C, H, W]"));
}
