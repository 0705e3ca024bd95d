// The recurrent cells (engine/nn/recurrent.hpp) with PyTorch's equations and order of operations
// (aten's RNN.cpp), composed of differentiable ops.
#include <tuple>

#include "engine/nn/functional.hpp"
#include "engine/nn/recurrent_step.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "engine/ops/split_copies.hpp"

namespace metagrad {

int detail::gate_count(nn::RecurrentMode mode) {
  switch (mode) {
    case nn::RecurrentMode::Lstm:
      return 4;
    case nn::RecurrentMode::Gru:
      return 3;
    case nn::RecurrentMode::RnnTanh:
    case nn::RecurrentMode::RnnRelu:
      break;
  }
  return 1;
}

std::tuple<Tensor, Tensor> detail::recurrent_step(nn::RecurrentMode mode, const Tensor& gi,
                                                  const Tensor& h, const Tensor& c,
                                                  const Tensor& w_hh, const Tensor& b_hh) {
  const Tensor gh = linear(h, w_hh, b_hh);
  const int64_t hidden = h.size(-1);
  // The gate blocks as one split node (chunk's views would each back-propagate a full-size
  // gradient).
  const auto gate_blocks = [&](const Tensor& gates, int64_t count) {
    return split_copies(gates, gates.dim() - 1, std::vector<int64_t>(count, hidden));
  };
  switch (mode) {
    case nn::RecurrentMode::RnnTanh:
      return {tanh(gi + gh), Tensor()};  // h' = tanh(gi + gh)
    case nn::RecurrentMode::RnnRelu:
      return {relu(gi + gh), Tensor()};  // h' = relu(gi + gh)
    case nn::RecurrentMode::Lstm: {
      // c' = σ(f) c + σ(i) tanh(g), h' = σ(o) tanh(c')
      const TensorList gates = gate_blocks(gi + gh, 4);
      const Tensor c_next = sigmoid(gates[1]) * c + sigmoid(gates[0]) * tanh(gates[2]);
      return {sigmoid(gates[3]) * tanh(c_next), c_next};
    }
    case nn::RecurrentMode::Gru: {
      // r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r gh_n), h' = (h - n) z + n
      const TensorList in = gate_blocks(gi, 3), from_h = gate_blocks(gh, 3);
      const Tensor reset = sigmoid(in[0] + from_h[0]);
      const Tensor update = sigmoid(in[1] + from_h[1]);
      const Tensor candidate = tanh(in[2] + from_h[2] * reset);
      return {(h - candidate) * update + candidate, Tensor()};
    }
  }
  return {};
}

namespace {

// Checks a cell's operands (naming `op`) and returns the hidden size H.
int64_t check_cell(const char* op, int gates, const Tensor& input, const Tensor& h,
                   const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
  detail::check_floating(input, op);
  detail::check_defined(w_ih, op, "w_ih");
  detail::check_defined(w_hh, op, "w_hh");
  MG_CHECK(w_hh.dim() == 2 && w_hh.size(0) == gates * w_hh.size(1),
           "{}: w_hh must be [{} H, H], got shape {}", op, gates, shape_str(w_hh.shape()));
  const int64_t hidden = w_hh.size(1);
  MG_CHECK(input.dim() == 1 || input.dim() == 2,
           "{}: input must be [N, input_size] or unbatched [input_size], got shape {}", op,
           shape_str(input.shape()));
  MG_CHECK(w_ih.dim() == 2 && w_ih.size(0) == gates * hidden && w_ih.size(1) == input.size(-1),
           "{}: w_ih must be [{}, {}] ({} H rows, one column per input feature of input shape "
           "{}), got shape {}",
           op, gates * hidden, input.size(-1), gates, shape_str(input.shape()),
           shape_str(w_ih.shape()));
  for (const Tensor* b : {&b_ih, &b_hh}) {
    if (!b->defined()) continue;
    MG_CHECK(b->dim() == 1 && b->size(0) == gates * hidden,
             "{}: the biases must be [{}], got shape {}", op, gates * hidden,
             shape_str(b->shape()));
  }
  if (h.defined()) {
    Dims want = input.shape();
    want[want.size() - 1] = hidden;
    MG_CHECK(h.shape() == want, "{}: the state must have shape {} for input shape {}, got {}", op,
             shape_str(want), shape_str(input.shape()), shape_str(h.shape()));
  }
  return hidden;
}

// A zero state for input, or `state` itself.
Tensor state_or_zeros(const Tensor& state, const Tensor& input, int64_t hidden) {
  if (state.defined()) return state;
  Dims shape = input.shape();
  shape[shape.size() - 1] = hidden;
  return zeros(shape, TensorOptions(input.dtype(), input.device()));
}

Tensor single_state_cell(const char* op, nn::RecurrentMode mode, const Tensor& input,
                         const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                         const Tensor& b_ih, const Tensor& b_hh) {
  const int64_t hidden =
      check_cell(op, detail::gate_count(mode), input, hx, w_ih, w_hh, b_ih, b_hh);
  const Tensor h = state_or_zeros(hx, input, hidden);
  return std::get<0>(detail::recurrent_step(mode, linear(input, w_ih, b_ih), h, {}, w_hh, b_hh));
}

}  // namespace

Tensor rnn_tanh_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih, const Tensor& b_hh) {
  return single_state_cell("rnn_tanh_cell", nn::RecurrentMode::RnnTanh, input, hx, w_ih, w_hh, b_ih,
                           b_hh);
}

Tensor rnn_relu_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih, const Tensor& b_hh) {
  return single_state_cell("rnn_relu_cell", nn::RecurrentMode::RnnRelu, input, hx, w_ih, w_hh, b_ih,
                           b_hh);
}

Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                const Tensor& b_ih, const Tensor& b_hh) {
  return single_state_cell("gru_cell", nn::RecurrentMode::Gru, input, hx, w_ih, w_hh, b_ih, b_hh);
}

std::tuple<Tensor, Tensor> lstm_cell(const Tensor& input, const std::tuple<Tensor, Tensor>& hx,
                                     const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                                     const Tensor& b_hh) {
  const char* op = "lstm_cell";
  const auto& [h0, c0] = hx;
  const int64_t hidden = check_cell(op, 4, input, h0, w_ih, w_hh, b_ih, b_hh);
  check_cell(op, 4, input, c0, w_ih, w_hh, b_ih, b_hh);
  return detail::recurrent_step(nn::RecurrentMode::Lstm, linear(input, w_ih, b_ih),
                                state_or_zeros(h0, input, hidden),
                                state_or_zeros(c0, input, hidden), w_hh, b_hh);
}

}  // namespace metagrad
