// Saved tensor hooks (Note [saved tensor hooks], torch.autograd.graph.saved_tensors_hooks): which
// saves are packed, what backward does with the unpacked tensors, nesting, threads, errors, and
// derivatives of every order with every save (backward's own included) going through the hooks.
#include <any>
#include <thread>

#include "tests/support/helpers.hpp"

namespace metagrad {
namespace {

using testing::allclose;
using testing::check_grads;
using testing::randn64;

// Hooks that keep a copy (a clone) of each saved tensor and count their calls.
struct CloningHooks {
  int packs = 0;
  int unpacks = 0;
  SavedTensorsHooksGuard install() {
    return SavedTensorsHooksGuard(
        [this](const Tensor& t) -> std::any {
          ++packs;
          return t.clone();
        },
        [this](const std::any& kept) {
          ++unpacks;
          return std::any_cast<Tensor>(kept);
        });
  }
};

// d/dx and d/dy of sum(exp(x) * y) + sum(tanh(x)).
TensorList chain_grads(const Tensor& x, const Tensor& y) {
  const Tensor loss = (x.exp() * y).sum() + x.tanh().sum();
  return grad({loss}, {x, y});
}

}  // namespace

TEST_CASE("saved tensors go through the hooks and give the same gradients", "[hooks]") {
  const Tensor x = randn64({5}, 1), y = randn64({5}, 2);
  const TensorList expected = chain_grads(x, y);
  CloningHooks hooks;
  TensorList got;
  {
    const SavedTensorsHooksGuard guard = hooks.install();
    got = chain_grads(x, y);
  }
  CHECK(allclose(got[0], expected[0]));
  CHECK(allclose(got[1], expected[1]));
  // exp saves its output, mul saves both factors, tanh its output: four saves, leaves included.
  CHECK(hooks.packs == 4);
  // The leaf y is used as itself: three unpacks (exp's output for exp and for mul, tanh's).
  CHECK(hooks.unpacks == 3);
}

TEST_CASE("no hooks outside the guard, the innermost inside nested guards", "[hooks]") {
  const Tensor x = randn64({3}, 3);
  CloningHooks outer, inner;
  {
    const SavedTensorsHooksGuard outer_guard = outer.install();
    {
      const SavedTensorsHooksGuard inner_guard = inner.install();
      (void)x.exp();
    }
    (void)x.exp();
  }
  (void)x.exp();
  CHECK(inner.packs == 1);
  CHECK(outer.packs == 1);
  CHECK(current_saved_tensor_hooks() == nullptr);
}

TEST_CASE("saved tensor hooks are per thread", "[hooks]") {
  const Tensor x = randn64({3}, 4);
  CloningHooks hooks;
  const SavedTensorsHooksGuard guard = hooks.install();
  std::thread worker([&x] { (void)x.exp(); });
  worker.join();
  CHECK(hooks.packs == 0);
  (void)x.exp();
  CHECK(hooks.packs == 1);
}

TEST_CASE("packed saves skip the version check: backward uses what the hooks kept", "[hooks]") {
  const Tensor x = randn64({4}, 5);
  Tensor a = x * 1.0;
  const Tensor expected_a = a.detach().clone();
  Tensor loss;
  CloningHooks hooks;  // outlives the graph: backward calls its unpack
  {
    const SavedTensorsHooksGuard guard = hooks.install();
    loss = (a * a).sum();
  }
  {
    NoGradGuard no_grad;
    a.add_(1.0);
  }
  // d sum(a^2) / dx = 2 a with a's value when it was saved (the hooks' clone).
  CHECK(allclose(grad({loss}, {x})[0], expected_a * 2.0));
  // Without hooks the same write is the usual error.
  Tensor b = x * 1.0;
  const Tensor loss_b = (b * b).sum();
  {
    NoGradGuard no_grad;
    b.add_(1.0);
  }
  CHECK_THROWS_WITH(grad({loss_b}, {x}), MG_CONTAINS("modified by an inplace operation"));
}

TEST_CASE("derivatives of every order with saves through the hooks", "[hooks]") {
  CloningHooks hooks;
  const SavedTensorsHooksGuard guard = hooks.install();
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {(in[0].exp() * in[1]).tanh() + matmul(in[0].unsqueeze(0), in[1].unsqueeze(1))};
      },
      {randn64({3}, 6), randn64({3}, 7)});
  CHECK(hooks.unpacks > 0);
}

TEST_CASE("an unpack hook that returns another shape is a clear error", "[hooks][errors]") {
  const Tensor x = randn64({3}, 8);
  Tensor loss;
  {
    const SavedTensorsHooksGuard guard([](const Tensor&) -> std::any { return 0; },
                                       [](const std::any&) { return zeros({2}, kFloat64); });
    loss = (x * 2.0).exp().sum();
  }
  CHECK_THROWS_WITH(grad({loss}, {x}),
                    MG_CONTAINS("ExpBackward: the unpack hook of saved tensor hooks returned "
                                "float64 [2] on cpu; the packed tensor was float64 [3] on cpu"));
  CHECK_THROWS_WITH(SavedTensorsHooksGuard(nullptr, [](const std::any&) { return Tensor(); }),
                    MG_CONTAINS("the pack hook is empty"));
}

}  // namespace metagrad
