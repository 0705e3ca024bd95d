// The volume layers (engine/nn/volume_layers.hpp): a network of every kind of them against
// PyTorch 1.13 in float64 (output, parameter gradients and running statistics, as checksums
// sum(t * wave(t.shape, phase))), the layers against their functions, parameter shapes and
// initialisation, ConvTranspose3d's output_size, MaxPool3d -> MaxUnpool3d, the normalisations'
// statistics and PyTorch's reprs.
#include <cmath>
#include <string>
#include <vector>

#include "tests/nn/nn_helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::bit_equal;
using metagrad::testing::fill_wave_parameters;
using metagrad::testing::names;
using metagrad::testing::wave;
using metagrad::testing::wave_checksum;

TEST_CASE("a network of volume layers matches PyTorch", "[nn][volume]") {
  const nn::Conv3dOptions replicate{
      .padding = 1, .padding_mode = PadMode::Replicate, .dtype = kFloat64};
  nn::Sequential net(nn::Conv3d(2, 4, 3, replicate), nn::BatchNorm3d(4, {.dtype = kFloat64}),
                     nn::ReLU(), nn::MaxPool3d(2, std::nullopt, 1),
                     nn::Conv3d(4, 3, {1, 2, 2}, {.stride = IntTriple{1, 2, 1}, .dtype = kFloat64}),
                     nn::InstanceNorm3d(3, {.affine = true, .dtype = kFloat64}),
                     nn::ConvTranspose3d(3, 2, 2, {.stride = 2, .dtype = kFloat64}),
                     nn::AvgPool3d(2, std::nullopt, 0, false, true, 3),
                     nn::AdaptiveMaxPool3d({2, 2, 3}), nn::ReflectionPad3d({1, 0, 1, 1, 0, 1}),
                     nn::AdaptiveAvgPool3d(2), nn::Flatten(),
                     nn::Linear(16, 3, {.dtype = kFloat64}));
  fill_wave_parameters(net);
  const Tensor y = net.forward(wave({2, 2, 5, 6, 7}, 0.3));
  REQUIRE(y.shape() == Dims{2, 3});
  std::vector<double> got{wave_checksum(y, 0.3)};
  for (const Tensor& g : grad({sum(y * wave(y.shape(), 0.9))}, net.parameters()))
    got.push_back(wave_checksum(g, 1.3));
  const std::vector<double> want{
      51.35370435311219,  -13.809533125946675, -2.383659738644771e-16, 18.169755040629067,
      0.9771237988256604, -11.374505514089595, 1.0829084049603476e-14, -36.98785738774419,
      180.60349811814922, 112.95017451088007,  -7.877550604722515,     96.9053135619491,
      10.111913210565124};
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK(std::abs(got[i] - want[i]) < 1e-9);
  const auto state_entry = [&net](const std::string& name) {
    for (const auto& [key, value] : net.state_dict())
      if (key == name) return value;
    FAIL("no state entry " << name);
    return Tensor();
  };
  CHECK(wave_checksum(state_entry("1.running_mean"), 0.2) ==
        Approx(0.16571998331734217).epsilon(1e-10));
  CHECK(wave_checksum(state_entry("1.running_var"), 0.2) ==
        Approx(21.287343644886004).epsilon(1e-10));
}

TEST_CASE("Conv3d and ConvTranspose3d hold PyTorch's parameters", "[nn][volume]") {
  nn::Conv3d conv(4, 6, {3, 2, 3},
                  {.stride = IntTriple{2, 1, 2},
                   .padding = IntTriple{1, 0, 1},
                   .dilation = IntTriple{1, 2, 1},
                   .groups = 2});
  CHECK(conv.weight().shape() == Dims{6, 2, 3, 2, 3});
  CHECK(conv.bias().shape() == Dims{6});
  const double bound = 1.0 / std::sqrt(2.0 * 18.0);
  CHECK(max(abs(conv.weight())).item<double>() <= bound);
  CHECK(max(abs(conv.bias())).item<double>() <= bound);
  CHECK(names(conv.state_dict()) == std::vector<std::string>{"weight", "bias"});
  const Tensor x = wave({2, 4, 5, 6, 5}, 0.1).to(kFloat32);
  CHECK(bit_equal(conv.forward(x),
                  conv3d(x, conv.weight(), conv.bias(), {2, 1, 2}, {1, 0, 1}, {1, 2, 1}, 2)));
  CHECK(conv.to_string() ==
        "Conv3d(4, 6, kernel_size=(3, 2, 3), stride=(2, 1, 2), padding=(1, 0, 1), "
        "dilation=(1, 2, 1), groups=2)");
  nn::Conv3d replicate(2, 3, 3, {.padding = 1, .bias = false, .padding_mode = PadMode::Replicate});
  CHECK(!replicate.bias().defined());
  const Tensor v = wave({1, 2, 3, 4, 4}, 0.5).to(kFloat32);
  CHECK(bit_equal(replicate.forward(v),
                  conv3d(pad(v, {1, 1, 1, 1, 1, 1}, PadMode::Replicate), replicate.weight())));
  CHECK(replicate.to_string() ==
        "Conv3d(2, 3, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1), bias=False, "
        "padding_mode=replicate)");

  nn::ConvTranspose3d up(4, 6, {2, 3, 2},
                         {.stride = IntTriple{2, 2, 1},
                          .padding = IntTriple{1, 0, 1},
                          .output_padding = IntTriple{1, 0, 0},
                          .groups = 2,
                          .dilation = IntTriple{1, 1, 2}});
  CHECK(up.weight().shape() == Dims{4, 3, 2, 3, 2});
  CHECK(up.to_string() ==
        "ConvTranspose3d(4, 6, kernel_size=(2, 3, 2), stride=(2, 2, 1), padding=(1, 0, 1), "
        "dilation=(1, 1, 2), output_padding=(1, 0, 0), groups=2)");
  CHECK(nn::ConvTranspose3d(2, 3, 3).to_string() ==
        "ConvTranspose3d(2, 3, kernel_size=(3, 3, 3), stride=(1, 1, 1))");
  nn::ConvTranspose3d strided(2, 2, 3, {.stride = 2, .padding = 1});
  const Tensor small = wave({1, 2, 3, 3, 3}, 0.2).to(kFloat32);
  const Tensor sized = strided.forward(small, {6, 5, 6});
  CHECK(sized.shape() == Dims{1, 2, 6, 5, 6});
  CHECK(
      bit_equal(sized, conv_transpose3d(small, strided.weight(), strided.bias(), 2, 1, {1, 0, 1})));
}

TEST_CASE("the 3-D pooling layers run their ops", "[nn][volume]") {
  const Tensor x = wave({2, 3, 5, 6, 5}, 0.4);
  nn::MaxPool3d pool({2, 3, 2}, IntTriple{1, 2, 2}, {1, 1, 0}, {1, 1, 2}, true);
  const auto [values, indices] = pool.forward_with_indices(x);
  CHECK(bit_equal(values, pool.forward(x)));
  CHECK(bit_equal(indices, std::get<1>(max_pool3d_with_indices(x, {2, 3, 2}, IntTriple{1, 2, 2},
                                                               {1, 1, 0}, {1, 1, 2}, true))));
  CHECK(pool.to_string() ==
        "MaxPool3d(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), dilation=(1, 1, "
        "2), ceil_mode=True)");
  CHECK(nn::MaxPool3d(3, IntTriple{2}, 1).to_string() ==
        "MaxPool3d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)");

  nn::MaxPool3d halve(2);
  nn::MaxUnpool3d unpool(2);
  const auto [pooled, where] = halve.forward_with_indices(x);
  const Tensor restored = unpool(pooled, where, IntTriple{5, 6, 5});
  CHECK(restored.shape() == x.shape());
  CHECK(bit_equal(max_pool3d(restored, 2), pooled));
  CHECK(unpool.to_string() ==
        "MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))");
  CHECK(nn::MaxUnpool3d({2, 3, 2}, IntTriple{1}, {1, 0, 1}).to_string() ==
        "MaxUnpool3d(kernel_size=(2, 3, 2), stride=(1, 1, 1), padding=(1, 0, 1))");

  nn::AvgPool3d average({3, 2, 3}, IntTriple{2}, 1, true, false, 5);
  CHECK(bit_equal(average.forward(x), avg_pool3d(x, {3, 2, 3}, IntTriple{2}, 1, true, false, 5)));
  CHECK(average.to_string() == "AvgPool3d(kernel_size=(3, 2, 3), stride=2, padding=1)");
  CHECK(nn::AvgPool3d(3).to_string() == "AvgPool3d(kernel_size=3, stride=3, padding=0)");

  nn::AdaptiveAvgPool3d adaptive_avg({2, 3, 4});
  CHECK(bit_equal(adaptive_avg.forward(x), adaptive_avg_pool3d(x, {2, 3, 4})));
  CHECK(adaptive_avg.to_string() == "AdaptiveAvgPool3d(output_size=(2, 3, 4))");
  nn::AdaptiveMaxPool3d adaptive_max(2);
  CHECK(bit_equal(adaptive_max.forward(x), adaptive_max_pool3d(x, 2)));
  CHECK(adaptive_max.to_string() == "AdaptiveMaxPool3d(output_size=2)");
}

TEST_CASE("BatchNorm3d and InstanceNorm3d normalise volumes", "[nn][volume]") {
  const Tensor x = wave({2, 3, 2, 3, 4}, 0.7) * 2.0 + 1.0;
  nn::BatchNorm3d batch(3, {.dtype = kFloat64});
  const Tensor y = batch.forward(x);
  const Tensor channel_mean = mean(y, {0, 2, 3, 4});
  CHECK(allclose(channel_mean, zeros({3}, kFloat64), 0, 1e-12));
  CHECK(allclose(mean(y * y, {0, 2, 3, 4}), ones({3}, kFloat64), 0, 1e-4));
  CHECK(allclose(batch.state_dict()[2].second, mean(x, {0, 2, 3, 4}) * 0.1, 1e-12, 1e-12));
  CHECK(batch.to_string() ==
        "BatchNorm3d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");

  nn::InstanceNorm3d instance(3, {.affine = true, .dtype = kFloat64});
  const Tensor z = instance.forward(x);
  CHECK(allclose(mean(z, {2, 3, 4}), zeros({2, 3}, kFloat64), 0, 1e-12));
  CHECK(allclose(instance.forward(x.select(0, 1)), z.select(0, 1), 1e-12, 1e-12));
  CHECK(instance.to_string() ==
        "InstanceNorm3d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=False)");
}

TEST_CASE("the 3-D padding layers pad the last three dims", "[nn][volume]") {
  const Tensor x = wave({1, 2, 3, 4, 4}, 0.2);
  const std::vector<int64_t> sides{1, 2, 0, 1, 2, 0};
  CHECK(bit_equal(nn::ZeroPad3d(1).forward(x), pad(x, {1, 1, 1, 1, 1, 1})));
  CHECK(nn::ZeroPad3d(1).to_string() == "ZeroPad3d((1, 1, 1, 1, 1, 1))");
  nn::ConstantPad3d constant(sides, 0.5);
  CHECK(bit_equal(constant.forward(x), pad(x, sides, 0.5)));
  CHECK(constant.forward(x).shape() == Dims{1, 2, 5, 5, 7});
  CHECK(constant.to_string() == "ConstantPad3d(padding=(1, 2, 0, 1, 2, 0), value=0.5)");
  CHECK(bit_equal(nn::ReflectionPad3d(1).forward(x), pad(x, {1, 1, 1, 1, 1, 1}, PadMode::Reflect)));
  CHECK(nn::ReflectionPad3d(1).to_string() == "ReflectionPad3d((1, 1, 1, 1, 1, 1))");
  nn::ReplicationPad3d replication(sides);
  CHECK(bit_equal(replication.forward(x), pad(x, sides, PadMode::Replicate)));
  CHECK(replication.to_string() == "ReplicationPad3d((1, 2, 0, 1, 2, 0))");
}
