#pragma once

#include <cstdint>
#include <string>
#include <tuple>

#include "engine/nn/module.hpp"
#include "engine/nn/packed_sequence.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// Recurrent cells and layers with torch.nn's equations, parameter names, shapes and options:
// RNN (tanh or ReLU), LSTM and GRU, as single steps (the *_cell functions and the *Cell layers)
// and over whole sequences (RNN, LSTM, GRU: several layers, either direction, batch_first). Each
// is composed of differentiable ops (linear, sigmoid, tanh, chunk, stack), so the recurrence
// differentiates to every order through time: what a meta-learned optimizer (an LSTM that reads
// gradients, as in "learning to learn by gradient descent") needs for its meta-gradient.
namespace metagrad {
/// \addtogroup nn
/// @{

/// One step of an Elman RNN (torch's rnn_tanh_cell): h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh).
/// input [N, in] or [in], hx [N, H] or [H] (zeros when undefined), w_ih [H, in], w_hh [H, H],
/// biases [H] or undefined. Returns h' of hx's shape.
Tensor rnn_tanh_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih = {}, const Tensor& b_hh = {});

/// rnn_tanh_cell with relu instead of tanh (torch's rnn_relu_cell).
Tensor rnn_relu_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih = {}, const Tensor& b_hh = {});

/// One LSTM step (torch's lstm_cell): the gates x W_ih^T + b_ih + h W_hh^T + b_hh [N, 4H] split
/// into i, f, g, o (torch's order); c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o)
/// tanh(c'). hx = (h, c), each [N, H] or [H] (zeros when undefined); w_ih [4H, in], w_hh [4H, H],
/// biases [4H] or undefined. Returns (h', c').
std::tuple<Tensor, Tensor> lstm_cell(const Tensor& input, const std::tuple<Tensor, Tensor>& hx,
                                     const Tensor& w_ih, const Tensor& w_hh,
                                     const Tensor& b_ih = {}, const Tensor& b_hh = {});

/// One GRU step (torch's gru_cell): with gi = x W_ih^T + b_ih and gh = h W_hh^T + b_hh ([N, 3H],
/// split into r, z, n), r = sigmoid(gi_r + gh_r), z = sigmoid(gi_z + gh_z),
/// n = tanh(gi_n + r gh_n), h' = (1 - z) n + z h. Shapes as rnn_tanh_cell with 3H rows.
Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                const Tensor& b_ih = {}, const Tensor& b_hh = {});

/// @}
}  // namespace metagrad

namespace metagrad::nn {
/// \addtogroup nn
/// @{

/// The recurrence of a recurrent cell or layer.
enum class RecurrentMode : uint8_t {
  RnnTanh,  ///< h' = tanh(...): torch.nn.RNN / RNNCell with nonlinearity='tanh'
  RnnRelu,  ///< h' = relu(...): nonlinearity='relu'
  Lstm,     ///< torch.nn.LSTM / LSTMCell
  Gru,      ///< torch.nn.GRU / GRUCell
};

/// Options of the recurrent cells (`LSTMCell(8, 16, {.dtype = kFloat64})`).
struct RecurrentCellOptions {
  /// Whether the cell has the biases `bias_ih` and `bias_hh`.
  bool bias = true;
  /// dtype of the parameters.
  DType dtype = kFloat32;
  /// Generator of the initial values (the default generator when null).
  Generator* generator = nullptr;
};

/// The common part of RNNCell, LSTMCell and GRUCell: parameters `weight_ih` [G H, in],
/// `weight_hh` [G H, H], `bias_ih`, `bias_hh` [G H] (G = 1, 4, 3 gates), all drawn from
/// U(-1/sqrt(H), 1/sqrt(H)) as PyTorch's reset_parameters. forward(input) is one step from a zero
/// state and returns the new hidden state h (an LSTMCell's cell state is then dropped: use
/// LSTMCell::forward(input, hx) to carry it).
class RecurrentCellBase : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  /// Redraws every parameter in place from U(-1/sqrt(H), 1/sqrt(H)).
  void reset_parameters(Generator* generator = nullptr);
  /// The input and hidden sizes.
  int64_t input_size() const { return input_size_; }
  /// \copydoc input_size
  int64_t hidden_size() const { return hidden_size_; }

 protected:
  /// `layer`: the class name (for messages during construction).
  RecurrentCellBase(const char* layer, RecurrentMode mode, int64_t input_size, int64_t hidden_size,
                    const RecurrentCellOptions& options);
  /// The step of this cell's mode from (h, c) (c only for an LSTM), returning (h', c').
  std::tuple<Tensor, Tensor> step(const Tensor& input, const Tensor& h, const Tensor& c) const;

 private:
  RecurrentMode mode_;
  int64_t input_size_, hidden_size_;
  bool bias_;
};

/// torch.nn.RNNCell: h' = tanh (or relu) of x W_ih^T + b_ih + h W_hh^T + b_hh.
class RNNCell : public Cloneable<RNNCell, RecurrentCellBase> {
 public:
  /// torch.nn.RNNCell(input_size, hidden_size, bias, nonlinearity): `relu` picks
  /// nonlinearity='relu'.
  RNNCell(int64_t input_size, int64_t hidden_size, const RecurrentCellOptions& options = {},
          bool relu = false);
  using RecurrentCellBase::forward;
  /// One step from hidden state hx ([N, H] or [H]; zeros when undefined).
  Tensor forward(const Tensor& input, const Tensor& hx);
};

/// torch.nn.LSTMCell; see metagrad::lstm_cell.
class LSTMCell : public Cloneable<LSTMCell, RecurrentCellBase> {
 public:
  /// torch.nn.LSTMCell(input_size, hidden_size, bias).
  LSTMCell(int64_t input_size, int64_t hidden_size, const RecurrentCellOptions& options = {});
  using RecurrentCellBase::forward;
  /// One step from hx = (h, c) (zeros where undefined): (h', c').
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const std::tuple<Tensor, Tensor>& hx);
};

/// torch.nn.GRUCell; see metagrad::gru_cell.
class GRUCell : public Cloneable<GRUCell, RecurrentCellBase> {
 public:
  /// torch.nn.GRUCell(input_size, hidden_size, bias).
  GRUCell(int64_t input_size, int64_t hidden_size, const RecurrentCellOptions& options = {});
  using RecurrentCellBase::forward;
  /// One step from hidden state hx ([N, H] or [H]; zeros when undefined).
  Tensor forward(const Tensor& input, const Tensor& hx);
};

/// Options of RNN, LSTM and GRU (`LSTM(8, 16, {.num_layers = 2, .batch_first = true})`).
struct RecurrentOptions {
  /// Stacked layers; layer k > 0 reads layer k - 1's output sequence.
  int64_t num_layers = 1;
  /// Whether the layers have biases.
  bool bias = true;
  /// Input and output as [N, L, *] instead of [L, N, *] (the states stay [D layers, N, H]).
  bool batch_first = false;
  /// Dropout probability on the outputs of every layer but the last, in training mode.
  double dropout = 0.0;
  /// Whether each layer also runs over the reversed sequence (outputs concatenated: 2H).
  bool bidirectional = false;
  /// RNN only: relu instead of tanh.
  bool relu = false;
  /// dtype of the parameters.
  DType dtype = kFloat32;
  /// Generator of the initial values and of the dropout masks (the default one when null).
  Generator* generator = nullptr;
};

/// The common part of RNN, LSTM and GRU (torch.nn.RNNBase): for each layer k and direction
/// (suffix "_reverse" for the backward one) the parameters `weight_ih_l{k}`, `weight_hh_l{k}`,
/// `bias_ih_l{k}`, `bias_hh_l{k}` in PyTorch's order and shapes, drawn from U(-1/sqrt(H),
/// 1/sqrt(H)). Input [L, N, in] ([N, L, in] with batch_first, or unbatched [L, in]); output
/// [L, N, D H] (D = 2 when bidirectional), each step's last-layer hidden state (both directions
/// concatenated). Each layer projects its whole input sequence with one matrix product, then
/// steps through time. forward(input) starts from zero states and returns the output only.
class RecurrentBase : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  /// Redraws every parameter in place from U(-1/sqrt(H), 1/sqrt(H)).
  void reset_parameters(Generator* generator = nullptr);
  /// The options the layer was made with (the generator is not kept).
  const RecurrentOptions& options() const { return options_; }

 protected:
  /// `layer`: the class name (for messages during construction).
  RecurrentBase(const char* layer, RecurrentMode mode, int64_t input_size, int64_t hidden_size,
                const RecurrentOptions& options);
  /// The output sequence and the final (h, c) states [D layers, N, H] from h0 / c0 (zeros where
  /// undefined; c only for an LSTM; unbatched input: [D layers, H]). With `lengths` (one per
  /// sequence, at most L) the input is a time-first [L, N, in] padded batch whose sequence n
  /// ends after lengths[n] steps: its state stops changing there (the reverse direction starts
  /// there) and its outputs past the end are zeros, as PyTorch's packed sequences.
  std::tuple<Tensor, Tensor, Tensor> run(const Tensor& input, const Tensor& h0, const Tensor& c0,
                                         const std::vector<int64_t>* lengths = nullptr);
  /// run() over a packed batch: the packed output (the input's layout) and the final states, in
  /// the original batch order.
  std::tuple<utils::rnn::PackedSequence, Tensor, Tensor> run_packed(
      const utils::rnn::PackedSequence& input, const Tensor& h0, const Tensor& c0);

 private:
  RecurrentMode mode_;
  int64_t input_size_, hidden_size_;
  RecurrentOptions options_;
};

/// torch.nn.RNN (tanh, or relu with RecurrentOptions::relu).
class RNN : public Cloneable<RNN, RecurrentBase> {
 public:
  /// torch.nn.RNN(input_size, hidden_size, ...).
  RNN(int64_t input_size, int64_t hidden_size, const RecurrentOptions& options = {});
  using RecurrentBase::forward;
  /// (output, h_n) from h0 [D layers, N, H] (zeros when undefined).
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const Tensor& h0);
  /// (packed output, h_n) of a packed batch of sequences, each run to its own end; h0 and h_n
  /// in the original batch order.
  std::tuple<utils::rnn::PackedSequence, Tensor> forward(const utils::rnn::PackedSequence& input,
                                                         const Tensor& h0 = {});
};

/// torch.nn.LSTM (no projections: proj_size = 0).
class LSTM : public Cloneable<LSTM, RecurrentBase> {
 public:
  /// torch.nn.LSTM(input_size, hidden_size, ...).
  LSTM(int64_t input_size, int64_t hidden_size, const RecurrentOptions& options = {});
  using RecurrentBase::forward;
  /// (output, (h_n, c_n)) from hx = (h0, c0), each [D layers, N, H] (zeros where undefined).
  std::tuple<Tensor, std::tuple<Tensor, Tensor>> forward(const Tensor& input,
                                                         const std::tuple<Tensor, Tensor>& hx);
  /// (packed output, (h_n, c_n)) of a packed batch of sequences, each run to its own end; the
  /// states in the original batch order.
  std::tuple<utils::rnn::PackedSequence, std::tuple<Tensor, Tensor>> forward(
      const utils::rnn::PackedSequence& input, const std::tuple<Tensor, Tensor>& hx = {});
};

/// torch.nn.GRU.
class GRU : public Cloneable<GRU, RecurrentBase> {
 public:
  /// torch.nn.GRU(input_size, hidden_size, ...).
  GRU(int64_t input_size, int64_t hidden_size, const RecurrentOptions& options = {});
  using RecurrentBase::forward;
  /// (output, h_n) from h0 [D layers, N, H] (zeros when undefined).
  std::tuple<Tensor, Tensor> forward(const Tensor& input, const Tensor& h0);
  /// (packed output, h_n) of a packed batch of sequences, as RNN's.
  std::tuple<utils::rnn::PackedSequence, Tensor> forward(const utils::rnn::PackedSequence& input,
                                                         const Tensor& h0 = {});
};

/// @}
}  // namespace metagrad::nn
