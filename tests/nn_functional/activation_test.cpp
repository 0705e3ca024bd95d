// linear, softmax, log_softmax, dropout and one_hot: values against closed forms, gradcheck and
// gradgradcheck in float64, and the error messages.
#include <cmath>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::randn64;

TEST_CASE("linear computes input @ weight^T + bias over any leading dims", "[functional]") {
  const Tensor x = tensor({1, 2, 3, -1, 0, 4}, {2, 3}, kFloat64);
  const Tensor w = tensor({1, 0, 2, -1, 1, 0.5}, {2, 3}, kFloat64);
  const Tensor b = tensor({0.5, -2}, kFloat64);
  // rows: [1+6, -1+2+1.5] and [-1+8, 1+0+2] plus bias
  CHECK(allclose(linear(x, w, b), tensor({7.5, 0.5, 7.5, 1.0}, {2, 2}, kFloat64)));
  CHECK(allclose(linear(x, w), tensor({7, 2.5, 7, 3}, {2, 2}, kFloat64)));
  CHECK(allclose(linear(x.select(0, 0), w, b), tensor({7.5, 0.5}, kFloat64)));

  const Tensor x3 = randn64({2, 4, 3}, 1).detach();
  const Tensor y3 = linear(x3, w, b);
  REQUIRE(y3.shape() == Dims{2, 4, 2});
  for (int64_t i = 0; i < 2; ++i) CHECK(allclose(y3.select(0, i), linear(x3.select(0, i), w, b)));
}

TEST_CASE("linear takes per-task weights with a leading task dim", "[functional]") {
  const Tensor x = randn64({3, 4, 5}, 2).detach();
  const Tensor w = randn64({3, 2, 5}, 3).detach();
  const Tensor b = randn64({3, 2}, 4).detach();
  const Tensor y = linear(x, w, b);
  REQUIRE(y.shape() == Dims{3, 4, 2});
  for (int64_t task = 0; task < 3; ++task) {
    CHECK(allclose(y.select(0, task),
                   linear(x.select(0, task), w.select(0, task), b.select(0, task))));
  }
  check_grads([](const TensorList& in) { return TensorList{linear(in[0], in[1], in[2])}; },
              {randn64({2, 3, 4}, 5), randn64({2, 2, 4}, 6), randn64({2, 2}, 7)});
}

TEST_CASE("linear gradcheck with bias, without bias, 3-D and non-contiguous", "[functional]") {
  const auto fn = [](const TensorList& in) { return TensorList{linear(in[0], in[1], in[2])}; };
  check_grads(fn, {randn64({3, 4}, 1), randn64({2, 4}, 2), randn64({2}, 3)});
  check_grads(fn, {randn64({2, 3, 4}, 4), noncontiguous(randn64({2, 4}, 5)), randn64({2}, 6)});
  check_grads([](const TensorList& in) { return TensorList{linear(in[0], in[1])}; },
              {noncontiguous(randn64({3, 4}, 7)), randn64({5, 4}, 8)});
  check_grads(fn, {randn64({0, 4}, 9), randn64({2, 4}, 10), randn64({2}, 11)});
  CHECK(linear(zeros({2, 0, 4}), zeros({3, 4})).shape() == Dims{2, 0, 3});
  CHECK(allclose(linear(zeros({2, 2, 0}), zeros({3, 0}), ones({3})), ones({2, 2, 3})));
}

TEST_CASE("linear names both shapes on a mismatch", "[functional]") {
  CHECK_THROWS_WITH(linear(ones({2, 3}), ones({4, 5})),
                    MG_CONTAINS("linear: input shape [2, 3] does not match weight shape [4, 5]"));
  CHECK_THROWS_WITH(
      linear(ones({2, 5}), ones({4, 5}), ones({5})),
      MG_CONTAINS("linear: bias must have shape [4] for weight shape [4, 5], got [5]"));
  CHECK_THROWS_WITH(linear(ones({2, 5}), ones({5})), MG_CONTAINS("linear: weight must be"));
  CHECK_THROWS_WITH(linear(ones({2, 5}), ones({4, 5}, kFloat64)), MG_CONTAINS("linear"));
}

TEST_CASE("softmax sums to one and matches exp / sum along any dim", "[functional]") {
  const Tensor x = randn64({2, 3, 4}, 11).detach();
  for (int64_t dim : {0, 1, 2, -1}) {
    const Tensor s = softmax(x, dim);
    REQUIRE(s.shape() == x.shape());
    CHECK(allclose(s.sum({dim}), ones_like(s.sum({dim}))));
    CHECK(allclose(s, exp(x) / exp(x).sum({dim}, true), 1e-12, 1e-15));
    CHECK(allclose(log_softmax(x, dim), log(exp(x) / exp(x).sum({dim}, true)), 1e-12, 1e-14));
  }
  // hand-computed: softmax([0, ln 3]) = [1/4, 3/4]
  CHECK(
      allclose(softmax(tensor({0.0, std::log(3.0)}, kFloat64), 0), tensor({0.25, 0.75}, kFloat64)));
}

TEST_CASE("softmax and log_softmax stay finite for huge logits", "[functional]") {
  const Tensor x = tensor({1000, 1000 + std::log(3.0), -1000}, kFloat64);
  CHECK(allclose(softmax(x, 0), tensor({0.25, 0.75, 0.0}, kFloat64), 1e-12, 1e-15));
  const auto ls = log_softmax(x, 0).to_vector<double>();
  CHECK(ls[0] == Approx(std::log(0.25)).epsilon(1e-12));
  CHECK(ls[1] == Approx(std::log(0.75)).epsilon(1e-12));
  CHECK(ls[2] == Approx(-2000 - std::log(4.0)).epsilon(1e-12));
  const Tensor xf = tensor({200, 100, 0}, kFloat32);
  CHECK(std::isfinite(log_softmax(xf, 0).to_vector<float>()[2]));
  CHECK(softmax(xf, 0).to_vector<float>()[0] == Approx(1.0f));
}

TEST_CASE("softmax and log_softmax of 0-d and empty tensors", "[functional]") {
  CHECK(softmax(scalar_tensor(3.5, kFloat64), 0).item<double>() == 1.0);
  CHECK(log_softmax(scalar_tensor(3.5, kFloat64), -1).item<double>() == 0.0);
  // One element along the dim, in a tensor of one element or of several rows.
  CHECK(softmax(full({1}, 3.5, kFloat64), 0).item<double>() == 1.0);
  CHECK(log_softmax(full({1, 1}, -2.0, kFloat64), 1).item<double>() == 0.0);
  CHECK(softmax(tensor(std::vector<double>{1.0, -7.0, 2.5}, {3, 1}, kFloat64), 1)
            .to_vector<double>() == std::vector<double>{1.0, 1.0, 1.0});
  // A 1-D tensor along dim -1.
  const Tensor v = tensor(std::vector<double>{1.0, 2.0, 0.5}, {3}, kFloat64);
  CHECK(allclose(log_softmax(v, -1), v - logsumexp(v, {0}), 1e-15, 1e-15));
  CHECK(allclose(softmax(v, -1), exp(v - logsumexp(v, {0})), 1e-15, 1e-15));
  CHECK(softmax(zeros({0, 3}, kFloat64), 1).shape() == Dims{0, 3});
  CHECK(log_softmax(zeros({2, 0}, kFloat64), 1).shape() == Dims{2, 0});
  CHECK_THROWS_WITH(softmax(ones({2, 3}), 2), MG_CONTAINS("softmax"));
  CHECK_THROWS_WITH(log_softmax(ones({2}, kInt64), 0), MG_CONTAINS("log_softmax"));
}

TEST_CASE("softmax and log_softmax gradcheck along a middle dim", "[functional]") {
  const auto sm = [](const TensorList& in) { return TensorList{softmax(in[0], 1)}; };
  const auto lsm = [](const TensorList& in) { return TensorList{log_softmax(in[0], 1)}; };
  check_grads(sm, {randn64({2, 3, 4}, 21)});
  check_grads(lsm, {randn64({2, 3, 4}, 22)});
  check_grads(sm, {noncontiguous(randn64({3, 4, 2}, 23))});
  check_grads(lsm, {noncontiguous(randn64({3, 4, 2}, 24))});
  check_grads([](const TensorList& in) { return TensorList{softmax(in[0], -1) * in[0]}; },
              {randn64({4}, 25)});
  check_grads([](const TensorList& in) { return TensorList{softmax(in[0], 0)}; },
              {randn64({}, 26)});
  check_grads(lsm, {randn64({0, 3, 2}, 27)});
}

TEST_CASE("the gradient of log_softmax is one-hot minus softmax", "[functional]") {
  const Tensor x = randn64({2, 3}, 31);
  const Tensor picked = log_softmax(x, 1).select(1, 2).sum();
  const Tensor g = grad({picked}, {x})[0];
  const Tensor expected = one_hot(tensor({2, 2}, kInt64), 3).to(kFloat64) - softmax(x.detach(), 1);
  CHECK(allclose(g, expected, 1e-12, 1e-14));
}

TEST_CASE("dropout keeps each element with probability 1 - p, scaled by 1 / (1 - p)",
          "[functional]") {
  const Tensor x = full({100, 100}, 3.0, kFloat64);
  Generator gen(123);
  const Tensor y = dropout(x, 0.3, true, &gen);
  int64_t kept = 0;
  for (const double v : y.to_vector<double>()) {
    const bool ok = v == 0.0 || std::abs(v - 3.0 / 0.7) < 1e-12;
    REQUIRE(ok);
    kept += v != 0.0;
  }
  // 10000 Bernoulli(0.7) draws: mean 7000, standard deviation about 46.
  CHECK(kept > 6750);
  CHECK(kept < 7250);
  Generator again(123);
  CHECK(allclose(dropout(x, 0.3, true, &again), y));
  Generator other(124);
  CHECK_FALSE(allclose(dropout(x, 0.3, true, &other), y));
}

TEST_CASE("dropout is the identity in eval mode or with p = 0, and zero with p = 1",
          "[functional]") {
  const Tensor x = randn64({3, 4}, 41);
  CHECK(dropout(x, 0.5, false).is_same(x));
  CHECK(dropout(x, 0.0, true).is_same(x));
  const Tensor z = dropout(x, 1.0, true);
  CHECK(allclose(z, zeros({3, 4}, kFloat64)));
  CHECK(allclose(grad({z.sum()}, {x})[0], zeros({3, 4}, kFloat64)));
}

TEST_CASE("dropout differentiates through the mask, to second order", "[functional]") {
  const Tensor x = randn64({4, 5}, 42);
  Generator gen(7);
  const Tensor y = dropout(x, 0.4, true, &gen);
  const Tensor g = grad({y.sum()}, {x})[0];
  const auto yv = y.to_vector<double>(), xv = x.to_vector<double>(), gv = g.to_vector<double>();
  for (size_t i = 0; i < yv.size(); ++i) CHECK(gv[i] == Approx(yv[i] / xv[i]));
  // A fresh generator with the same seed on every call gives the same mask.
  check_grads(
      [](const TensorList& in) {
        Generator g(99);
        return TensorList{dropout(in[0], 0.25, true, &g) * in[0]};
      },
      {randn64({3, 4}, 43)});
}

TEST_CASE("dropout rejects a probability outside [0, 1]", "[functional]") {
  CHECK_THROWS_WITH(dropout(ones({2}), 1.5),
                    MG_CONTAINS("dropout: probability has to be between 0 and 1, but got 1.5"));
  CHECK_THROWS_WITH(dropout(ones({2}), -0.1), MG_CONTAINS("dropout: probability"));
  CHECK_THROWS_WITH(dropout(ones({2}), std::nan("")), MG_CONTAINS("dropout: probability"));
}

TEST_CASE("one_hot encodes int64 labels", "[functional]") {
  const Tensor oh = one_hot(tensor({2, 0, 1}, kInt64), 4);
  CHECK(oh.dtype() == kInt64);
  REQUIRE(oh.shape() == Dims{3, 4});
  CHECK(oh.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0});
  const Tensor inferred = one_hot(tensor({1, 3, 0, 2}, {2, 2}, kInt64));
  REQUIRE(inferred.shape() == Dims{2, 2, 4});
  CHECK(inferred.sum({-1}).to_vector<int64_t>() == std::vector<int64_t>{1, 1, 1, 1});
  CHECK(inferred.to_vector<int64_t>()[3 * 4 - 3 + 1] == 0);
  CHECK(inferred.select(0, 0).select(0, 1).to_vector<int64_t>() ==
        std::vector<int64_t>{0, 0, 0, 1});
  CHECK(one_hot(zeros({0}, kInt64), 3).shape() == Dims{0, 3});
}

TEST_CASE("one_hot errors name the bad label", "[functional]") {
  CHECK_THROWS_WITH(one_hot(tensor({1, 5}, kInt64), 3),
                    MG_CONTAINS("one_hot: class value 5 is out of range for 3 classes"));
  CHECK_THROWS_WITH(one_hot(tensor({1, -1}, kInt64), 3),
                    MG_CONTAINS("one_hot: class values must be non-negative, got -1"));
  CHECK_THROWS_WITH(one_hot(tensor({1.0}, kFloat32)),
                    MG_CONTAINS("one_hot: labels must be an int64"));
  CHECK_THROWS_WITH(one_hot(zeros({0}, kInt64)), MG_CONTAINS("cannot infer the number of classes"));
}

TEST_CASE("embedding picks rows by index, any index shape, with padding_idx", "[functional]") {
  const Tensor weight = tensor({0, 1, 10, 11, 20, 21}, {3, 2}, kFloat64).requires_grad_();
  const Tensor idx = tensor({2, 0, 2, 1}, {2, 2}, kInt64);
  const Tensor y = embedding(idx, weight);
  REQUIRE(y.shape() == Dims{2, 2, 2});
  CHECK(y.to_vector<double>() == std::vector<double>{20, 21, 0, 1, 20, 21, 10, 11});
  // d/dW: each row gets the sum of the gradients of its lookups.
  const Tensor g = grad({(y * 2.0).sum()}, {weight})[0];
  CHECK(g.to_vector<double>() == std::vector<double>{2, 2, 2, 2, 4, 4});
  // padding_idx: the value stays, the gradient of those lookups does not reach the row.
  const Tensor padded = embedding(idx, weight, 2);
  CHECK(padded.to_vector<double>() == y.to_vector<double>());
  CHECK(grad({padded.sum()}, {weight})[0].to_vector<double>() ==
        std::vector<double>{1, 1, 1, 1, 0, 0});
  CHECK(grad({embedding(idx, weight, -1).sum()}, {weight})[0].to_vector<double>() ==
        std::vector<double>{1, 1, 1, 1, 0, 0});
  check_grads(
      [&idx](const TensorList& in) {
        return TensorList{embedding(idx, in[0]), embedding(idx.select(0, 1), in[0], 0)};
      },
      {randn64({3, 4}, 12)});
  CHECK(embedding(zeros({0}, kInt64), weight).shape() == Dims{0, 2});
}

TEST_CASE("embedding errors name the index and the shapes", "[functional]") {
  const Tensor weight = ones({3, 2});
  CHECK_THROWS_WITH(embedding(tensor({0, 3}, kInt64), weight),
                    MG_CONTAINS("embedding: index 3 is out of range for a weight of 3 rows"));
  CHECK_THROWS_WITH(embedding(tensor({-1}, kInt64), weight), MG_CONTAINS("index -1"));
  CHECK_THROWS_WITH(embedding(tensor({0.0}), weight),
                    MG_CONTAINS("embedding: input must be an int64 tensor of indices"));
  CHECK_THROWS_WITH(embedding(tensor({0}, kInt64), ones({3})),
                    MG_CONTAINS("embedding: weight must be [num_embeddings, embedding_dim]"));
  CHECK_THROWS_WITH(embedding(tensor({0}, kInt64), weight, 3),
                    MG_CONTAINS("embedding: padding_idx 3 must be within num_embeddings 3"));
}
