// Layers: default initialisation, forward against the functional ops, BatchNorm modes, init.
#include <algorithm>
#include <cmath>

#include "tests/nn/nn_helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::bit_equal;

namespace {

struct Stats {
  double min, max, mean, std;
};

Stats stats_of(const Tensor& t) {
  const std::vector<double> v = t.to_vector<double>();
  Stats s{v[0], v[0], 0.0, 0.0};
  for (double x : v) {
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
    s.mean += x;
  }
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / static_cast<double>(v.size() - 1));
  return s;
}

// Checks that t looks like U(-bound, bound): inside the bounds, reaching near both ends, with the
// uniform's mean and standard deviation (bound / sqrt(3)) within sampling error.
void check_uniform(const Tensor& t, double bound) {
  const Stats s = stats_of(t);
  const double n = static_cast<double>(t.numel());
  const double sd = bound / std::sqrt(3.0);
  CHECK(s.min >= -bound);
  CHECK(s.max <= bound);
  CHECK(s.min < -0.9 * bound);
  CHECK(s.max > 0.9 * bound);
  CHECK(std::abs(s.mean) < 5.0 * sd / std::sqrt(n));
  CHECK(s.std == Approx(sd).epsilon(0.05));
}

}  // namespace

TEST_CASE("default initialisation follows PyTorch's bounds", "[module]") {
  manual_seed(0);
  nn::Linear lin(100, 300);
  check_uniform(lin.weight(), 1.0 / std::sqrt(100.0));
  check_uniform(lin.bias(), 1.0 / std::sqrt(100.0));
  CHECK(lin.weight().shape() == Dims{300, 100});
  CHECK(lin.bias().shape() == Dims{300});
  // One input feature (the sinusoid MLP's first layer): bound 1.
  nn::Linear narrow(1, 2000);
  check_uniform(narrow.weight(), 1.0);
  check_uniform(narrow.bias(), 1.0);

  nn::Conv2d conv(16, 64, 3);
  CHECK(conv.weight().shape() == Dims{64, 16, 3, 3});
  check_uniform(conv.weight(), 1.0 / std::sqrt(16.0 * 9.0));
  CHECK(stats_of(conv.bias()).max <= 1.0 / 12.0);
  CHECK(stats_of(conv.bias()).min >= -1.0 / 12.0);
  nn::Conv2d rect(2, 3, {3, 5}, {.bias = false, .dtype = kFloat64});
  CHECK(rect.weight().shape() == Dims{3, 2, 3, 5});
  CHECK(rect.weight().dtype() == kFloat64);
  CHECK(stats_of(rect.weight()).max <= 1.0 / std::sqrt(30.0));
  CHECK_FALSE(rect.bias().defined());
  CHECK(rect.parameters().size() == 1);

  nn::BatchNorm2d bn(8);
  CHECK(bit_equal(bn.get_parameter("weight"), ones({8})));
  CHECK(bit_equal(bn.get_parameter("bias"), zeros({8})));
  CHECK(bit_equal(bn.get_buffer("running_mean"), zeros({8})));
  CHECK(bit_equal(bn.get_buffer("running_var"), ones({8})));
  CHECK(bit_equal(bn.get_buffer("num_batches_tracked"), zeros({}, kInt64)));
  nn::BatchNorm2d plain(8, {.affine = false, .track_running_stats = false});
  CHECK(plain.parameters().empty());
  CHECK(plain.buffers().empty());
  CHECK(plain.state_dict().empty());

  // Seeded: the default generator after manual_seed, or an explicit generator, repeat exactly.
  manual_seed(42);
  nn::Linear a(5, 4);
  manual_seed(42);
  nn::Linear b(5, 4);
  CHECK(bit_equal(a.weight(), b.weight()));
  CHECK(bit_equal(a.bias(), b.bias()));
  Generator g1(9), g2(9);
  nn::Linear c(5, 4, {.generator = &g1});
  nn::Linear d(5, 4, {.generator = &g2});
  CHECK(bit_equal(c.weight(), d.weight()));
  CHECK_FALSE(bit_equal(c.weight(), a.weight()));
}

TEST_CASE("init functions use torch.nn.init's formulas", "[module]") {
  using namespace nn::init;
  CHECK(calculate_gain(Nonlinearity::Linear) == 1.0);
  CHECK(calculate_gain(Nonlinearity::Sigmoid) == 1.0);
  CHECK(calculate_gain(Nonlinearity::Tanh) == Approx(5.0 / 3.0));
  CHECK(calculate_gain(Nonlinearity::ReLU) == Approx(std::sqrt(2.0)));
  CHECK(calculate_gain(Nonlinearity::LeakyReLU) == Approx(std::sqrt(2.0 / (1.0 + 1e-4))));
  CHECK(calculate_gain(Nonlinearity::LeakyReLU, std::sqrt(5.0)) == Approx(std::sqrt(1.0 / 3.0)));
  CHECK(calculate_gain(Nonlinearity::SELU) == 0.75);
  CHECK(calculate_fan_in_and_fan_out(zeros({7, 3, 2, 5})) == std::pair<int64_t, int64_t>{30, 70});
  CHECK_THROWS_WITH(calculate_fan_in_and_fan_out(zeros({7})),
                    MG_CONTAINS("fewer than 2 dimensions"));

  Generator gen(1);
  Tensor w = empty({200, 300}, kFloat64);
  xavier_uniform_(w, 2.0, &gen);
  check_uniform(w, 2.0 * std::sqrt(6.0 / 500.0));
  xavier_normal_(w, 1.0, &gen);
  CHECK(stats_of(w).std == Approx(std::sqrt(2.0 / 500.0)).epsilon(0.03));
  kaiming_uniform_(w, 0.0, FanMode::FanOut, Nonlinearity::ReLU, &gen);
  check_uniform(w, std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(200.0));
  kaiming_normal_(w, 0.0, FanMode::FanIn, Nonlinearity::ReLU, &gen);
  CHECK(stats_of(w).std == Approx(std::sqrt(2.0 / 300.0)).epsilon(0.03));
  normal_(w, 3.0, 0.5, &gen);
  CHECK(stats_of(w).mean == Approx(3.0).epsilon(0.01));
  CHECK(stats_of(w).std == Approx(0.5).epsilon(0.03));
  uniform_(w, 2.0, 4.0, &gen);
  CHECK(stats_of(w).min >= 2.0);
  CHECK(stats_of(w).max <= 4.0);
  CHECK(bit_equal(constant_(w, 1.5), full({200, 300}, 1.5, kFloat64)));

  // On a leaf that requires grad: values change, the leaf stays a leaf.
  Tensor p = zeros({3, 4}).requires_grad_();
  ones_(p);
  CHECK(p.is_leaf());
  CHECK(p.requires_grad());
  CHECK(bit_equal(p.detach(), ones({3, 4})));
  zeros_(p);
  CHECK(p.sum().item<double>() == 0.0);
  CHECK_THROWS_WITH(uniform_(zeros({2}, kInt64)), MG_CONTAINS("float32 or float64"));
}

TEST_CASE("Linear and Conv2d compute what their functional ops compute", "[module]") {
  manual_seed(4);
  nn::Linear lin(4, 3, {.dtype = kFloat64});
  const Tensor x = randn({2, 5, 4}, kFloat64);
  CHECK(allclose(lin(x), matmul(x, lin.weight().t()) + lin.bias()));
  CHECK(lin(x).shape() == Dims{2, 5, 3});
  nn::Linear nobias(4, 3, false);
  CHECK(nobias(randn({2, 4})).shape() == Dims{2, 3});
  CHECK(nobias.parameters().size() == 1);

  nn::Conv2d conv(2, 3, 3, {.stride = 2, .padding = 1, .dtype = kFloat64});
  const Tensor img = randn({2, 2, 7, 7}, kFloat64);
  const Tensor y = conv(img);
  CHECK(y.shape() == Dims{2, 3, 4, 4});
  CHECK(allclose(y, conv2d(img, conv.weight(), conv.bias(), 2, 1)));
  // One output pixel by hand: y[1, 2, 1, 1] = b[2] + sum w[2, c, i, j] img[1, c, 1 + i, 1 + j].
  const auto wv = conv.weight().to_vector<double>(), iv = img.to_vector<double>();
  double expected = conv.bias().to_vector<double>()[2];
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        expected += wv[((2 * 2 + c) * 3 + i) * 3 + j] * iv[((1 * 2 + c) * 7 + 1 + i) * 7 + 1 + j];
  CHECK(y.to_vector<double>()[(1 * 3 + 2) * 16 + 1 * 4 + 1] == Approx(expected).epsilon(1e-12));
}

TEST_CASE("BatchNorm uses batch statistics in training and running ones in eval", "[module]") {
  manual_seed(8);
  nn::BatchNorm2d bn(3, {.momentum = 0.25, .dtype = kFloat64});
  const Tensor x = randn({4, 3, 5, 5}, kFloat64) * 3.0 + 2.0;
  const Tensor y = bn(x);
  // Training: each channel of the output has mean 0 and biased variance 1 (weight 1, bias 0).
  const Tensor ch_mean = y.mean({0, 2, 3});
  const Tensor ch_var = y.var({0, 2, 3}, false);
  CHECK(allclose(ch_mean, zeros({3}, kFloat64), 0, 1e-12));
  CHECK(allclose(ch_var, ones({3}, kFloat64), 1e-4, 0));
  // Running stats: 0.75 * init + 0.25 * batch stat (unbiased variance); counter 1.
  const Tensor mu = x.mean({0, 2, 3}), var_unbiased = x.var({0, 2, 3}, true);
  CHECK(allclose(bn.get_buffer("running_mean"), 0.25 * mu, 1e-12, 1e-14));
  CHECK(allclose(bn.get_buffer("running_var"), 0.75 + 0.25 * var_unbiased, 1e-12, 1e-14));
  CHECK(bn.get_buffer("num_batches_tracked").item<int64_t>() == 1);

  // Eval: running statistics, no update, no counting.
  bn.eval();
  const Tensor rm = bn.get_buffer("running_mean").clone();
  const Tensor rv = bn.get_buffer("running_var").clone();
  const Tensor z = bn(x);
  const Tensor expected = (x - rm.reshape({1, 3, 1, 1})) / sqrt(rv.reshape({1, 3, 1, 1}) + 1e-5);
  CHECK(allclose(z, expected, 1e-10, 1e-12));
  CHECK(bit_equal(bn.get_buffer("running_mean"), rm));
  CHECK(bn.get_buffer("num_batches_tracked").item<int64_t>() == 1);

  // Momentum 1 (the tutorial's) keeps the last batch's statistics.
  nn::BatchNorm2d last(3, {.momentum = 1.0, .dtype = kFloat64});
  last(x);
  CHECK(allclose(last.get_buffer("running_mean"), mu, 1e-12, 1e-14));
  CHECK(allclose(last.get_buffer("running_var"), var_unbiased, 1e-12, 1e-14));
  // momentum None: cumulative average of the batches seen.
  nn::BatchNorm1d cumulative(2, {.momentum = std::nullopt, .dtype = kFloat64});
  const Tensor a = randn({6, 2}, kFloat64), b = randn({6, 2}, kFloat64) + 1.0;
  cumulative(a);
  cumulative(b);
  CHECK(allclose(cumulative.get_buffer("running_mean"), (a.mean({0}) + b.mean({0})) * 0.5, 1e-12,
                 1e-14));
  CHECK(cumulative.get_buffer("num_batches_tracked").item<int64_t>() == 2);
  // Without running statistics: batch statistics in eval too.
  nn::BatchNorm1d stateless(2, {.track_running_stats = false, .dtype = kFloat64});
  stateless.eval();
  CHECK(allclose(stateless(a).mean({0}), zeros({2}, kFloat64), 0, 1e-12));
  // BatchNorm1d also takes [N, C, L].
  CHECK(nn::BatchNorm1d(2)(randn({3, 2, 4})).shape() == Dims{3, 2, 4});

  CHECK_THROWS_WITH(bn(randn({3, 5}, kFloat64)), MG_CONTAINS("BatchNorm2d: expected 4D input"));
  CHECK_THROWS_WITH(cumulative(randn({3, 2, 2, 2}, kFloat64)),
                    MG_CONTAINS("expected 2D or 3D input (got 4D input"));
  CHECK_THROWS_WITH(last(randn({2, 4, 3, 3}, kFloat64)), MG_CONTAINS("4 channels"));
  CHECK_THROWS_WITH(nn::BatchNorm2d(0), MG_CONTAINS("BatchNorm2d: num_features must be positive"));
}

TEST_CASE("parameter-free layers and Sequential", "[module]") {
  const Tensor x = tensor({-1.0, 0.5, 2.0, -3.0}, {2, 2}, kFloat64);
  CHECK(allclose(nn::ReLU()(x), tensor({0.0, 0.5, 2.0, 0.0}, {2, 2}, kFloat64)));
  CHECK(allclose(nn::Tanh()(x), tanh(x)));
  CHECK(allclose(nn::Sigmoid()(x), sigmoid(x)));
  CHECK(nn::Flatten()(zeros({2, 3, 4, 5})).shape() == Dims{2, 60});
  CHECK(nn::Flatten(0, 1)(zeros({2, 3, 4})).shape() == Dims{6, 4});

  Generator gen(3);
  nn::Dropout drop(0.5, &gen);
  const Tensor big = ones({1000}, kFloat64);
  const auto dropped = drop(big).to_vector<double>();
  const auto zeros_count = std::count(dropped.begin(), dropped.end(), 0.0);
  CHECK(zeros_count > 400);
  CHECK(zeros_count < 600);
  CHECK(std::count(dropped.begin(), dropped.end(), 2.0) == 1000 - zeros_count);
  drop.eval();
  CHECK(drop(big).is_same(big));
  CHECK_THROWS_WITH(nn::Dropout(1.5), MG_CONTAINS("between 0 and 1, but got 1.5"));

  const Tensor img = arange(16.0, kFloat64).reshape({1, 1, 4, 4});
  CHECK(allclose(nn::MaxPool2d(2)(img), tensor({5, 7, 13, 15}, {1, 1, 2, 2}, kFloat64)));
  CHECK(allclose(nn::AvgPool2d(2)(img), tensor({2.5, 4.5, 10.5, 12.5}, {1, 1, 2, 2}, kFloat64)));
  CHECK(nn::MaxPool2d(3, 1, 1)(img).shape() == Dims{1, 1, 4, 4});
  CHECK_THROWS_WITH(nn::MaxPool2d(0), MG_CONTAINS("kernel_size must be positive"));

  // Layers given by value are moved in; shared_ptrs are shared.
  auto shared = std::make_shared<nn::Linear>(2, 2, nn::LinearOptions{.dtype = kFloat64});
  nn::Linear by_value(2, 2, {.dtype = kFloat64});
  nn::Sequential net(shared, nn::Tanh(), by_value);
  CHECK(net.size() == 3);
  CHECK(&net[0] == shared.get());
  CHECK(net.at<nn::Linear>(2).weight().storage() != by_value.weight().storage());  // deep copy
  CHECK(bit_equal(net.at<nn::Linear>(2).weight(), by_value.weight()));
  CHECK(allclose(net(x), by_value(tanh((*shared)(x)))));
  net.push_back(nn::ReLU());
  CHECK(net.size() == 4);
  CHECK(net.named_children()[3].first == "3");
  // A single Sequential argument copies or moves it (deep copy).
  nn::Sequential copy(net);
  CHECK(copy.size() == 4);
  CHECK(&copy[0] != shared.get());
  nn::Sequential empty_net;
  CHECK(empty_net(x).is_same(x));
}

TEST_CASE("activation layers compute their functional ops and print as PyTorch's", "[module]") {
  const Tensor x = tensor({-2.0, -0.5, 0.0, 0.7, 3.0, 30.0}, {2, 3}, kFloat64);
  CHECK(allclose(nn::GELU()(x), gelu(x)));
  CHECK(allclose(nn::GELU(GeluApproximate::Tanh)(x), gelu(x, GeluApproximate::Tanh)));
  CHECK(!allclose(gelu(x), gelu(x, GeluApproximate::Tanh), 1e-6));
  CHECK(allclose(nn::SiLU()(x), x * sigmoid(x)));
  CHECK(allclose(nn::Mish()(x), mish(x)));
  CHECK(allclose(nn::Softplus(2.0, 5.0)(x), softplus(x, 2.0, 5.0)));
  CHECK(allclose(nn::LogSigmoid()(x), log(sigmoid(x))));
  CHECK(allclose(nn::ELU(0.5)(x), elu(x, 0.5)));
  CHECK(allclose(nn::SELU()(x), selu(x)));
  CHECK(allclose(nn::LeakyReLU(0.1)(x),
                 tensor({-0.2, -0.05, 0.0, 0.7, 3.0, 30.0}, {2, 3}, kFloat64)));
  CHECK(allclose(nn::Softmax(1)(x), softmax(x, 1)));
  CHECK(allclose(nn::LogSoftmax(0)(x), log_softmax(x, 0)));
  CHECK(nn::Identity()(x).is_same(x));
  CHECK(nn::GELU().to_string() == "GELU(approximate='none')");
  CHECK(nn::GELU(GeluApproximate::Tanh).to_string() == "GELU(approximate='tanh')");
  CHECK(nn::SiLU().to_string() == "SiLU()");
  CHECK(nn::Softplus().to_string() == "Softplus(beta=1.0, threshold=20.0)");
  CHECK(nn::ELU().to_string() == "ELU(alpha=1.0)");
  CHECK(nn::LeakyReLU().to_string() == "LeakyReLU(negative_slope=0.01)");
  CHECK(nn::Softmax(-1).to_string() == "Softmax(dim=-1)");
  CHECK(nn::Identity().to_string() == "Identity()");
  CHECK_THROWS_WITH(nn::Softplus(0.0), MG_CONTAINS("Softplus: beta must be finite and non-zero"));
}

TEST_CASE("LayerNorm: PyTorch's parameters, forward, options and repr", "[module]") {
  nn::LayerNorm norm({2, 3}, {.dtype = kFloat64});
  const auto named = norm.named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[0].first == "weight");
  CHECK(named[1].first == "bias");
  CHECK(bit_equal(named[0].second, ones({2, 3}, kFloat64)));
  CHECK(bit_equal(named[1].second, zeros({2, 3}, kFloat64)));
  CHECK(norm.to_string() == "LayerNorm((2, 3), eps=1e-05, elementwise_affine=True)");
  CHECK(nn::LayerNorm({8}).to_string() == "LayerNorm((8,), eps=1e-05, elementwise_affine=True)");

  const Tensor x = metagrad::testing::randn64({4, 2, 3}, 5).detach();
  named[0].second.detach().mul_(2.0);
  CHECK(allclose(norm(x), layer_norm(x, {2, 3}) * 2.0));
  // Gradients reach both parameters.
  const TensorList g = grad({norm(x).square().sum()}, norm.parameters());
  CHECK(g[0].shape() == Dims{2, 3});
  CHECK(g[1].shape() == Dims{2, 3});

  nn::LayerNorm plain({3}, {.elementwise_affine = false});
  CHECK(plain.parameters().empty());
  CHECK(nn::LayerNorm({3}, {.bias = false}).parameters().size() == 1);
  CHECK(plain.to_string() == "LayerNorm((3,), eps=1e-05, elementwise_affine=False)");
  CHECK_THROWS_WITH(nn::LayerNorm({}), MG_CONTAINS("LayerNorm: normalized_shape must name"));
  CHECK_THROWS_WITH(nn::LayerNorm({3, 0}), MG_CONTAINS("must have positive sizes"));
  CHECK_THROWS_WITH(norm(ones({4, 3, 2}, kFloat64)),
                    MG_CONTAINS("does not end with the normalized shape [2, 3]"));
}

TEST_CASE("Embedding: N(0, 1) rows, a zero padding row, lookups and repr", "[module]") {
  Generator gen(7);
  nn::Embedding table(50, 4, {.padding_idx = 3, .dtype = kFloat64, .generator = &gen});
  REQUIRE(table.named_parameters().size() == 1);
  CHECK(table.named_parameters()[0].first == "weight");
  CHECK(table.weight().shape() == Dims{50, 4});
  CHECK(bit_equal(table.weight().select(0, 3), zeros({4}, kFloat64)));
  const auto values = table.weight().to_vector<double>();
  double sum = 0, sq = 0;
  for (double v : values) sum += v, sq += v * v;
  CHECK(std::abs(sum / 200) < 0.3);
  CHECK(std::abs(sq / 200 - 1.0) < 0.35);
  const Tensor idx = tensor({3, 7, 7}, kInt64);
  CHECK(allclose(table(idx), index_select(table.weight(), 0, idx)));
  CHECK(table.to_string() == "Embedding(50, 4, padding_idx=3)");
  CHECK(nn::Embedding(10, 3).to_string() == "Embedding(10, 3)");
  CHECK(nn::Embedding(10, 3, {.padding_idx = -1}).to_string() == "Embedding(10, 3, padding_idx=9)");
  CHECK_THROWS_WITH(nn::Embedding(10, 3, {.padding_idx = 10}),
                    MG_CONTAINS("Embedding: padding_idx 10 must be within num_embeddings 10"));
}

TEST_CASE("GroupNorm: PyTorch's parameters, forward and repr", "[module]") {
  nn::GroupNorm norm(2, 4, {.dtype = kFloat64});
  const auto named = norm.named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[0].first == "weight");
  CHECK(named[1].first == "bias");
  CHECK(bit_equal(named[0].second, ones({4}, kFloat64)));
  CHECK(bit_equal(named[1].second, zeros({4}, kFloat64)));
  const Tensor x = metagrad::testing::randn64({3, 4, 5}, 6).detach();
  CHECK(allclose(norm(x), group_norm(x, 2)));
  CHECK(norm.to_string() == "GroupNorm(2, 4, eps=1e-05, affine=True)");
  CHECK(nn::GroupNorm(1, 3, {.affine = false}).parameters().empty());
  CHECK_THROWS_WITH(nn::GroupNorm(3, 4), MG_CONTAINS("GroupNorm: num_groups 3 must be positive "
                                                     "and divide num_channels 4"));
  CHECK_THROWS_WITH(norm(ones({3, 5}, kFloat64)),
                    MG_CONTAINS("GroupNorm: expected input [N, 4, *], got shape [3, 5]"));
}

TEST_CASE("Conv1d: PyTorch's parameters, forward and repr", "[module]") {
  Generator gen(5);
  nn::Conv1d conv(4, 8, 5,
                  {.stride = 2,
                   .padding = 1,
                   .dilation = 2,
                   .groups = 2,
                   .bias = false,
                   .dtype = kFloat64,
                   .generator = &gen});
  REQUIRE(conv.parameters().size() == 1);
  CHECK(conv.weight().shape() == Dims{8, 2, 5});
  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = 2 * 5
  CHECK(amax(abs(conv.weight()), {}).item<double>() <= 1.0 / std::sqrt(10.0));
  const Tensor x = metagrad::testing::randn64({3, 4, 20}, 7).detach();
  CHECK(allclose(conv(x), conv1d(x, conv.weight(), {}, 2, 1, 2, 2), 0, 0));
  CHECK(conv.to_string() ==
        "Conv1d(4, 8, kernel_size=(5,), stride=(2,), padding=(1,), "
        "dilation=(2,), groups=2, bias=False)");
  nn::Conv1d plain(3, 8, 3);
  CHECK(plain.to_string() == "Conv1d(3, 8, kernel_size=(3,), stride=(1,))");
  CHECK(plain.bias().shape() == Dims{8});
  CHECK_THROWS_WITH(nn::Conv1d(4, 6, 3, {.groups = 4}),
                    MG_CONTAINS("Conv1d: groups = 4 must be positive and divide in_channels (4) "
                                "and out_channels (6)"));
  CHECK_THROWS_WITH(plain(ones({2, 5, 9})),
                    MG_CONTAINS("conv1d: input shape [2, 5, 9] has 5 channels but weight shape "
                                "[8, 3, 3] with groups = 1 expects 3"));
}

TEST_CASE("AdaptiveAvgPool2d: forward and repr", "[module]") {
  nn::AdaptiveAvgPool2d global(1);
  const Tensor x = metagrad::testing::randn64({2, 3, 5, 6}, 8).detach();
  CHECK(allclose(global(x), mean(x, {2, 3}, true), 1e-14, 1e-15));
  CHECK(global.to_string() == "AdaptiveAvgPool2d(output_size=1)");
  CHECK(nn::AdaptiveAvgPool2d({5, 7}).to_string() == "AdaptiveAvgPool2d(output_size=(5, 7))");
  CHECK_THROWS_WITH(nn::AdaptiveAvgPool2d({0, 2}),
                    MG_CONTAINS("AdaptiveAvgPool2d: output_size must be positive, got (0, 2)"));
}

TEST_CASE("InstanceNorm: slots, training and eval with running statistics, repr", "[module]") {
  nn::InstanceNorm2d plain(3);
  CHECK(plain.parameters().empty());
  CHECK(plain.buffers().empty());
  CHECK(plain.to_string() ==
        "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)");
  const Tensor x = metagrad::testing::randn64({2, 3, 4, 5}, 9).detach() * 3.0 + 1.0;
  CHECK(allclose(plain(x), instance_norm(x), 0, 0));
  // Unbatched input: one sample.
  CHECK(allclose(plain(select(x, 0, 1)), select(instance_norm(x), 0, 1), 0, 0));
  // Any channel count without affine parameters or statistics, as PyTorch.
  CHECK(plain(ones({2, 5, 3, 3})).shape() == Dims{2, 5, 3, 3});

  nn::InstanceNorm1d tracked(
      3, {.momentum = 0.5, .affine = true, .track_running_stats = true, .dtype = kFloat64});
  std::vector<std::string> names;
  for (const auto& [name, t] : tracked.state_dict()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"weight", "bias", "running_mean", "running_var",
                                          "num_batches_tracked"});
  const Tensor seq = reshape(x, {2, 3, 20});
  const Tensor before = tracked.named_buffers()[0].second.clone();
  const Tensor y_train = tracked(seq);
  CHECK(allclose(y_train, instance_norm(seq), 1e-12, 1e-12));  // weight 1, bias 0
  // running_mean moved halfway to the batch's mean of per-sample means
  const Tensor want_mean = before * 0.5 + mean(seq, {0, 2}) * 0.5;
  CHECK(allclose(tracked.named_buffers()[0].second, want_mean, 1e-14, 1e-15));
  tracked.eval();
  const Tensor running_mean = tracked.named_buffers()[0].second;
  const Tensor running_var = tracked.named_buffers()[1].second;
  CHECK(allclose(tracked(seq), instance_norm(seq, running_mean, running_var, {}, {}, false), 0, 0));
  CHECK(tracked.to_string() ==
        "InstanceNorm1d(3, eps=1e-05, momentum=0.5, affine=True, track_running_stats=True)");
  CHECK_THROWS_WITH(tracked(ones({2, 4, 6}, kFloat64)),
                    MG_CONTAINS("InstanceNorm1d: input has 4 channels (dim 1 of shape [2, 4, 6]), "
                                "the layer was built for 3"));
  CHECK_THROWS_WITH(plain(ones({2, 3})),
                    MG_CONTAINS("InstanceNorm2d: expected 3D (unbatched) or 4D input (got 2D"));
}
