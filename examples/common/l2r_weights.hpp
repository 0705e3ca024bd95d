#pragma once

#include <functional>

#include "engine/nn/module.hpp"
#include "engine/tensor.hpp"
#include "optim/meta/meta_optimizer.hpp"

// The example weights of Learning to Reweight (Ren et al. 2018, Algorithm 1; TorchOpt's
// examples/L2R): how much a look-ahead step on each training example would lower the loss on a
// clean validation set.

namespace metagrad::examples {

/// The loss of each example of a batch: [B] for x [B, ...] and targets y [B, ...], computed with
/// `net` (differentiable in its parameters).
using ExampleLossFn = std::function<Tensor(nn::Module& net, const Tensor& x, const Tensor& y)>;

/// L2R's weights of the training batch (x, y):
///   eps = 0 [B] (requiring grad); one `lookahead` step on sum_i eps_i * loss_i (a differentiable
///   step of net's parameters); g = d mean(loss(val_x, val_y)) / d eps at the looked-ahead
///   parameters; w = max(-g, 0) / sum(max(-g, 0)), or w = 0 when that sum is 0.
/// For MetaSGD with learning rate lr, -g_i = lr * <grad L_val(theta), grad loss_i(theta)>.
/// Afterwards net's parameter slots and lookahead's state are the ones before the call. Returns
/// w [B] of the losses' dtype, not requiring grad. Throws metagrad::Error when `losses` does not
/// return one value per example.
Tensor l2r_weights(nn::Module& net, MetaOptimizer& lookahead, const ExampleLossFn& losses,
                   const Tensor& x, const Tensor& y, const Tensor& val_x, const Tensor& val_y);

}  // namespace metagrad::examples
