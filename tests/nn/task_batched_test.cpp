// nn::task_batched: T copies of a network as one network with a leading task dim, checked against
// running each copy on its own (outputs, running statistics, gradients) for every supported layer.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/nn/nn_helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;

namespace {

// Every supported layer kind: conv (padding, groups), both batch norms, pooling, flatten, linear.
nn::Sequential mixed_net() {
  Generator gen(5);
  const nn::BatchNormOptions bn{.momentum = 0.5, .dtype = kFloat64};
  return nn::Sequential(
      nn::Conv2d(2, 4, 3, {.padding = 1, .dtype = kFloat64, .generator = &gen}),
      nn::BatchNorm2d(4, bn), nn::ReLU(), nn::MaxPool2d(2),
      nn::Conv2d(4, 6, 2, {.groups = 2, .dtype = kFloat64, .generator = &gen}), nn::AvgPool2d(2),
      nn::Flatten(), nn::Linear(6, 5, {.dtype = kFloat64, .generator = &gen}), nn::Tanh(),
      nn::BatchNorm1d(5, {.momentum = std::nullopt, .dtype = kFloat64}), nn::Sigmoid(),
      nn::Linear(5, 3, {.bias = false, .dtype = kFloat64, .generator = &gen}));
}

// Copy t of `net` with its parameters moved by t (so the tasks differ).
std::vector<std::shared_ptr<nn::Module>> task_copies(const nn::Module& net, int64_t tasks) {
  std::vector<std::shared_ptr<nn::Module>> copies;
  for (int64_t t = 0; t < tasks; ++t) {
    copies.push_back(net.clone());
    NoGradGuard no_grad;
    Generator gen(100 + static_cast<uint64_t>(t));
    for (Tensor p : copies.back()->parameters())
      p.add_(randn(p.shape(), p.dtype(), &gen) * (0.2 * static_cast<double>(t)));
  }
  return copies;
}

// `tensors[k]` of every copy, stacked over tasks.
TensorList stacked_over(const std::vector<std::shared_ptr<nn::Module>>& copies, bool buffers) {
  TensorList out;
  const size_t count = buffers ? copies[0]->buffers().size() : copies[0]->parameters().size();
  for (size_t k = 0; k < count; ++k) {
    TensorList per_task;
    for (const auto& c : copies) per_task.push_back((buffers ? c->buffers() : c->parameters())[k]);
    out.push_back(stack(per_task, 0).detach());
  }
  return out;
}

// The batched network's output y for input x, and its parameters' gradients of sum(y²), against
// each copy run on its own task's slice.
void check_each_task(const nn::Module& batched,
                     const std::vector<std::shared_ptr<nn::Module>>& copies, const Tensor& x,
                     const Tensor& y) {
  const TensorList grads = grad({sum(y * y)}, batched.parameters());
  for (size_t t = 0; t < copies.size(); ++t) {
    INFO("task " << t);
    const Tensor yt = (*copies[t])(x.select(0, static_cast<int64_t>(t)));
    CHECK(allclose(y.select(0, static_cast<int64_t>(t)), yt, 1e-12, 1e-12));
    const TensorList expected = grad({sum(yt * yt)}, copies[t]->parameters());
    for (size_t k = 0; k < grads.size(); ++k)
      CHECK(allclose(grads[k].select(0, static_cast<int64_t>(t)), expected[k], 1e-10, 1e-12));
  }
}
}  // namespace

TEST_CASE("task_batched: slots are net's, stacked over tasks, with net's names", "[nn]") {
  const nn::Sequential net = mixed_net();
  const std::shared_ptr<nn::Module> batched = nn::task_batched(net, 3);
  const nn::NamedTensors params = net.named_parameters(), bparams = batched->named_parameters();
  REQUIRE(bparams.size() == params.size());
  for (size_t k = 0; k < params.size(); ++k) {
    CHECK(bparams[k].first == params[k].first);
    CHECK(bparams[k].second.is_leaf());
    CHECK(bparams[k].second.requires_grad());
    for (int64_t t = 0; t < 3; ++t)
      CHECK(testing::bit_equal(bparams[k].second.select(0, t), params[k].second));
  }
  const nn::NamedTensors buffers = net.named_buffers(), bbuffers = batched->named_buffers();
  REQUIRE(bbuffers.size() == buffers.size());
  for (size_t k = 0; k < buffers.size(); ++k) {
    CHECK(bbuffers[k].first == buffers[k].first);
    const bool counter = buffers[k].second.dtype() == kInt64;
    CHECK(bbuffers[k].second.dim() == buffers[k].second.dim() + (counter ? 0 : 1));
  }
  const std::string printed = batched->to_string();
  CHECK_THAT(printed, MG_CONTAINS("(0): TaskConv2d(tasks=3, 2, 4, kernel_size=(3, 3), stride=(1, "
                                  "1), padding=(1, 1))"));
  CHECK_THAT(printed, MG_CONTAINS("groups=2"));
  CHECK_THAT(printed, MG_CONTAINS("TaskBatchNorm2d(tasks=3, 4, eps=1e-05, momentum=0.5"));
  CHECK_THAT(printed, MG_CONTAINS("(6): TaskFolded(\n    tasks=3\n    (layer): Flatten("));
}

TEST_CASE("task_batched runs T copies at once: outputs, statistics and gradients", "[nn]") {
  const int64_t tasks = 3;
  const nn::Sequential net = mixed_net();
  const std::vector<std::shared_ptr<nn::Module>> copies = task_copies(net, tasks);
  const std::shared_ptr<nn::Module> batched = nn::task_batched(net, tasks);
  batched->set_parameters(stacked_over(copies, false));
  for (Tensor p : batched->parameters()) p.requires_grad_(true);
  const Tensor x = testing::randn64({tasks, 4, 2, 6, 6}, 7).detach();

  for (const bool training : {true, false}) {
    INFO((training ? "training" : "eval") << " mode");
    batched->train(training);
    for (const auto& c : copies) c->train(training);
    const Tensor y = (*batched)(x);
    TensorList expected;
    for (int64_t t = 0; t < tasks; ++t) expected.push_back((*copies[t])(x.select(0, t)));
    REQUIRE(y.shape() == Dims{tasks, 4, 3});
    CHECK(allclose(y, stack(expected, 0), 1e-12, 1e-12));
    // Running statistics per task (momentum 0.5 and the cumulative average); one counter tick.
    const TensorList bbuf = batched->buffers(), ref = stacked_over(copies, true);
    for (size_t k = 0; k < bbuf.size(); ++k) {
      if (bbuf[k].dtype() == kInt64) {
        CHECK(bbuf[k].item<int64_t>() == copies[0]->buffers()[k].item<int64_t>());
      } else {
        CHECK(allclose(bbuf[k], ref[k], 1e-12, 1e-12));
      }
    }
    // The gradient of the sum of the tasks' losses is each task's own gradient in its slice.
    const Tensor target = testing::randn64({tasks, 4, 3}, 8).detach();
    const TensorList grads = grad({((y - target) * (y - target)).sum()}, batched->parameters());
    for (int64_t t = 0; t < tasks; ++t) {
      const Tensor yt = (*copies[t])(x.select(0, t));
      if (training) {  // re-running moved the copies' statistics: put them back in step
        NoGradGuard no_grad;
        for (size_t k = 0; k < bbuf.size(); ++k)
          copies[t]->buffers()[k].copy_(ref[k].select(0, t).to(bbuf[k].dtype()));
      }
      const Tensor diff = yt - target.select(0, t);
      const TensorList expected_grads = grad({(diff * diff).sum()}, copies[t]->parameters());
      for (size_t k = 0; k < grads.size(); ++k)
        CHECK(allclose(grads[k].select(0, t), expected_grads[k], 1e-10, 1e-12));
    }
  }
}

TEST_CASE("task_batched: unsupported modules and bad input name the problem", "[nn]") {
  struct Scale : nn::Cloneable<Scale> {
    Scale() { register_parameter("s", ones({1})); }
    Tensor forward(const Tensor& x) override { return x * parameter_at(0); }
  };
  const nn::Sequential net(nn::Linear(2, 2), nn::Sequential(nn::ReLU(), Scale()));
  CHECK_THROWS_WITH(nn::task_batched(net, 2), MG_CONTAINS("module \"1.1\" is a"));
  CHECK_THROWS_WITH(nn::task_batched(net, 2), MG_CONTAINS("has no task-batched form"));
  CHECK_THROWS_WITH(nn::task_batched(nn::Linear(2, 2), 0),
                    MG_CONTAINS("the task count must be >= 1, got 0"));
  const std::shared_ptr<nn::Module> linear = nn::task_batched(nn::Linear(2, 3), 4);
  CHECK((*linear)(zeros({4, 2})).shape() == Dims{4, 3});
  CHECK((*linear)(zeros({4, 5, 6, 2})).shape() == Dims{4, 5, 6, 3});
  CHECK_THROWS_WITH((*linear)(zeros({3, 5, 2})),
                    MG_CONTAINS("TaskLinear: expected an input of at least 2 dims with the 4 tasks "
                                "first ([T, ...] with T = 4), got shape [3, 5, 2]"));
  const std::shared_ptr<nn::Module> flat_all = nn::task_batched(nn::Flatten(0), 2);
  CHECK_THROWS_WITH((*flat_all)(zeros({2, 3, 4})), MG_CONTAINS("merged the samples of a batch"));
  const std::shared_ptr<nn::Module> bn = nn::task_batched(nn::BatchNorm2d(3), 2);
  CHECK_THROWS_WITH((*bn)(zeros({2, 4, 5, 6, 6})), MG_CONTAINS("expected [T, N, 3, ...] input"));
}

TEST_CASE("task_batched keeps a conv block task-channel-major; values and derivatives per task",
          "[nn]") {
  // Note [task-batched conv]: conv, batch norm, ReLU and pooling pass [T, C, N, H, W]-ordered
  // activations and gradients along (no permuting copies), the second conv unfolding them as N
  // images of T*C channels; every result still equals the per-task network's.
  const int64_t tasks = 3, n = 5, channels = 4;
  Generator gen(11);
  const nn::BatchNormOptions bn{.momentum = 0.5, .dtype = kFloat64};
  const nn::Sequential net(
      nn::Conv2d(2, channels, 3, {.padding = 1, .dtype = kFloat64, .generator = &gen}),
      nn::BatchNorm2d(channels, bn), nn::ReLU(), nn::MaxPool2d(2),
      nn::Conv2d(channels, 3, 3, {.padding = 1, .dtype = kFloat64, .generator = &gen}),
      nn::AvgPool2d(2), nn::Flatten());
  const std::vector<std::shared_ptr<nn::Module>> copies = task_copies(net, tasks);
  const std::shared_ptr<nn::Module> batched = nn::task_batched(net, tasks);
  batched->set_parameters(stacked_over(copies, false));
  const Tensor x = testing::randn64({tasks, n, 2, 8, 8}, 12).detach().requires_grad_(true);

  // The pooled activations are stored task-channel-major: [T, C, N, 4, 4] in memory.
  const auto& layers = dynamic_cast<const nn::Sequential&>(*batched).children();
  Tensor h = x;
  for (size_t k = 0; k < 4; ++k) h = (*layers[k])(h);
  REQUIRE(h.shape() == Dims{tasks, n, channels, 4, 4});
  CHECK(h.strides() == Dims{channels * n * 16, 16, n * 16, 4, 1});

  // Output, input gradient and the input gradient's own gradient (through the double backward of
  // every layer), against each task's network on its slice.
  const auto second_order = [](const Tensor& y, const Tensor& input) {
    const Tensor gx = grad({(y * y).sum()}, {input}, {}, {.create_graph = true})[0];
    return std::pair{gx, grad({(gx * gx).sum()}, {input})[0]};
  };
  const Tensor y = (*batched)(x);
  const auto [gx, ggx] = second_order(y, x);
  for (int64_t t = 0; t < tasks; ++t) {
    INFO("task " << t);
    const Tensor xt = x.select(0, t).detach().requires_grad_(true);
    const Tensor yt = (*copies[t])(xt);
    CHECK(allclose(y.select(0, t), yt, 1e-12, 1e-12));
    const auto [gxt, ggxt] = second_order(yt, xt);
    CHECK(allclose(gx.select(0, t), gxt, 1e-10, 1e-12));
    CHECK(allclose(ggx.select(0, t), ggxt, 1e-9, 1e-11));
  }
}

TEST_CASE("task_batched: adaptive pooling, Identity and the elementwise activations", "[nn]") {
  const int64_t tasks = 2;
  Generator gen(9);
  const nn::Sequential net(
      nn::Conv2d(2, 4, 3, {.padding = 1, .dtype = kFloat64, .generator = &gen}), nn::GELU(),
      nn::AdaptiveAvgPool2d({2, 3}), nn::SiLU(), nn::Flatten(),
      nn::Linear(24, 3, {.dtype = kFloat64, .generator = &gen}), nn::LeakyReLU(0.2), nn::Identity(),
      nn::ELU(), nn::Softplus(), nn::Mish(), nn::SELU(), nn::LogSigmoid());
  const std::vector<std::shared_ptr<nn::Module>> copies = task_copies(net, tasks);
  const std::shared_ptr<nn::Module> batched = nn::task_batched(net, tasks);
  batched->set_parameters(stacked_over(copies, false));
  for (Tensor p : batched->parameters()) p.requires_grad_(true);
  const Tensor x = testing::randn64({tasks, 3, 2, 7, 5}, 10).detach();
  const Tensor y = (*batched)(x);
  check_each_task(*batched, copies, x, y);
}

TEST_CASE("task_batched: decoder layers (transposed conv, upsampling, pixel shuffle)", "[nn]") {
  const int64_t tasks = 3;
  Generator gen(11);
  const nn::Sequential net(
      nn::Conv2d(
          2, 4, 3,
          {.padding = 1, .padding_mode = PadMode::Reflect, .dtype = kFloat64, .generator = &gen}),
      nn::Tanh(),
      nn::ConvTranspose2d(4, 4, 3,
                          {.stride = 2,
                           .padding = 1,
                           .output_padding = 1,
                           .groups = 2,
                           .dtype = kFloat64,
                           .generator = &gen}),
      nn::Upsample({.scale_factor = {1.5}, .mode = InterpolateMode::Bilinear}),
      nn::PixelUnshuffle(3), nn::PixelShuffle(3), nn::AdaptiveMaxPool2d({4, 3}),
      nn::Conv2d(
          4, 2, 3,
          {.padding = 2, .padding_mode = PadMode::Circular, .dtype = kFloat64, .generator = &gen}));
  const std::vector<std::shared_ptr<nn::Module>> copies = task_copies(net, tasks);
  const std::shared_ptr<nn::Module> batched = nn::task_batched(net, tasks);
  CHECK_THAT(batched->to_string(), MG_CONTAINS("TaskConvTranspose2d(tasks=3, 4, 4"));
  batched->set_parameters(stacked_over(copies, false));
  for (Tensor p : batched->parameters()) p.requires_grad_(true);
  const Tensor x = testing::randn64({tasks, 2, 2, 5, 4}, 12).detach();
  const Tensor y = (*batched)(x);
  REQUIRE(y.shape() == Dims{tasks, 2, 2, 6, 5});
  check_each_task(*batched, copies, x, y);
}

TEST_CASE("task_batched: transformer encoders, attention and layer norm", "[nn][transformer]") {
  Generator gen(9);
  const nn::TransformerLayerOptions layer_options{.dim_feedforward = 12,
                                                  .dropout = 0.0,
                                                  .activation = nn::TransformerActivation::Gelu,
                                                  .batch_first = true,
                                                  .norm_first = true,
                                                  .dtype = kFloat64,
                                                  .generator = &gen};
  SECTION("an encoder stack with a final norm, batch_first") {
    const nn::TransformerEncoder net(nn::TransformerEncoderLayer(8, 2, layer_options), 2,
                                     nn::LayerNorm({8}, {.dtype = kFloat64}));
    const auto copies = task_copies(net, 3);
    const std::shared_ptr<nn::Module> batched = nn::task_batched(net, 3);
    CHECK(testing::names(batched->named_parameters()) == testing::names(net.named_parameters()));
    batched->set_parameters(stacked_over(copies, false));
    for (Tensor p : batched->parameters()) p.requires_grad_(true);
    const Tensor x = randn({3, 2, 4, 8}, kFloat64, &gen);  // [T, N, L, E]
    const Tensor y = (*batched)(x);
    CHECK(y.shape() == Dims{3, 2, 4, 8});
    check_each_task(*batched, copies, x, y);
  }
  SECTION("attention with bias_k, bias_v and a zero key, sequence-first and unbatched") {
    nn::Sequential net(nn::MultiheadAttention(
                           6, 3, {.add_bias_kv = true, .add_zero_attn = true, .dtype = kFloat64}),
                       nn::LayerNorm({6}, {.bias = false, .dtype = kFloat64}));
    const auto copies = task_copies(net, 2);
    const std::shared_ptr<nn::Module> batched = nn::task_batched(net, 2);
    batched->set_parameters(stacked_over(copies, false));
    for (Tensor p : batched->parameters()) p.requires_grad_(true);
    const Tensor x = randn({2, 5, 3, 6}, kFloat64, &gen);  // [T, L, N, E]
    check_each_task(*batched, copies, x, (*batched)(x));
    const Tensor unbatched = randn({2, 5, 6}, kFloat64, &gen);  // [T, L, E]
    check_each_task(*batched, copies, unbatched, (*batched)(unbatched));
  }
  SECTION("masks and cross-attention need the layers themselves") {
    const std::shared_ptr<nn::Module> batched =
        nn::task_batched(nn::TransformerEncoderLayer(8, 2, layer_options), 2);
    auto& layer = dynamic_cast<nn::TransformerEncoderLayer&>(*batched);
    CHECK_THROWS_WITH(layer(randn({2, 2, 4, 8}, kFloat64, &gen), {.is_causal = true}),
                      Catch::Contains("submodule \"self_attn\" is a TaskMultiheadAttention, but "
                                      "this call needs a MultiheadAttention"));
  }
}
