// RNNCell, LSTMCell, GRUCell and the sequence layers RNN, LSTM, GRU (engine/nn/recurrent.hpp).
#include <fmt/format.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/nn/functional.hpp"
#include "engine/nn/init.hpp"
#include "engine/nn/recurrent.hpp"
#include "engine/nn/recurrent_step.hpp"
#include "engine/ops.hpp"
#include "engine/ops/split_copies.hpp"

namespace metagrad::nn {
namespace {

// Slots of a cell, in PyTorch's order.
constexpr size_t kWeightIh = 0, kWeightHh = 1, kBiasIh = 2, kBiasHh = 3;

void check_sizes(const char* layer, int64_t input_size, int64_t hidden_size, DType dtype) {
  MG_CHECK(input_size > 0 && hidden_size > 0,
           "{}: input_size and hidden_size must be positive, got {} and {}", layer, input_size,
           hidden_size);
  MG_CHECK(is_floating(dtype), "{}: parameters must be float32 or float64, got {}", layer,
           dtype_name(dtype));
}

// PyTorch's reset_parameters: every parameter from U(-1/sqrt(H), 1/sqrt(H)).
void reset_uniform(const TensorList& parameters, int64_t hidden_size, Generator* generator) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  for (const Tensor& p : parameters)
    if (p.defined()) init::uniform_(p, -bound, bound, generator);
}

}  // namespace

// ---- cells -------------------------------------------------------------------------------------

RecurrentCellBase::RecurrentCellBase(const char* layer, RecurrentMode mode, int64_t input_size,
                                     int64_t hidden_size, const RecurrentCellOptions& options)
    : mode_(mode), input_size_(input_size), hidden_size_(hidden_size), bias_(options.bias) {
  check_sizes(layer, input_size, hidden_size, options.dtype);
  const int64_t rows = metagrad::detail::gate_count(mode) * hidden_size;
  register_parameter("weight_ih", empty({rows, input_size}, options.dtype));
  register_parameter("weight_hh", empty({rows, hidden_size}, options.dtype));
  register_parameter("bias_ih", options.bias ? empty({rows}, options.dtype) : Tensor());
  register_parameter("bias_hh", options.bias ? empty({rows}, options.dtype) : Tensor());
  reset_parameters(options.generator);
}

void RecurrentCellBase::reset_parameters(Generator* generator) {
  reset_uniform(parameters(), hidden_size_, generator);
}

std::tuple<Tensor, Tensor> RecurrentCellBase::step(const Tensor& input, const Tensor& h,
                                                   const Tensor& c) const {
  const Tensor &w_ih = parameter_at(kWeightIh), &w_hh = parameter_at(kWeightHh);
  const Tensor &b_ih = parameter_at(kBiasIh), &b_hh = parameter_at(kBiasHh);
  switch (mode_) {
    case RecurrentMode::RnnTanh:
      return {rnn_tanh_cell(input, h, w_ih, w_hh, b_ih, b_hh), Tensor()};
    case RecurrentMode::RnnRelu:
      return {rnn_relu_cell(input, h, w_ih, w_hh, b_ih, b_hh), Tensor()};
    case RecurrentMode::Lstm:
      return lstm_cell(input, {h, c}, w_ih, w_hh, b_ih, b_hh);
    case RecurrentMode::Gru:
      return {gru_cell(input, h, w_ih, w_hh, b_ih, b_hh), Tensor()};
  }
  return {};
}

Tensor RecurrentCellBase::forward(const Tensor& input) { return std::get<0>(step(input, {}, {})); }

std::string RecurrentCellBase::extra_repr() const {
  std::string out = fmt::format("{}, {}", input_size_, hidden_size_);
  if (!bias_) out += ", bias=False";
  if (mode_ == RecurrentMode::RnnRelu) out += ", nonlinearity=relu";
  return out;
}

RNNCell::RNNCell(int64_t input_size, int64_t hidden_size, const RecurrentCellOptions& options,
                 bool relu)
    : Cloneable("RNNCell", relu ? RecurrentMode::RnnRelu : RecurrentMode::RnnTanh, input_size,
                hidden_size, options) {}

Tensor RNNCell::forward(const Tensor& input, const Tensor& hx) {
  return std::get<0>(step(input, hx, {}));
}

LSTMCell::LSTMCell(int64_t input_size, int64_t hidden_size, const RecurrentCellOptions& options)
    : Cloneable("LSTMCell", RecurrentMode::Lstm, input_size, hidden_size, options) {}

std::tuple<Tensor, Tensor> LSTMCell::forward(const Tensor& input,
                                             const std::tuple<Tensor, Tensor>& hx) {
  return step(input, std::get<0>(hx), std::get<1>(hx));
}

GRUCell::GRUCell(int64_t input_size, int64_t hidden_size, const RecurrentCellOptions& options)
    : Cloneable("GRUCell", RecurrentMode::Gru, input_size, hidden_size, options) {}

Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) {
  return std::get<0>(step(input, hx, {}));
}

// ---- sequence layers ---------------------------------------------------------------------------

RecurrentBase::RecurrentBase(const char* layer, RecurrentMode mode, int64_t input_size,
                             int64_t hidden_size, const RecurrentOptions& options)
    : mode_(mode), input_size_(input_size), hidden_size_(hidden_size), options_(options) {
  check_sizes(layer, input_size, hidden_size, options.dtype);
  MG_CHECK(options.num_layers > 0, "{}: num_layers must be positive, got {}", layer,
           options.num_layers);
  MG_CHECK(options.dropout >= 0.0 && options.dropout <= 1.0,
           "{}: dropout must be a probability in [0, 1], got {}", layer, options.dropout);
  options_.generator = nullptr;  // used once, here; a copy of the layer must not keep it
  const int64_t rows = metagrad::detail::gate_count(mode) * hidden_size;
  const int64_t directions = options.bidirectional ? 2 : 1;
  for (int64_t k = 0; k < options.num_layers; ++k) {
    const int64_t in = k == 0 ? input_size : directions * hidden_size;
    for (int64_t d = 0; d < directions; ++d) {
      const std::string suffix = fmt::format("_l{}{}", k, d == 1 ? "_reverse" : "");
      register_parameter("weight_ih" + suffix, empty({rows, in}, options.dtype));
      register_parameter("weight_hh" + suffix, empty({rows, hidden_size}, options.dtype));
      if (options.bias) {
        register_parameter("bias_ih" + suffix, empty({rows}, options.dtype));
        register_parameter("bias_hh" + suffix, empty({rows}, options.dtype));
      }
    }
  }
  reset_parameters(options.generator);
}

void RecurrentBase::reset_parameters(Generator* generator) {
  reset_uniform(parameters(), hidden_size_, generator);
}

std::tuple<Tensor, Tensor, Tensor> RecurrentBase::run(const Tensor& input, const Tensor& h0,
                                                      const Tensor& c0,
                                                      const std::vector<int64_t>* lengths) {
  const std::string layer = type_name();
  MG_CHECK(input.defined(), "{}: the input is undefined", layer);
  MG_CHECK((input.dim() == 2 || input.dim() == 3) && input.size(-1) == input_size_,
           "{}: expected input [L, N, {}] ({}), or unbatched [L, {}], got shape {}", layer,
           input_size_, options_.batch_first ? "[N, L, *] with batch_first" : "time first",
           input_size_, shape_str(input.shape()));
  const bool unbatched = input.dim() == 2;
  const Tensor sequence = unbatched                          ? unsqueeze(input, 1)
                          : options_.batch_first && !lengths ? transpose(input, 0, 1)
                                                             : input;
  const int64_t steps = sequence.size(0), batch = sequence.size(1);
  // With lengths: whether each sequence is still running at step t ([N, 1] masks).
  TensorList running;
  if (lengths) {
    for (int64_t t = 0; t < steps; ++t) {
      std::vector<double> live(static_cast<size_t>(batch));
      for (int64_t n = 0; n < batch; ++n)
        live[static_cast<size_t>(n)] = t < (*lengths)[static_cast<size_t>(n)] ? 1.0 : 0.0;
      running.push_back(
          gt(tensor(live, {batch, 1}, TensorOptions(input.dtype(), input.device())), 0.5));
    }
  }
  const int64_t directions = options_.bidirectional ? 2 : 1;
  const int64_t states = directions * options_.num_layers;
  const Dims state_shape =
      unbatched ? Dims{states, hidden_size_} : Dims{states, batch, hidden_size_};
  const auto initial = [&](const Tensor& given, const char* name) {
    if (!given.defined())
      return zeros({states, batch, hidden_size_}, TensorOptions(input.dtype(), input.device()));
    MG_CHECK(given.shape() == state_shape,
             "{}: {} must have shape {} (num_layers * directions, batch, hidden_size) for input "
             "shape {}, got {}",
             layer, name, shape_str(state_shape), shape_str(input.shape()),
             shape_str(given.shape()));
    return unbatched ? unsqueeze(given, 1) : given;
  };
  const bool lstm = mode_ == RecurrentMode::Lstm;
  const Tensor h_init = initial(h0, "h0");
  const Tensor c_init = lstm ? initial(c0, "c0") : Tensor();
  const size_t per_direction = options_.bias ? 4 : 2;
  Tensor layer_input = sequence;
  TensorList h_final, c_final;
  for (int64_t k = 0; k < options_.num_layers; ++k) {
    TensorList direction_outputs;
    for (int64_t d = 0; d < directions; ++d) {
      const size_t base = static_cast<size_t>(k * directions + d) * per_direction;
      const Tensor &w_ih = parameter_at(base), &w_hh = parameter_at(base + 1);
      const Tensor b_ih = options_.bias ? parameter_at(base + 2) : Tensor();
      const Tensor b_hh = options_.bias ? parameter_at(base + 3) : Tensor();
      // The input projection of every step in one product ([L, N, G H]), split into the steps by
      // one node (selecting each step would back-propagate L full-size gradients).
      const TensorList projected = metagrad::detail::split_copies(
          linear(layer_input, w_ih, b_ih), 0, std::vector<int64_t>(steps, 1));
      Tensor h = select(h_init, 0, k * directions + d);
      Tensor c = lstm ? select(c_init, 0, k * directions + d) : Tensor();
      TensorList outputs(static_cast<size_t>(steps));
      for (int64_t i = 0; i < steps; ++i) {
        const int64_t t = d == 0 ? i : steps - 1 - i;
        const auto [h_next, c_next] = metagrad::detail::recurrent_step(
            mode_, squeeze(projected[static_cast<size_t>(t)], 0), h, c, w_hh, b_hh);
        if (running.empty()) {
          h = h_next;
          c = c_next;
          outputs[static_cast<size_t>(t)] = h;
        } else {
          // A finished sequence keeps its state and outputs zeros.
          const Tensor& live = running[static_cast<size_t>(t)];
          h = where(live, h_next, h);
          if (lstm) c = where(live, c_next, c);
          outputs[static_cast<size_t>(t)] = where(live, h_next, 0.0);
        }
      }
      direction_outputs.push_back(stack(outputs, 0));
      h_final.push_back(h);
      if (lstm) c_final.push_back(c);
    }
    layer_input = directions == 1 ? direction_outputs[0] : cat(direction_outputs, -1);
    if (k + 1 < options_.num_layers && options_.dropout > 0.0 && is_training())
      layer_input = dropout(layer_input, options_.dropout, true);
  }
  Tensor output = layer_input, h_n = stack(h_final, 0);
  Tensor c_n = lstm ? stack(c_final, 0) : Tensor();
  if (unbatched) {
    output = squeeze(output, 1);
    h_n = squeeze(h_n, 1);
    if (lstm) c_n = squeeze(c_n, 1);
  } else if (options_.batch_first && !lengths) {
    output = transpose(output, 0, 1);
  }
  return {output, h_n, c_n};
}

Tensor RecurrentBase::forward(const Tensor& input) { return std::get<0>(run(input, {}, {})); }

std::tuple<utils::rnn::PackedSequence, Tensor, Tensor> RecurrentBase::run_packed(
    const utils::rnn::PackedSequence& input, const Tensor& h0, const Tensor& c0) {
  const std::vector<int64_t> lengths = utils::rnn::packed_lengths(input);
  const Tensor padded = std::get<0>(utils::rnn::pad_packed_sequence(input));
  const auto [output, h_n, c_n] = run(padded, h0, c0, &lengths);
  return {utils::rnn::detail::pack_in_layout_of(output, input), h_n, c_n};
}

std::string RecurrentBase::extra_repr() const {
  std::string out = fmt::format("{}, {}", input_size_, hidden_size_);
  if (options_.num_layers != 1) out += fmt::format(", num_layers={}", options_.num_layers);
  if (!options_.bias) out += ", bias=False";
  if (options_.batch_first) out += ", batch_first=True";
  if (options_.dropout != 0.0) out += ", dropout=" + detail::float_repr(options_.dropout);
  if (options_.bidirectional) out += ", bidirectional=True";
  return out;
}

RNN::RNN(int64_t input_size, int64_t hidden_size, const RecurrentOptions& options)
    : Cloneable("RNN", options.relu ? RecurrentMode::RnnRelu : RecurrentMode::RnnTanh, input_size,
                hidden_size, options) {}

std::tuple<Tensor, Tensor> RNN::forward(const Tensor& input, const Tensor& h0) {
  const auto [output, h_n, c_n] = run(input, h0, {});
  return {output, h_n};
}

std::tuple<utils::rnn::PackedSequence, Tensor> RNN::forward(const utils::rnn::PackedSequence& input,
                                                            const Tensor& h0) {
  const auto [output, h_n, c_n] = run_packed(input, h0, {});
  return {output, h_n};
}

LSTM::LSTM(int64_t input_size, int64_t hidden_size, const RecurrentOptions& options)
    : Cloneable("LSTM", RecurrentMode::Lstm, input_size, hidden_size, options) {}

std::tuple<Tensor, std::tuple<Tensor, Tensor>> LSTM::forward(const Tensor& input,
                                                             const std::tuple<Tensor, Tensor>& hx) {
  const auto [output, h_n, c_n] = run(input, std::get<0>(hx), std::get<1>(hx));
  return {output, {h_n, c_n}};
}

std::tuple<utils::rnn::PackedSequence, std::tuple<Tensor, Tensor>> LSTM::forward(
    const utils::rnn::PackedSequence& input, const std::tuple<Tensor, Tensor>& hx) {
  const auto [output, h_n, c_n] = run_packed(input, std::get<0>(hx), std::get<1>(hx));
  return {output, {h_n, c_n}};
}

GRU::GRU(int64_t input_size, int64_t hidden_size, const RecurrentOptions& options)
    : Cloneable("GRU", RecurrentMode::Gru, input_size, hidden_size, options) {}

std::tuple<Tensor, Tensor> GRU::forward(const Tensor& input, const Tensor& h0) {
  const auto [output, h_n, c_n] = run(input, h0, {});
  return {output, h_n};
}

std::tuple<utils::rnn::PackedSequence, Tensor> GRU::forward(const utils::rnn::PackedSequence& input,
                                                            const Tensor& h0) {
  const auto [output, h_n, c_n] = run_packed(input, h0, {});
  return {output, h_n};
}

}  // namespace metagrad::nn
