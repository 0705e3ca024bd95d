#pragma once

// The networks and losses of the golden cases (README "meta": spec.net, spec.loss), built from
// metagrad's nn layers in float64 so that a case evaluates exactly the PyTorch module that
// produced it. Shared by the `hvp` and `meta` kinds.

#include <nlohmann/json.hpp>
#include <string>

#include "engine/device.hpp"
#include "engine/nn/layers.hpp"
#include "engine/tensor.hpp"

namespace golden {

/// The network described by `net` (spec.net), float64, on `device`, in training mode:
///  - {"kind": "mlp", "sizes": [d0, ..., dn], "activation": "tanh"|"relu"}: Linear layers with
///    bias and the activation between them (not after the last);
///  - {"kind": "omniglot_conv", "channels": C, "blocks": B, "in_hw": H, "n_way": N}: B times
///    [Conv2d(in, C, 3) -> BatchNorm2d(C, momentum 1) -> ReLU -> MaxPool2d(2, 2)], then Flatten
///    and Linear(C h w, N), for input [n, 1, H, H].
/// Throws metagrad::Error for another kind or activation, or sizes that leave no output.
metagrad::nn::Sequential make_net(const nlohmann::json& net, metagrad::Device device);

/// Rebinds the parameter slots of `net` (named_parameters() order) to new float64 leaves that
/// require grad and hold copies of `values` (the case's param.j), and returns those leaves.
/// Throws metagrad::Error, before changing anything, when the count or a shape differs.
metagrad::TensorList bind_parameters(metagrad::nn::Module& net, const metagrad::TensorList& values);

/// The loss named by spec.loss, averaged over the batch: "cross_entropy" (int64 class labels) or
/// "mse" (targets shaped as the output). Throws metagrad::Error for another name.
metagrad::Tensor compute_loss(const std::string& loss, const metagrad::Tensor& output,
                              const metagrad::Tensor& target);

}  // namespace golden
