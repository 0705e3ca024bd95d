// Activation checkpointing (Note [activation checkpointing], torch.utils.checkpoint): the same
// gradients as without it, to every order and through captured tensors; the saved activations
// really freed; random ops replayed; nondeterminism detected; a meta-gradient through a
// checkpointed inner step.
#include <vector>

#include "tests/support/helpers.hpp"

namespace metagrad {
namespace {

using testing::allclose;
using testing::check_grads;
using testing::randn64;

// A two-layer tanh MLP on x whose weights are captured, not passed: their gradients must still
// arrive through the checkpoint.
struct Mlp {
  Tensor w1 = randn64({8, 4}, 11), w2 = randn64({3, 8}, 12);
  int calls = 0;
  TensorList operator()(const TensorList& in) {
    ++calls;
    return {matmul(w2, matmul(w1, in[0]).tanh()).tanh()};
  }
};

// The gradients of sum(out^2) with respect to `wrt`.
TensorList loss_grads(const Tensor& out, const TensorList& wrt) {
  return grad({(out * out).sum()}, wrt);
}

// Bytes of CPU storage alive now.
int64_t live_bytes() { return cpu_storage_stats().live_bytes; }

}  // namespace

TEST_CASE("checkpoint gives the gradients of the plain function, captured weights included",
          "[checkpoint]") {
  Mlp mlp;
  const Tensor x = randn64({4, 5}, 13);
  const TensorList expected = loss_grads(mlp({x})[0], {x, mlp.w1, mlp.w2});
  mlp.calls = 0;
  const Tensor out = utils::checkpoint([&mlp](const TensorList& in) { return mlp(in); }, {x})[0];
  CHECK(mlp.calls == 1);
  const TensorList got = loss_grads(out, {x, mlp.w1, mlp.w2});
  CHECK(mlp.calls == 2);  // one recompute in backward
  for (size_t i = 0; i < got.size(); ++i) CHECK(allclose(got[i], expected[i]));
  // backward() accumulates the same gradients into the leaves' .grad.
  const Tensor again = utils::checkpoint([&mlp](const TensorList& in) { return mlp(in); }, {x})[0];
  (again * again).sum().backward();
  CHECK(allclose(x.grad(), expected[0]));
  CHECK(allclose(mlp.w2.grad(), expected[2]));
}

TEST_CASE("checkpoint frees the saved activations until backward", "[checkpoint]") {
  // Ten tanh layers on a 256 KiB tensor: each saves its output.
  const Tensor x = randn64({32768}, 14);
  const utils::CheckpointFunction deep = [](const TensorList& in) -> TensorList {
    Tensor h = in[0];
    for (int i = 0; i < 10; ++i) h = (h * 0.9).tanh();
    return {h};
  };
  const int64_t before = live_bytes();
  Tensor plain = deep({x})[0];
  const int64_t plain_bytes = live_bytes() - before;
  plain = Tensor();
  const int64_t before_checkpoint = live_bytes();
  const Tensor checkpointed = utils::checkpoint(deep, {x})[0];
  const int64_t checkpoint_bytes = live_bytes() - before_checkpoint;
  // Plain: ten saved outputs (the last is the result); checkpointed: the result only.
  CHECK(plain_bytes >= 10 * 32768 * 8);
  CHECK(checkpoint_bytes <= 2 * 32768 * 8);
  CHECK(allclose(grad({checkpointed.sum()}, {x})[0], grad({deep({x})[0].sum()}, {x})[0]));
}

TEST_CASE("checkpoint replays the default generator for dropout", "[checkpoint]") {
  const Tensor x = randn64({64}, 15);
  const utils::CheckpointFunction noisy = [](const TensorList& in) -> TensorList {
    return {dropout(in[0].exp(), 0.5)};
  };
  manual_seed(7);
  const Tensor expected = grad({noisy({x})[0].sum()}, {x})[0];
  manual_seed(7);
  const Tensor out = utils::checkpoint(noisy, {x})[0];
  const GeneratorState after_forward = default_generator().state();
  CHECK(allclose(grad({out.sum()}, {x})[0], expected));
  // The recompute leaves the generator where the forward left it.
  CHECK(default_generator().state() == after_forward);
  // Without preserve_rng_state the recompute draws another mask: another (wrong) gradient.
  manual_seed(7);
  const Tensor unpreserved = utils::checkpoint(noisy, {x}, {.preserve_rng_state = false})[0];
  CHECK_FALSE(allclose(grad({unpreserved.sum()}, {x})[0], expected));
}

TEST_CASE("a checkpointed function differentiates to second order", "[checkpoint]") {
  Mlp mlp;
  check_grads(
      [&mlp](const TensorList& in) -> TensorList {
        return utils::checkpoint([&mlp](const TensorList& x) { return mlp(x); }, in);
      },
      {randn64({4, 2}, 16)});
}

TEST_CASE("a meta-gradient through a checkpointed inner step", "[checkpoint]") {
  // One SGD inner step on a regression loss inside the checkpoint (fn calls grad itself, with
  // create_graph), then the outer loss of the adapted weights.
  const Tensor w = randn64({3, 4}, 17);
  const Tensor x_support = randn64({4, 6}, 18).detach(), y_support = randn64({3, 6}, 19).detach();
  const Tensor x_query = randn64({4, 6}, 20).detach(), y_query = randn64({3, 6}, 21).detach();
  const utils::CheckpointFunction inner_step = [&](const TensorList& in) -> TensorList {
    const Tensor residual = (matmul(in[0], x_support).tanh() - y_support);
    const Tensor g = grad({(residual * residual).sum()}, {in[0]}, {}, {.create_graph = true})[0];
    return {in[0] - g * 0.1};
  };
  const auto outer = [&](const Tensor& adapted) {
    const Tensor residual = matmul(adapted, x_query).tanh() - y_query;
    return (residual * residual).sum();
  };
  const Tensor expected = grad({outer(inner_step({w})[0])}, {w})[0];
  const Tensor adapted = utils::checkpoint(inner_step, {w})[0];
  CHECK(allclose(grad({outer(adapted)}, {w})[0], expected));
  // The meta-gradient's own gradient (create_graph through the region) matches as well.
  const Tensor v = randn64({3, 4}, 22).detach();
  const auto second = [&](bool use_checkpoint) {
    const Tensor a = use_checkpoint ? utils::checkpoint(inner_step, {w})[0] : inner_step({w})[0];
    const Tensor g = grad({outer(a)}, {w}, {}, {.create_graph = true})[0];
    return grad({(g * v).sum()}, {w})[0];
  };
  CHECK(allclose(second(true), second(false)));
}

TEST_CASE("checkpoint recomputes again for a second backward", "[checkpoint]") {
  Mlp mlp;
  const Tensor x = randn64({4, 3}, 23);
  const Tensor out = utils::checkpoint([&mlp](const TensorList& in) { return mlp(in); }, {x})[0];
  const Tensor first = grad({out.sum()}, {x}, {}, {.retain_graph = true})[0];
  const Tensor second = grad({out.sum()}, {x})[0];
  CHECK(allclose(first, second));
  CHECK(mlp.calls == 3);
}

TEST_CASE("nested checkpoints", "[checkpoint]") {
  Mlp mlp;
  const Tensor x = randn64({4, 2}, 24), projection = randn64({4, 3}, 25).detach();
  const TensorList expected =
      loss_grads(mlp({matmul(projection, mlp({x})[0])})[0], {x, mlp.w1, mlp.w2});
  const utils::CheckpointFunction inner = [&mlp](const TensorList& in) { return mlp(in); };
  const utils::CheckpointFunction outer = [&](const TensorList& in) -> TensorList {
    const Tensor h = utils::checkpoint(inner, in)[0];
    return utils::checkpoint(inner, {matmul(projection, h)});
  };
  const TensorList got = loss_grads(utils::checkpoint(outer, {x})[0], {x, mlp.w1, mlp.w2});
  for (size_t i = 0; i < got.size(); ++i) CHECK(allclose(got[i], expected[i]));
}

TEST_CASE("checkpoint_sequential matches running the functions in order", "[checkpoint]") {
  std::vector<std::function<Tensor(const Tensor&)>> layers;
  for (int i = 0; i < 5; ++i) {
    const Tensor w = randn64({4, 4}, 30 + static_cast<uint64_t>(i)).detach() * 0.5;
    layers.push_back([w](const Tensor& h) { return matmul(w, h).tanh(); });
  }
  const Tensor x = randn64({4, 3}, 40);
  Tensor plain = x;
  for (const auto& layer : layers) plain = layer(plain);
  const Tensor expected = grad({(plain * plain).sum()}, {x})[0];
  for (int64_t segments : {1, 2, 3, 5}) {
    INFO("segments " << segments);
    // The caller's vector may be gone by backward: the checkpoint keeps its own copy.
    Tensor out;
    {
      const auto copy = layers;
      out = utils::checkpoint_sequential(copy, segments, x);
    }
    CHECK(allclose(out, plain.detach()));
    CHECK(allclose(grad({(out * out).sum()}, {x})[0], expected));
  }
  CHECK_THROWS_WITH(utils::checkpoint_sequential(layers, 6, x),
                    MG_CONTAINS("checkpoint_sequential: 6 segments for 5 functions"));
}

TEST_CASE("a function that saves differently when recomputed is a clear error",
          "[checkpoint][errors]") {
  const Tensor x = randn64({3}, 41);
  int calls = 0;
  const Tensor out = utils::checkpoint(
      [&calls](const TensorList& in) -> TensorList {
        ++calls;
        return {calls == 1 ? in[0].exp().exp() : in[0].exp()};
      },
      {x})[0];
  CHECK_THROWS_WITH(grad({out.sum()}, {x}),
                    MG_CONTAINS("checkpoint: recomputing the function saved 1 tensors for "
                                "backward where its forward saved 2"));
  int shape_calls = 0;
  const Tensor reshaped = utils::checkpoint(
      [&shape_calls](const TensorList& in) -> TensorList {
        ++shape_calls;
        const Tensor h = shape_calls == 1 ? in[0] : in[0].expand({2, 3});
        return {h.exp().sum()};
      },
      {x})[0];
  CHECK_THROWS_WITH(grad({reshaped}, {x}),
                    MG_CONTAINS("checkpoint: tensor 0 saved for backward was float64 [3] in "
                                "forward but float64 [2, 3] when recomputed"));
}

TEST_CASE("checkpoint with grad mode off just calls the function", "[checkpoint]") {
  Mlp mlp;
  NoGradGuard no_grad;
  const Tensor out =
      utils::checkpoint([&mlp](const TensorList& in) { return mlp(in); }, {randn64({4, 1}, 42)})[0];
  CHECK_FALSE(out.requires_grad());
  CHECK(mlp.calls == 1);
}

}  // namespace metagrad
