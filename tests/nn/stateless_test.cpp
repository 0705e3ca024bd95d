// swap_state and reparametrize (torchopt.nn.stateless): a module called with swapped-in tensors,
// gradients to them, the previous tensors back (also when an exception leaves the scope), missing
// names, and failed swaps that leave the module unchanged.
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;

namespace {

using V = std::vector<double>;

// A float64 leaf requiring grad.
Tensor leaf(const V& values, const Dims& shape) {
  return tensor(values, shape, kFloat64).requires_grad_(true);
}

// Linear(2 -> 1) then BatchNorm1d(1), float64, in eval mode (the running statistics are used).
nn::Sequential small_net() {
  nn::Sequential net(nn::Linear(2, 1, {.dtype = kFloat64}),
                     nn::BatchNorm1d(1, {.dtype = kFloat64}));
  net.eval();
  return net;
}

const Tensor kX = tensor({1.0, 2.0, 3.0, 4.0}, {2, 2}, kFloat64);

}  // namespace

TEST_CASE("swap_state: a functional call with gradients to the swapped-in tensors", "[nn]") {
  nn::Sequential net = small_net();
  const Tensor weight = net.get_parameter("0.weight"), bias = net.get_parameter("0.bias");
  const Tensor w = leaf({3.0, -1.0}, {1, 2}), b = leaf({0.5}, {1});
  const nn::NamedTensors previous = nn::swap_state(net, {{"0.weight", w}, {"0.bias", b}});
  REQUIRE(previous.size() == 2);
  CHECK(previous[0].first == "0.weight");
  CHECK(previous[0].second.is_same(weight));
  CHECK(previous[1].first == "0.bias");
  CHECK(previous[1].second.is_same(bias));
  CHECK(net.get_parameter("0.weight").is_same(w));

  // Rows x_i: w . x_i + b = 1.5 and 5.5; BatchNorm (mean 0, var 1) divides by sqrt(1 + 1e-5).
  const double scale = 1.0 / std::sqrt(1.0 + 1e-5);
  const Tensor y = net(kX).sum();
  CHECK(y.item<double>() == Approx(7.0 * scale).epsilon(1e-12));
  const TensorList g = grad({y}, {w, b});
  CHECK(allclose(g[0], tensor({4.0 * scale, 6.0 * scale}, {1, 2}, kFloat64)));
  CHECK(allclose(g[1], tensor({2.0 * scale}, kFloat64)));

  // Swapping the result back restores the module's own tensors.
  const nn::NamedTensors swapped = nn::swap_state(net, previous);
  CHECK(swapped[0].second.is_same(w));
  CHECK(swapped[1].second.is_same(b));
  CHECK(net.get_parameter("0.weight").is_same(weight));
  CHECK(net.get_parameter("0.bias").is_same(bias));
}

TEST_CASE("reparametrize swaps back on scope exit, also on an exception", "[nn]") {
  nn::Sequential net = small_net();
  const Tensor weight = net.get_parameter("0.weight");
  const Tensor mean = net.get_buffer("1.running_mean");
  const Tensor w = leaf({3.0, -1.0}, {1, 2}), m = tensor({1.0}, kFloat64);
  const double plain = net(kX).sum().item<double>();
  {
    nn::reparametrize scope(net, {{"0.weight", w}, {"1.running_mean", m}});
    CHECK(&scope.module() == &net);
    CHECK(net.get_parameter("0.weight").is_same(w));
    CHECK(net.get_buffer("1.running_mean").is_same(m));
  }
  CHECK(net.get_parameter("0.weight").is_same(weight));
  CHECK(net.get_buffer("1.running_mean").is_same(mean));

  // The buffer is used: a running mean of 1 lowers each of the 2 outputs by 1 / sqrt(1 + eps).
  {
    nn::reparameterize scope(net, {{"1.running_mean", m}});
    CHECK(net(kX).sum().item<double>() ==
          Approx(plain - 2.0 / std::sqrt(1.0 + 1e-5)).epsilon(1e-12));
  }
  CHECK(net(kX).sum().item<double>() == plain);

  try {
    nn::reparametrize scope(net, {{"0.weight", w}});
    throw std::runtime_error("leaves the scope");
  } catch (const std::runtime_error&) {
  }
  CHECK(net.get_parameter("0.weight").is_same(weight));
}

TEST_CASE("swap_state: missing names and failed swaps", "[nn]") {
  nn::Sequential net = small_net();
  const Tensor weight = net.get_parameter("0.weight"), bias = net.get_parameter("0.bias");
  const Tensor w = leaf({3.0, -1.0}, {1, 2});

  // A failed swap changes nothing: a bad tensor after a good one, an unknown name after a good one.
  CHECK_THROWS_WITH(nn::swap_state(net, {{"0.weight", w}, {"0.bias", leaf({1.0, 2.0}, {2})}}),
                    MG_CONTAINS("swap_state: set_parameter: slot \"0.bias\" holds a tensor of "
                                "shape [1], the new tensor has shape [2]"));
  CHECK(net.get_parameter("0.weight").is_same(weight));
  CHECK(net.get_parameter("0.bias").is_same(bias));
  CHECK_THROWS_WITH(nn::swap_state(net, {{"0.weight", w}, {"0.scale", w}}),
                    MG_CONTAINS("swap_state: Sequential has no parameter or buffer \"0.scale\""));
  CHECK(net.get_parameter("0.weight").is_same(weight));
  CHECK_THROWS_WITH(nn::swap_state(net, {{"2.weight", w}}, true),
                    MG_CONTAINS("swap_state: Sequential has no submodule \"2\""));

  // allow_missing: the missing name is skipped and comes back undefined (TorchOpt's MISSING);
  // swapping the result back skips it again.
  const nn::NamedTensors previous =
      nn::swap_state(net, {{"0.scale", w}, {"0.weight", w}}, /*allow_missing=*/true);
  REQUIRE(previous.size() == 2);
  CHECK(previous[0].first == "0.scale");
  CHECK_FALSE(previous[0].second.defined());
  CHECK(previous[1].second.is_same(weight));
  CHECK(net.get_parameter("0.weight").is_same(w));
  CHECK_FALSE(net.has_parameter("0.scale"));
  nn::swap_state(net, previous, true);
  CHECK(net.get_parameter("0.weight").is_same(weight));
}
