// nn::Module: names and order, slots and rebinding, clone, modes, dtype, custom subclasses.
#include <cmath>

#include "tests/nn/nn_helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::bit_equal;
using metagrad::testing::check_grads;
using metagrad::testing::names;
using metagrad::testing::randn64;
using metagrad::testing::tutorial_net;

namespace {

// The header's custom-module example: own parameter first, then the submodules'.
class ScaledMlp : public nn::Cloneable<ScaledMlp> {
 public:
  ScaledMlp(int64_t in, int64_t hidden, int64_t out)
      : fc1_(register_module("fc1", nn::Linear(in, hidden, {.dtype = kFloat64}))),
        fc2_(register_module("fc2", nn::Linear(hidden, out, {.dtype = kFloat64}))),
        scale_(register_parameter("scale", full({out}, 2.0, kFloat64))),
        calls_(register_buffer("calls", zeros({}, kInt64))) {}
  std::string type_name() const override { return "ScaledMlp"; }
  Tensor forward(const Tensor& x) override {
    Tensor calls = buffer_at(calls_);
    calls.add_(1.0);
    return module_at(fc2_)(relu(module_at(fc1_)(x))) * parameter_at(scale_);
  }

 private:
  size_t fc1_, fc2_, scale_, calls_;
};

// A subclass that forgot Cloneable.
class NotCloneable : public nn::Module {
 public:
  NotCloneable() { register_parameter("w", zeros({2})); }
};

int64_t count_elements(const TensorList& tensors) {
  int64_t n = 0;
  for (const Tensor& t : tensors) n += t.numel();
  return n;
}

}  // namespace

TEST_CASE("tutorial network: parameter and buffer names, order and counts", "[module]") {
  nn::Sequential net = tutorial_net();
  const std::vector<std::string> expected_params = {
      "0.weight", "0.bias",   "1.weight", "1.bias",   "4.weight", "4.bias",    "5.weight",
      "5.bias",   "8.weight", "8.bias",   "9.weight", "9.bias",   "13.weight", "13.bias"};
  CHECK(names(net.named_parameters()) == expected_params);
  const std::vector<std::string> expected_buffers = {
      "1.running_mean", "1.running_var", "1.num_batches_tracked",
      "5.running_mean", "5.running_var", "5.num_batches_tracked",
      "9.running_mean", "9.running_var", "9.num_batches_tracked"};
  CHECK(names(net.named_buffers()) == expected_buffers);
  // state_dict: each module's parameters, then its buffers (PyTorch order).
  const std::vector<std::string> expected_state = {"0.weight",
                                                   "0.bias",
                                                   "1.weight",
                                                   "1.bias",
                                                   "1.running_mean",
                                                   "1.running_var",
                                                   "1.num_batches_tracked",
                                                   "4.weight",
                                                   "4.bias",
                                                   "5.weight",
                                                   "5.bias",
                                                   "5.running_mean",
                                                   "5.running_var",
                                                   "5.num_batches_tracked",
                                                   "8.weight",
                                                   "8.bias",
                                                   "9.weight",
                                                   "9.bias",
                                                   "9.running_mean",
                                                   "9.running_var",
                                                   "9.num_batches_tracked",
                                                   "13.weight",
                                                   "13.bias"};
  CHECK(names(net.state_dict()) == expected_state);

  // sum(p.numel() for p in net.parameters()) of the same PyTorch network.
  const int64_t conv1 = 64 * 1 * 9 + 64, conv = 64 * 64 * 9 + 64, bn = 2 * 64, fc = 64 * 5 + 5;
  CHECK(count_elements(net.parameters()) == conv1 + 2 * conv + 3 * bn + fc);
  CHECK(count_elements(net.parameters()) == 75205);
  CHECK(net.parameters().size() == 14);
  CHECK(net.parameters(false).empty());
  CHECK(net.children().size() == 14);
  CHECK(net.named_modules().size() == 15);
  CHECK(net.named_modules()[0].first.empty());
  CHECK(net.named_modules()[14].first == "13");
  CHECK(net.get_buffer("1.num_batches_tracked").dtype() == kInt64);
  CHECK(net.get_buffer("1.num_batches_tracked").dim() == 0);
  for (const Tensor& p : net.parameters()) {
    CHECK(p.requires_grad());
    CHECK(p.is_leaf());
    CHECK(p.dtype() == kFloat32);
  }
  for (const Tensor& b : net.buffers()) CHECK_FALSE(b.requires_grad());

  Tensor logits = net(randn({3, 1, 28, 28}));
  CHECK(logits.shape() == Dims{3, 5});
}

TEST_CASE("modules print like PyTorch", "[module]") {
  nn::Sequential net(nn::Conv2d(1, 64, 3), nn::BatchNorm2d(64, {.momentum = 1.0}), nn::ReLU(),
                     nn::MaxPool2d(2, 2), nn::Flatten(), nn::Dropout(0.25),
                     nn::Linear(64, 5, false));
  CHECK(net.to_string() ==
        "Sequential(\n"
        "  (0): Conv2d(1, 64, kernel_size=(3, 3), stride=(1, 1))\n"
        "  (1): BatchNorm2d(64, eps=1e-05, momentum=1.0, affine=True, track_running_stats=True)\n"
        "  (2): ReLU()\n"
        "  (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (4): Flatten(start_dim=1, end_dim=-1)\n"
        "  (5): Dropout(p=0.25, inplace=False)\n"
        "  (6): Linear(in_features=64, out_features=5, bias=False)\n"
        ")");
  nn::Sequential outer;
  outer.push_back(nn::Sequential(nn::Tanh(), nn::Sigmoid()));
  outer.push_back(nn::Conv2d(2, 3, {3, 1}, {.stride = 2, .padding = {1, 0}, .bias = false}));
  CHECK(outer.to_string() ==
        "Sequential(\n"
        "  (0): Sequential(\n"
        "    (0): Tanh()\n"
        "    (1): Sigmoid()\n"
        "  )\n"
        "  (1): Conv2d(2, 3, kernel_size=(3, 1), stride=(2, 2), padding=(1, 0), bias=False)\n"
        ")");
  CHECK(nn::BatchNorm1d(4, {.momentum = std::nullopt, .affine = false}).to_string() ==
        "BatchNorm1d(4, eps=1e-05, momentum=None, affine=False, track_running_stats=True)");
  CHECK(nn::AvgPool2d(3, 1, 1).to_string() == "AvgPool2d(kernel_size=3, stride=1, padding=1)");
}

TEST_CASE("a rebound non-leaf weight is used by forward and gradients flow through it",
          "[module]") {
  manual_seed(3);
  nn::Linear lin(3, 2, {.dtype = kFloat64});
  const Tensor w0 = lin.weight();
  const Tensor b = lin.bias();
  const Tensor x = randn({4, 3}, kFloat64);

  // One differentiable SGD step, swapped into the layer.
  const Tensor inner = lin(x).square().sum();
  const Tensor g = grad({inner}, {w0}, {}, {.retain_graph = std::nullopt, .create_graph = true})[0];
  const Tensor w1 = w0 - 0.1 * g;
  REQUIRE_FALSE(w1.is_leaf());
  lin.set_parameter("weight", w1);
  CHECK(lin.weight().is_same(w1));
  CHECK(lin.get_parameter("weight").is_same(w1));
  CHECK(lin.parameters()[0].is_same(w1));
  const Tensor outer = lin(x).square().sum();
  CHECK(allclose(outer, linear(x, w1, b).square().sum()));

  // d outer / d w0 through the inner step, against the closed form: with r = x W^T + b,
  // L(W) = |r|^2, G(W) = 2 r^T x, W1 = W - 0.1 G(W); dL1/dW = J^T (2 r1^T x) where
  // J = I - 0.1 dG/dW, i.e. dL1/dW = M - 0.2 M x^T x with M = 2 r1^T x.
  const Tensor meta = grad({outer}, {w0}, {}, {.retain_graph = true})[0];
  {
    NoGradGuard no_grad;
    const Tensor r1 = linear(x, w1, b);
    const Tensor m = 2.0 * matmul(r1.t(), x);
    const Tensor expected = m - 0.2 * matmul(m, matmul(x.t(), x));
    CHECK(allclose(meta, expected, 1e-10, 1e-10));
  }
  // The bias (still the leaf) gets its gradient through both steps too.
  CHECK(grad({outer}, {b})[0].defined());

  // The same map, checked numerically to second order through the module's slots.
  check_grads(
      [&](const TensorList& in) {
        EnableGradGuard enable_grad;  // the inner step needs a graph even in numerical passes
        lin.set_parameter("weight", in[0]);
        const Tensor l0 = lin(x).square().sum();
        const Tensor gw =
            grad({l0}, {in[0]}, {}, {.retain_graph = std::nullopt, .create_graph = true})[0];
        lin.set_parameter("weight", in[0] - 0.1 * gw);
        return TensorList{lin(x).square().sum()};
      },
      {randn64({2, 3}, 7)});
}

TEST_CASE("set_parameters and set_buffers rebind every slot in listing order", "[module]") {
  nn::Sequential net(nn::Linear(2, 3), nn::BatchNorm1d(3), nn::Linear(3, 1));
  const TensorList old = net.parameters();
  TensorList next;
  for (const Tensor& p : old) next.push_back(p * 1.0);  // non-leaves with history
  net.set_parameters(next);
  const TensorList now = net.parameters();
  REQUIRE(now.size() == next.size());
  for (size_t i = 0; i < now.size(); ++i) CHECK(now[i].is_same(next[i]));
  const Tensor loss = net(randn({5, 2})).sum();
  const TensorList grads = grad({loss}, old);
  for (const Tensor& gr : grads) CHECK(gr.defined());

  TensorList buffers = net.buffers();
  REQUIRE(buffers.size() == 3);
  buffers[0] = full({3}, 0.5);
  net.set_buffers(buffers);
  CHECK(net.get_buffer("1.running_mean").is_same(buffers[0]));

  CHECK_THROWS_WITH(net.set_parameters({next[0]}), MG_CONTAINS("has 6 parameters, got 1"));
  CHECK_THROWS_WITH(net.set_parameter("0.weight", zeros({2, 3})),
                    MG_CONTAINS("\"0.weight\"") && MG_CONTAINS("shape [3, 2]"));
  CHECK_THROWS_WITH(net.set_parameter("0.weight", zeros({3, 2}, kFloat64)),
                    MG_CONTAINS("float32") && MG_CONTAINS("float64"));
  CHECK_THROWS_WITH(net.set_parameter("0.weights", zeros({3, 2})),
                    MG_CONTAINS("no parameter \"0.weights\"") && MG_CONTAINS("0.weight, 0.bias"));
  CHECK_THROWS_WITH(net.set_buffer("7.running_mean", zeros({3})),
                    MG_CONTAINS("no buffer \"7.running_mean\""));
  CHECK(net.get_parameter("0.weight").is_same(next[0]));  // failed calls changed nothing

  // A submodule registered twice is listed once (its slots are the same slots).
  auto shared = std::make_shared<nn::Linear>(2, 2);
  nn::Sequential tied(shared, nn::Tanh(), shared);
  CHECK(tied.parameters().size() == 2);
  CHECK(names(tied.named_parameters()) == std::vector<std::string>{"0.weight", "0.bias"});
  CHECK(names(tied.state_dict()) ==
        std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  CHECK(tied.named_modules().size() == 3);

  // A tensor held by two slots of different layers is listed once and rebound in both.
  nn::Sequential two(nn::Linear(2, 2), nn::Tanh(), nn::Linear(2, 2));
  two.set_parameter("2.weight", two.get_parameter("0.weight"));
  CHECK(names(two.named_parameters()) == std::vector<std::string>{"0.weight", "0.bias", "2.bias"});
  const Tensor w = zeros({2, 2});
  two.set_parameters({w, zeros({2}), zeros({2})});
  CHECK(two.get_parameter("0.weight").is_same(w));
  CHECK(two.get_parameter("2.weight").is_same(w));
}

TEST_CASE("clone and copies are deep and independent", "[module]") {
  manual_seed(11);
  nn::Sequential net(nn::Linear(3, 4), nn::BatchNorm1d(4), nn::ReLU(), nn::Linear(4, 2));
  net.get_parameter("3.bias").set_requires_grad(false);
  std::shared_ptr<nn::Module> copy = net.clone();
  REQUIRE(dynamic_cast<nn::Sequential*>(copy.get()) != nullptr);
  CHECK(copy->to_string() == net.to_string());
  const nn::NamedTensors a = net.named_parameters(), b = copy->named_parameters();
  REQUIRE(names(a) == names(b));
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(bit_equal(a[i].second, b[i].second));
    CHECK(b[i].second.is_leaf());
    CHECK(b[i].second.requires_grad() == a[i].second.requires_grad());
    CHECK(b[i].second.storage() != a[i].second.storage());
  }
  CHECK_FALSE(copy->get_parameter("3.bias").requires_grad());
  const Tensor x = randn({6, 3});
  CHECK(bit_equal((*copy)(x), net(x)));

  // Training the copy changes neither the original's parameters nor its buffers.
  const nn::NamedTensors before = metagrad::testing::snapshot(net);
  {
    NoGradGuard no_grad;
    for (Tensor p : copy->parameters()) p.add_(1.0);
  }
  (*copy)(x);
  CHECK(metagrad::testing::same_state(net, before));
  CHECK_FALSE(bit_equal(copy->get_buffer("1.running_mean"), net.get_buffer("1.running_mean")));

  // A rebound (non-leaf) slot clones to a leaf with the same values.
  nn::Linear lin(2, 2);
  lin.set_parameter("weight", lin.weight() * 2.0);
  nn::Linear lin_copy = lin;
  CHECK(lin_copy.weight().is_leaf());
  CHECK(lin_copy.weight().requires_grad());
  CHECK(bit_equal(lin_copy.weight(), lin.weight()));
  CHECK(lin_copy.is_training());
  lin.eval();
  CHECK_FALSE(nn::Linear(lin).is_training());

  // Moves keep the tensors.
  const Tensor w = lin.weight();
  nn::Linear moved = std::move(lin);
  CHECK(moved.weight().is_same(w));

  CHECK_THROWS_WITH(NotCloneable().clone(),
                    MG_CONTAINS("NotCloneable") && MG_CONTAINS("nn::Cloneable<NotCloneable>"));
}

TEST_CASE("a custom subclassed module registers, runs, clones and rebinds", "[module]") {
  manual_seed(5);
  ScaledMlp net(3, 4, 2);
  CHECK(names(net.named_parameters()) ==
        std::vector<std::string>{"scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"});
  CHECK(names(net.state_dict()) == std::vector<std::string>{"scale", "calls", "fc1.weight",
                                                            "fc1.bias", "fc2.weight", "fc2.bias"});
  const Tensor x = randn({5, 3}, kFloat64);
  nn::Linear& fc1 = dynamic_cast<nn::Linear&>(net.get_submodule("fc1"));
  nn::Linear& fc2 = dynamic_cast<nn::Linear&>(net.get_submodule("fc2"));
  const Tensor expected =
      linear(relu(linear(x, fc1.weight(), fc1.bias())), fc2.weight(), fc2.bias()) * 2.0;
  CHECK(allclose(net(x), expected));
  CHECK(net.get_buffer("calls").item<int64_t>() == 1);
  CHECK(net.to_string() ==
        "ScaledMlp(\n"
        "  (fc1): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (fc2): Linear(in_features=4, out_features=2, bias=True)\n"
        ")");

  // Gradients reach every parameter, including the own one.
  const TensorList params = net.parameters();
  const TensorList grads = grad({net(x).sum()}, params);
  for (const Tensor& gr : grads) CHECK(gr.defined());

  std::shared_ptr<nn::Module> copy = net.clone();
  CHECK(dynamic_cast<ScaledMlp*>(copy.get()) != nullptr);
  CHECK(allclose((*copy)(x), net(x)));
  copy->set_parameter("scale", full({2}, 3.0, kFloat64));
  CHECK(allclose((*copy)(x), net(x) * 1.5));
  copy->set_parameter("fc2.bias", zeros({2}, kFloat64));
  CHECK(net.get_parameter("fc2.bias").is_same(fc2.bias()));
  CHECK(bit_equal(net.get_buffer("calls"), scalar_tensor(4, kInt64)));
  CHECK(copy->get_buffer("calls").item<int64_t>() == 4);
}

TEST_CASE("registration rejects bad and repeated names", "[module]") {
  struct Bad : nn::Cloneable<Bad> {
    explicit Bad(int which) {
      register_parameter("w", zeros({1}));
      if (which == 0) register_parameter("w", zeros({1}));
      if (which == 1) register_buffer("w", zeros({1}));
      if (which == 2) register_module("w", nn::ReLU());
      if (which == 3) register_parameter("a.b", zeros({1}));
      if (which == 4) register_buffer("", zeros({1}));
      if (which == 5) register_module("m", std::shared_ptr<nn::Module>());
      if (which == 6) register_parameter("i", zeros({1}, kInt64));
    }
  };
  CHECK_THROWS_WITH(Bad(0),
                    MG_CONTAINS("already has a parameter, buffer or submodule named \"w\""));
  CHECK_THROWS_WITH(Bad(1), MG_CONTAINS("named \"w\""));
  CHECK_THROWS_WITH(Bad(2), MG_CONTAINS("named \"w\""));
  CHECK_THROWS_WITH(Bad(3), MG_CONTAINS("can't contain \".\""));
  CHECK_THROWS_WITH(Bad(4), MG_CONTAINS("empty string"));
  CHECK_THROWS_WITH(Bad(5), MG_CONTAINS("is null"));
  CHECK_THROWS_AS(Bad(6), Error);  // an int64 tensor cannot require grad
  CHECK_NOTHROW(Bad(7));
  CHECK_THROWS_WITH(nn::Module().forward(zeros({1})), MG_CONTAINS("does not implement forward"));
  nn::Sequential net(nn::Linear(1, 1));
  CHECK_THROWS_WITH(net.get_submodule("0.1"), MG_CONTAINS("no submodule \"0.1\""));
  CHECK_THROWS_WITH(net[1], MG_CONTAINS("index 1 is out of range for 1 layers"));
  CHECK_THROWS_WITH(net.at<nn::ReLU>(0), MG_CONTAINS("layer 0 is a Linear"));
  CHECK(net.at<nn::Linear>(0).in_features() == 1);
  CHECK(&net.get_submodule("") == &net);
  CHECK_FALSE(net.has_parameter("0.weight.x"));
  CHECK(net.has_parameter("0.weight"));
  CHECK_FALSE(nn::Linear(1, 1, false).has_parameter("bias"));
}

TEST_CASE("train and eval switch every submodule", "[module]") {
  nn::Sequential net(nn::Linear(2, 2), nn::Sequential(nn::Dropout(0.5), nn::BatchNorm1d(2)));
  for (const auto& [name, m] : net.named_modules()) CHECK(m->is_training());
  net.eval();
  for (const auto& [name, m] : net.named_modules()) CHECK_FALSE(m->is_training());
  net.train();
  for (const auto& [name, m] : net.named_modules()) CHECK(m->is_training());
  net.get_submodule("1").train(false);
  CHECK(net.is_training());
  CHECK(net.get_submodule("0").is_training());
  CHECK_FALSE(net.get_submodule("1.0").is_training());
  int visited = 0;
  net.apply([&](nn::Module& m) {
    ++visited;
    m.train(true);
  });
  CHECK(visited == 5);
  CHECK(net.get_submodule("1.1").is_training());
}

TEST_CASE("to(dtype) converts floating slots and keeps integer buffers", "[module]") {
  manual_seed(2);
  nn::Sequential net(nn::Linear(3, 2), nn::BatchNorm1d(2));
  net.get_parameter("0.bias").set_requires_grad(false);
  const Tensor w32 = net.get_parameter("0.weight");
  const Tensor counter = net.get_buffer("1.num_batches_tracked");
  net.to(kFloat64);
  for (const Tensor& p : net.parameters()) {
    CHECK(p.dtype() == kFloat64);
    CHECK(p.is_leaf());
  }
  CHECK(net.get_parameter("0.weight").requires_grad());
  CHECK_FALSE(net.get_parameter("0.bias").requires_grad());
  CHECK(net.get_buffer("1.running_var").dtype() == kFloat64);
  CHECK(net.get_buffer("1.num_batches_tracked").is_same(counter));
  CHECK(allclose(net.get_parameter("0.weight"), w32.to(kFloat64)));
  CHECK(net(randn({4, 3}, kFloat64)).dtype() == kFloat64);
  const Tensor w64 = net.get_parameter("0.weight");
  net.to(kFloat64);
  CHECK(net.get_parameter("0.weight").is_same(w64));
  net.to(kCPU);
  CHECK(net.get_parameter("0.weight").is_same(w64));
}

TEST_CASE("zero_grad clears or zeroes the gradients", "[module]") {
  nn::Sequential net(nn::Linear(3, 2), nn::Tanh(), nn::Linear(2, 1));
  net(randn({4, 3})).sum().backward();
  for (const Tensor& p : net.parameters()) REQUIRE(p.grad().defined());
  const Tensor g0 = net.get_parameter("0.weight").grad();
  net.zero_grad(false);
  for (const Tensor& p : net.parameters()) {
    REQUIRE(p.grad().defined());
    CHECK(p.grad().abs().sum().item<double>() == 0.0);
  }
  CHECK(net.get_parameter("0.weight").grad().is_same(g0));  // zeroed in place
  net.zero_grad();
  for (const Tensor& p : net.parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("replace_module swaps a submodule in place, by dotted path", "[module]") {
  nn::Sequential net(nn::Linear(4, 8), nn::ReLU(),
                     nn::Sequential(nn::Linear(8, 8), nn::Tanh(), nn::Linear(8, 3)));
  // A new head, as PyTorch's `net[2][2] = nn.Linear(8, 5)`.
  const auto old_head = net.replace_module("2.2", std::make_shared<nn::Linear>(8, 5));
  CHECK(dynamic_cast<nn::Linear&>(*old_head).out_features() == 3);
  CHECK(net(ones({2, 4})).shape() == Dims{2, 5});
  CHECK(testing::names(net.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "2.0.weight", "2.0.bias", "2.2.weight",
                                 "2.2.bias"});
  net.replace_module("1", std::make_shared<nn::Tanh>());
  CHECK(net[1].type_name() == "Tanh");
  CHECK_THROWS_WITH(net.replace_module("2.7", std::make_shared<nn::ReLU>()),
                    Catch::Contains("replace_module: Sequential has no submodule \"2.7\"") &&
                        Catch::Contains("its submodules are: 0, 1, 2, 2.0, 2.1, 2.2"));
  CHECK_THROWS_WITH(net.replace_module("0", nullptr),
                    Catch::Contains("the new module for \"0\" is null"));
  // A module that holds the slot's owner would make a cycle.
  auto inner = std::make_shared<nn::Sequential>(nn::ReLU());
  auto outer = std::make_shared<nn::Sequential>(inner);
  CHECK_THROWS_WITH(inner->replace_module("0", outer),
                    Catch::Contains("contains the Sequential that would hold it (as \"0\")"));
  CHECK(inner->size() == 1);
  CHECK((*inner)[0].type_name() == "ReLU");
}
