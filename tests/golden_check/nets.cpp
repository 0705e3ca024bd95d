#include "tests/golden_check/nets.hpp"

#include <cstdint>
#include <vector>

#include "engine/error.hpp"
#include "engine/nn/functional.hpp"
#include "engine/shape.hpp"

namespace golden {

using metagrad::kFloat64;
using metagrad::Tensor;
using metagrad::TensorList;
namespace nn = metagrad::nn;

namespace {

nn::Sequential make_mlp(const nlohmann::json& net) {
  const auto sizes = net.at("sizes").get<std::vector<int64_t>>();
  const auto activation = net.at("activation").get<std::string>();
  MG_CHECK(sizes.size() >= 2, "golden: mlp needs at least two sizes (input and output), got {}",
           sizes.size());
  MG_CHECK(activation == "tanh" || activation == "relu",
           "golden: unknown mlp activation '{}' (expected tanh or relu)", activation);
  nn::Sequential seq;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    seq.push_back(nn::Linear(sizes[i], sizes[i + 1], {.dtype = kFloat64}));
    if (i + 2 == sizes.size()) break;
    if (activation == "tanh") {
      seq.push_back(nn::Tanh());
    } else {
      seq.push_back(nn::ReLU());
    }
  }
  return seq;
}

nn::Sequential make_omniglot_conv(const nlohmann::json& net) {
  const auto channels = net.at("channels").get<int64_t>();
  const auto blocks = net.at("blocks").get<int64_t>();
  const auto n_way = net.at("n_way").get<int64_t>();
  int64_t hw = net.at("in_hw").get<int64_t>();
  nn::Sequential seq;
  int64_t in_channels = 1;
  for (int64_t b = 0; b < blocks; ++b) {
    MG_CHECK(hw >= 4,
             "golden: omniglot_conv block {} gets {}x{} inputs, too small for conv 3 + "
             "pool 2",
             b, hw, hw);
    seq.push_back(nn::Conv2d(in_channels, channels, 3, {.dtype = kFloat64}));
    seq.push_back(nn::BatchNorm2d(
        channels, {.eps = 1e-5, .momentum = 1.0, .affine = true, .dtype = kFloat64}));
    seq.push_back(nn::ReLU());
    seq.push_back(nn::MaxPool2d(2, 2));
    in_channels = channels;
    hw = (hw - 2) / 2;
  }
  seq.push_back(nn::Flatten());
  seq.push_back(nn::Linear(in_channels * hw * hw, n_way, {.dtype = kFloat64}));
  return seq;
}

}  // namespace

nn::Sequential make_net(const nlohmann::json& net, metagrad::Device device) {
  const auto kind = net.at("kind").get<std::string>();
  nn::Sequential seq;
  if (kind == "mlp") {
    seq = make_mlp(net);
  } else if (kind == "omniglot_conv") {
    seq = make_omniglot_conv(net);
  } else {
    MG_FAIL("golden: unknown spec.net kind '{}' (expected mlp or omniglot_conv)", kind);
  }
  seq.to(device);
  seq.train();
  return seq;
}

TensorList bind_parameters(nn::Module& net, const TensorList& values) {
  const auto named = net.named_parameters();
  MG_CHECK(values.size() == named.size(),
           "golden: the case has {} parameters (param.j) but spec.net has {}", values.size(),
           named.size());
  TensorList leaves;
  leaves.reserve(values.size());
  for (size_t j = 0; j < values.size(); ++j) {
    const Tensor& slot = named[j].second;
    MG_CHECK(values[j].shape() == slot.shape(),
             "golden: param.{} has shape {} but parameter {} of spec.net has shape {}", j,
             metagrad::shape_str(values[j].shape()), named[j].first,
             metagrad::shape_str(slot.shape()));
    leaves.push_back(values[j].to(kFloat64).clone().requires_grad_(true));
  }
  net.set_parameters(leaves);
  return leaves;
}

Tensor compute_loss(const std::string& loss, const Tensor& output, const Tensor& target) {
  if (loss == "cross_entropy") return metagrad::cross_entropy(output, target);
  if (loss == "mse") return metagrad::mse_loss(output, target);
  MG_FAIL("golden: unknown spec.loss '{}' (expected cross_entropy or mse)", loss);
}

}  // namespace golden
