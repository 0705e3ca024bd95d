#pragma once

#include <tuple>

#include "engine/nn/recurrent.hpp"

// The step shared by the recurrent cell functions and the sequence layers (not public).
namespace metagrad::detail {

/// One step of `mode` from the input projection gi = x W_ih^T + b_ih ([N, G H]) and the state
/// (h, c) (c only for an LSTM): returns (h', c'), c' undefined unless an LSTM.
std::tuple<Tensor, Tensor> recurrent_step(nn::RecurrentMode mode, const Tensor& gi, const Tensor& h,
                                          const Tensor& c, const Tensor& w_hh, const Tensor& b_hh);

/// The number of gate blocks of `mode`'s weights: 1 (RNN), 4 (LSTM) or 3 (GRU).
int gate_count(nn::RecurrentMode mode);

}  // namespace metagrad::detail
