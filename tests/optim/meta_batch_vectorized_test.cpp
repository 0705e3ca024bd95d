// meta_batch_vectorized: the tasks as a tensor dim give meta_batch's meta-gradient, losses and
// buffers (float64 to 1e-12), for a convolutional MAML network and an MLP, Mean and Sum.
#include <vector>

#include "tests/nn/nn_helpers.hpp"

using namespace metagrad;

namespace {

nn::Sequential conv_net() {
  Generator gen(11);
  const nn::BatchNormOptions bn{.momentum = 1.0, .dtype = kFloat64};
  return nn::Sequential(nn::Conv2d(1, 4, 3, {.dtype = kFloat64, .generator = &gen}),
                        nn::BatchNorm2d(4, bn), nn::ReLU(), nn::MaxPool2d(2, 2),
                        nn::Conv2d(4, 4, 3, {.dtype = kFloat64, .generator = &gen}),
                        nn::BatchNorm2d(4, bn), nn::ReLU(), nn::Flatten(),
                        nn::Linear(16, 3, {.dtype = kFloat64, .generator = &gen}));
}

nn::Sequential mlp() {
  Generator gen(12);
  return nn::Sequential(nn::Linear(5, 8, {.dtype = kFloat64, .generator = &gen}),
                        nn::BatchNorm1d(8, {.dtype = kFloat64}), nn::ReLU(),
                        nn::Linear(8, 3, {.dtype = kFloat64, .generator = &gen}));
}

// A meta-batch of classification tasks, as one task at a time and as all tasks at once.
struct Tasks {
  Tensor x_spt, y_spt, x_qry, y_qry;

  Tasks(int64_t count, const Dims& sample) {
    Generator gen(21);
    Dims spt{count, 6}, qry{count, 9};
    for (const int64_t d : sample) {
      spt.push_back(d);
      qry.push_back(d);
    }
    x_spt = randn(spt, kFloat64, &gen);
    x_qry = randn(qry, kFloat64, &gen);
    y_spt = randint(0, 3, {count, 6}, kInt64, &gen);
    y_qry = randint(0, 3, {count, 9}, kInt64, &gen);
  }

  // Task t alone: 2 differentiable SGD steps, then the query loss.
  Tensor one(nn::Module& net, int64_t t) const {
    MetaSGD inner(net, {.lr = 0.3});
    for (int k = 0; k < 2; ++k)
      inner.step(cross_entropy(net(x_spt.select(0, t)), y_spt.select(0, t)));
    return cross_entropy(net(x_qry.select(0, t)), y_qry.select(0, t));
  }

  // Every task's mean cross entropy, [T], from [T, N, classes] logits and [T, N] labels.
  static Tensor per_task(const Tensor& logits, const Tensor& labels) {
    const int64_t tasks = logits.size(0), n = logits.size(1);
    const Tensor each = cross_entropy(logits.reshape({tasks * n, logits.size(2)}),
                                      labels.reshape({tasks * n}), {.reduction = Reduction::None});
    return each.reshape({tasks, n}).mean({1});
  }

  // All tasks at once: the same steps on the sum of the tasks' losses.
  Tensor all(nn::Module& tasks) const {
    MetaSGD inner(tasks, {.lr = 0.3});
    for (int k = 0; k < 2; ++k) inner.step(per_task(tasks(x_spt), y_spt).sum());
    return per_task(tasks(x_qry), y_qry);
  }
};

double max_relative_error(const Tensor& a, const Tensor& b) {
  const Tensor a64 = a.to(kFloat64), b64 = b.to(kFloat64);
  return ((a64 - b64).abs().max() / (b64.abs().max() + 1e-300)).item<double>();
}

void check_same_as_meta_batch(nn::Sequential (*make)(), const Dims& sample, int64_t count,
                              MetaBatchReduction reduction) {
  const Tasks tasks(count, sample);
  nn::Sequential reference = make(), net = make();
  for (nn::Sequential* n : {&reference, &net}) {
    for (const Tensor& p : n->parameters()) p.set_grad(full_like(p, 0.25));  // added to
    for (Tensor b : n->buffers())
      if (b.dtype() == kInt64) b.fill_(7.0);  // counters that do not start at 0
  }
  const TensorList ref_losses =
      meta_batch(reference, count, [&](nn::Module& m, int64_t t) { return tasks.one(m, t); },
                 {.reduction = reduction});
  const TensorList losses = meta_batch_vectorized(
      net, count, [&](nn::Module& m) { return tasks.all(m); }, {.reduction = reduction});

  REQUIRE(losses.size() == ref_losses.size());
  for (size_t t = 0; t < losses.size(); ++t)
    CHECK(max_relative_error(losses[t], ref_losses[t]) <= 1e-12);
  const TensorList params = net.parameters(), ref_params = reference.parameters();
  for (size_t k = 0; k < params.size(); ++k) {
    INFO("parameter " << k << ", " << count << " tasks");
    REQUIRE(params[k].grad().defined());
    CHECK(max_relative_error(params[k].grad(), ref_params[k].grad()) <= 1e-12);
  }
  const TensorList buffers = net.buffers(), ref_buffers = reference.buffers();
  for (size_t k = 0; k < buffers.size(); ++k) {
    INFO("buffer " << k);
    if (buffers[k].dtype() == kInt64) {
      CHECK(buffers[k].item<int64_t>() == ref_buffers[k].item<int64_t>());
    } else {
      CHECK(max_relative_error(buffers[k], ref_buffers[k]) <= 1e-12);
    }
  }
}

}  // namespace

TEST_CASE("meta_batch_vectorized gives meta_batch's meta-gradient, losses and buffers", "[meta]") {
  for (const int64_t count : {1, 4}) {
    for (const MetaBatchReduction r : {MetaBatchReduction::Mean, MetaBatchReduction::Sum}) {
      check_same_as_meta_batch(conv_net, {1, 10, 10}, count, r);
      check_same_as_meta_batch(mlp, {5}, count, r);
    }
  }
}

TEST_CASE("meta_batch_vectorized: a learned inner rate in options.inputs", "[meta]") {
  // MetaSGD with lr as a tensor is not at hand: scale the support loss by a leaf instead.
  const Tasks tasks(3, {5});
  nn::Sequential reference = mlp(), net = mlp();
  const Tensor ref_scale = full({}, 0.7, kFloat64).requires_grad_(true);
  const Tensor scale = full({}, 0.7, kFloat64).requires_grad_(true);
  TensorList ref_inputs = reference.parameters(), inputs = net.parameters();
  ref_inputs.push_back(ref_scale);
  inputs.push_back(scale);
  meta_batch(reference, 3,
             [&](nn::Module& m, int64_t t) {
               MetaSGD inner(m, {.lr = 0.3});
               inner.step(cross_entropy(m(tasks.x_spt.select(0, t)), tasks.y_spt.select(0, t)) *
                          ref_scale);
               return cross_entropy(m(tasks.x_qry.select(0, t)), tasks.y_qry.select(0, t));
             },
             {.inputs = ref_inputs});
  meta_batch_vectorized(net, 3,
                        [&](nn::Module& m) {
                          MetaSGD inner(m, {.lr = 0.3});
                          inner.step(Tasks::per_task(m(tasks.x_spt), tasks.y_spt).sum() * scale);
                          return Tasks::per_task(m(tasks.x_qry), tasks.y_qry);
                        },
                        {.inputs = inputs});
  REQUIRE(scale.grad().defined());
  CHECK(max_relative_error(scale.grad(), ref_scale.grad()) <= 1e-12);
}

TEST_CASE("meta_batch_vectorized: bad results leave the network unchanged", "[meta]") {
  nn::Sequential net = mlp();
  const nn::NamedTensors before = testing::snapshot(net);
  const Tensor x = randn({2, 4, 5}, kFloat64);
  CHECK_THROWS_WITH(meta_batch_vectorized(net, 2, [&](nn::Module& m) { return m(x).sum(); }),
                    MG_CONTAINS("returned a tensor of shape []; it returns the 2 tasks' losses "
                                "as a [2] tensor"));
  CHECK_THROWS_WITH(meta_batch_vectorized(net, 0, [&](nn::Module& m) { return m(x).sum(); }),
                    MG_CONTAINS("the task count must be >= 1, got 0"));
  for (const Tensor& p : net.parameters()) CHECK_FALSE(p.grad().defined());
  const nn::NamedTensors after = net.state_dict();
  for (size_t k = 0; k < before.size(); ++k)
    CHECK(testing::bit_equal(after[k].second, before[k].second));
}

TEST_CASE("meta_batch_vectorized: an evaluation under no_grad returns the losses and no gradient",
          "[meta]") {
  const Tasks tasks(3, {5});
  nn::Sequential net = mlp();
  TensorList expected;
  {
    NoGradGuard no_grad;
    for (int64_t t = 0; t < 3; ++t) {
      nn::Sequential one = mlp();
      expected.push_back(cross_entropy(one(tasks.x_qry.select(0, t)), tasks.y_qry.select(0, t)));
    }
  }
  TensorList losses;
  {
    NoGradGuard no_grad;
    losses = meta_batch_vectorized(
        net, 3, [&](nn::Module& m) { return Tasks::per_task(m(tasks.x_qry), tasks.y_qry); });
  }
  REQUIRE(losses.size() == 3);
  for (size_t t = 0; t < 3; ++t) CHECK(max_relative_error(losses[t], expected[t]) <= 1e-12);
  for (const Tensor& p : net.parameters()) CHECK_FALSE(p.grad().defined());
}
