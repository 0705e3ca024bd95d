// Recurrent cells and layers (engine/nn/recurrent.hpp): values against PyTorch 1.13 in float64 on
// parameters and inputs both sides compute the same way (wave()), a second-order derivative
// through an LSTM against torch.autograd's, gradcheck and gradgradcheck of every cell, slots,
// repr and errors.
#include <cmath>
#include <string>
#include <vector>

#include "tests/nn/nn_helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::fill_wave_parameters;
using metagrad::testing::wave;

namespace {

Tensor expected(const std::vector<double>& values, const Dims& shape) {
  return tensor(values, shape, kFloat64);
}

}  // namespace

TEST_CASE("LSTM: two bidirectional batch_first layers from a given state match PyTorch",
          "[nn][recurrent]") {
  nn::LSTM lstm(3, 5,
                {.num_layers = 2, .batch_first = true, .bidirectional = true, .dtype = kFloat64});
  fill_wave_parameters(lstm);
  const Tensor x = wave({2, 4, 3}, 0.3);
  const Tensor h0 = wave({4, 2, 5}, 0.7) * 0.5, c0 = wave({4, 2, 5}, 0.9) * 0.5;
  const auto [out, state] = lstm.forward(x, {h0, c0});
  const auto& [h_n, c_n] = state;
  CHECK(allclose(
      out,
      expected(
          {0.0342728650979156,   -0.18031367989617061, -0.310080230218094,    -0.26496363916158766,
           0.3162371783770762,   -0.688090894960961,   -0.5141766393706362,   0.30192630882672095,
           -0.084108200151913,   0.047228593978190174, -0.358797459174177,    -0.41280065352081236,
           -0.13328441492053295, -0.3552283731489034,  0.09791795151511794,   -0.6313494274415388,
           -0.489110526274193,   0.3291190116205895,   -0.026315196268479786, 0.1704340051981722,
           -0.4001927732782391,  -0.5701450055853946,  0.08665776495210785,   -0.2960168973636614,
           0.28029173302278826,  -0.4734704612765509,  -0.4573905886367075,   0.3997527888913679,
           -0.14830744065524626, 0.5846232622762643,   -0.3262446012456938,   -0.6689383843008235,
           -0.1741136453380682,  -0.28265182998124516, 0.27043023137985817,   -0.3145019525709625,
           -0.41992726254052254, 0.10238246789460753,  -0.06708824457965135,  0.5934898798068675,
           -0.41592549781177013, -0.39784681394480237, 0.1463798845465004,    -0.32901280437727654,
           -0.2589747450086264,  -0.39064525558415597, -0.4612508222048324,   0.3009197924595525,
           -0.14206492137878798, 0.7200817226379166,   -0.24907160497628683,  -0.36703342997461913,
           -0.12470282269437877, -0.28219489927319996, 0.2334071906846406,    -0.27346200365410117,
           -0.38134681183479097, -0.03657941691506295, -0.09829853682377292,  0.6583150424242549,
           -0.45797097642679874, -0.543280496825884,   -0.27509521151972044,  -0.16801345839626458,
           -0.19712098934878794, -0.2323667306780368,  -0.2834689086304733,   -0.35075851925536733,
           0.38714596761413433,  0.26214759385641695,  -0.6430643406074678,   -0.5942525037371573,
           -0.13530611226992295, -0.28093352312792313, -0.36060018895047596,  0.15432853916991726,
           -0.01342171560687527, -0.09960383245961311, 0.4267559511752291,    0.17047339040125278},
          {2, 4, 10}),
      1e-13, 1e-14));
  CHECK(allclose(
      h_n,
      expected(
          {-0.5755042582206378,  -0.3097280025329712,  -0.16894254402884037, -0.17062729464675067,
           -0.39724564842724336, -0.0803978962989108,  -0.23273515270038184, 0.5086953308115648,
           -0.09557388720316307, -0.23535907433747574, -0.1889665520984189,  -0.5289221455657871,
           0.6692527940367923,   -0.16638766605379962, -0.2984707677565096,  -0.744188778663543,
           -0.2533846664967653,  -0.11823045593981232, -0.20259106055176967, -0.12905730784157074,
           -0.3262446012456938,  -0.6689383843008235,  -0.1741136453380682,  -0.28265182998124516,
           0.27043023137985817,  -0.6430643406074678,  -0.5942525037371573,  -0.13530611226992295,
           -0.28093352312792313, -0.36060018895047596, -0.688090894960961,   -0.5141766393706362,
           0.30192630882672095,  -0.084108200151913,   0.047228593978190174, -0.39064525558415597,
           -0.4612508222048324,  0.3009197924595525,   -0.14206492137878798, 0.7200817226379166},
          {4, 2, 5}),
      1e-13, 1e-14));
  CHECK(allclose(
      c_n,
      expected(
          {-0.8818602178908655,  -0.4261771759988788,  -0.6272225047846012,  -0.9750367701992266,
           -0.7081768205709087,  -1.0826642551190981,  -2.0627346507033604,  1.0294623766133246,
           -0.10199268925029858, -0.2585357997528154,  -2.1646237930022894,  -1.6212801843682527,
           1.0211125842358166,   -0.18401741789383866, -0.39958499362844796, -1.0859025442740138,
           -0.3180874386801427,  -0.8410766837233465,  -1.21643877752351,    -0.15480527297893681,
           -0.933555000883191,   -0.9774862096639294,  -0.36392299232309006, -0.3934148141940092,
           0.30910707321633113,  -1.1291695324271496,  -1.0800833172257318,  -0.27714712968171995,
           -0.34422958029057016, -0.46923568863539783, -1.3564052497183021,  -0.8371110829606416,
           0.429925976109639,    -0.12285624425169472, 0.05703770128970574,  -1.0287387537295276,
           -0.5890484257454185,  0.43113976912423924,  -0.26646730453531,    1.0475115727857691},
          {4, 2, 5}),
      1e-13, 1e-14));
  // A second-order derivative through the recurrence: d/dW_hh of ||d sum(out^2) / dx||^2.
  const Tensor xr = x.clone().requires_grad_();
  const Tensor out_r = std::get<0>(lstm.forward(xr, {h0, c0}));
  const Tensor gx = grad({sum(out_r * out_r)}, {xr}, {}, {.create_graph = true})[0];
  const Tensor weight_hh = lstm.named_parameters()[1].second;
  const Tensor gw = grad({sum(gx * gx)}, {weight_hh})[0];
  CHECK(allclose(select(gw, 0, 0),
                 expected({0.008543812236016846, -0.001319381069981181, -0.02088938610563421,
                           -0.012270363809415855, -0.013717177815683972},
                          {5}),
                 1e-12, 1e-14));
}

TEST_CASE("GRU and a two-layer relu RNN (unbatched) match PyTorch", "[nn][recurrent]") {
  nn::GRU gru(3, 4, {.dtype = kFloat64});
  fill_wave_parameters(gru);
  const auto [out, h_n] = gru.forward(wave({5, 2, 3}, 0.4), Tensor());
  CHECK(allclose(out,
                 expected({-0.04509867442741024, -0.3352954679832716,   -0.11216449068686074,
                           -0.06958027416782514, 0.18228108153009412,   -0.4408985351632432,
                           -0.08842050973259341, -0.046476301882802606, 0.03522756446233977,
                           -0.4871534772077559,  -0.34114245539220245,  -0.24717128862811388,
                           0.16492700919742126,  -0.14997715714240045,  0.47993484651427726,
                           -0.6494600519096478,  0.01408206438087578,   -0.17543476637163713,
                           0.41929373547204496,  -0.4491617261932328,   0.0010362857846742957,
                           -0.2601940319606376,  0.22698533027636436,   -0.6168382126603201,
                           0.0056205295042389,   -0.5118271133358886,   0.30873476643852626,
                           -0.45237922546778886, 0.13595221411533814,   -0.6239360274556407,
                           0.10035311421267712,  -0.616514299580688,    0.014880132111198631,
                           -0.3297775237723126,  -0.009968888145337473, -0.5949594177361028,
                           0.11766819606199075,  -0.26162677841841264,  0.6377054496849194,
                           -0.6364001796806481},
                          {5, 2, 4}),
                 1e-13, 1e-14));
  CHECK(allclose(h_n,
                 expected({0.014880132111198631, -0.3297775237723126, -0.009968888145337473,
                           -0.5949594177361028, 0.11766819606199075, -0.26162677841841264,
                           0.6377054496849194, -0.6364001796806481},
                          {1, 2, 4}),
                 1e-13, 1e-14));
  CHECK(allclose(gru(wave({5, 2, 3}, 0.4)), out, 0, 0));

  nn::RNN rnn(3, 4, {.num_layers = 2, .relu = true, .dtype = kFloat64});
  fill_wave_parameters(rnn);
  const auto [r_out, r_h] = rnn.forward(wave({3, 3}, 0.6), Tensor());
  CHECK(allclose(
      r_out,
      expected({3.38783323786686, 3.5448516100961776, 0.0, 0.0, 7.423430119466044,
                8.892032261537459, 0.0, 0.0, 10.656112325855123, 12.781058957795043, 0.0, 0.0},
               {3, 4}),
      1e-13, 1e-14));
  CHECK(allclose(r_h,
                 expected({2.5587276310098406, 6.025824320133988, 0.0, 0.0, 10.656112325855123,
                           12.781058957795043, 0.0, 0.0},
                          {2, 4}),
                 1e-13, 1e-14));
}

TEST_CASE("RNNCell, LSTMCell and GRUCell match PyTorch", "[nn][recurrent]") {
  nn::GRUCell gru(3, 4, {.dtype = kFloat64});
  fill_wave_parameters(gru);
  CHECK(allclose(
      gru.forward(wave({2, 3}, 1.0), wave({2, 4}, 1.1) * 0.5),
      expected({0.26539278320375265, 0.5216056645936977, 0.5581623489337643, 0.2915242357502974,
                0.196020842083571, -0.28056250804451033, -0.23889745211837965, -0.4413830229028882},
               {2, 4}),
      1e-14, 1e-15));
  nn::LSTMCell lstm(3, 4, {.dtype = kFloat64});
  fill_wave_parameters(lstm);
  const auto [h, c] = lstm.forward(wave({3}, 1.2), {Tensor(), Tensor()});
  CHECK(allclose(h,
                 expected({0.09643135101129131, -0.5042285091808029, -0.13292249732373543,
                           -0.016512239626678922},
                          {4}),
                 1e-14, 1e-15));
  CHECK(allclose(
      c,
      expected({0.1300782929343808, -0.950884651986192, -0.8977809679789711, -0.3326624993891632},
               {4}),
      1e-14, 1e-15));
  CHECK(allclose(lstm(wave({3}, 1.2)), h, 0, 0));
  nn::RNNCell rnn(3, 4, {.bias = false, .dtype = kFloat64});
  fill_wave_parameters(rnn);
  CHECK(allclose(
      rnn.forward(wave({2, 3}, 1.3), wave({2, 4}, 1.4) * 0.5),
      expected({0.9480047003636612, 0.9986803501623557, 0.5273583200460389, -0.991109802729332,
                -0.3227462268481611, 0.576816536980589, 0.7873378179234967, -0.031177663247565403},
               {2, 4}),
      1e-14, 1e-15));
}

TEST_CASE("recurrent cells: gradcheck and gradgradcheck in every operand", "[nn][recurrent]") {
  const TensorList operands = {
      wave({2, 3}, 0.1).requires_grad_(),         (wave({2, 2}, 0.2) * 0.5).requires_grad_(),
      (wave({8, 3}, 0.3) * 0.4).requires_grad_(), (wave({8, 2}, 0.4) * 0.4).requires_grad_(),
      (wave({8}, 0.5) * 0.4).requires_grad_(),    (wave({8}, 0.6) * 0.4).requires_grad_(),
      (wave({2, 2}, 0.7) * 0.5).requires_grad_()};
  check_grads(
      [](const TensorList& in) -> TensorList {
        const auto [h, c] = lstm_cell(in[0], {in[1], in[6]}, in[2], in[3], in[4], in[5]);
        return {h, c};
      },
      operands);
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {gru_cell(in[0], in[1], slice(in[2], 0, 0, 6), slice(in[3], 0, 0, 6),
                         slice(in[4], 0, 0, 6), slice(in[5], 0, 0, 6))};
      },
      operands);
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {rnn_tanh_cell(in[0], in[1], slice(in[2], 0, 0, 2), slice(in[3], 0, 0, 2),
                              slice(in[4], 0, 0, 2), slice(in[5], 0, 0, 2))};
      },
      operands);
}

TEST_CASE("recurrent layers: PyTorch's slots, repr, dropout between layers and errors",
          "[nn][recurrent]") {
  nn::LSTM lstm(3, 4, {.num_layers = 2, .bidirectional = true});
  std::vector<std::string> names;
  for (const auto& [name, p] : lstm.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{
                     "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                     "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                     "bias_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1",
                     "bias_hh_l1", "weight_ih_l1_reverse", "weight_hh_l1_reverse",
                     "bias_ih_l1_reverse", "bias_hh_l1_reverse"});
  CHECK(lstm.named_parameters()[8].second.shape() == Dims{16, 8});
  for (const Tensor& p : lstm.parameters()) CHECK(amax(abs(p), {}).item<double>() <= 0.5);
  CHECK(lstm.to_string() == "LSTM(3, 4, num_layers=2, bidirectional=True)");
  CHECK(nn::RNN(3, 4,
                {.num_layers = 2,
                 .bias = false,
                 .batch_first = true,
                 .dropout = 0.5,
                 .bidirectional = true,
                 .relu = true})
            .to_string() ==
        "RNN(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)");
  CHECK(nn::RNNCell(3, 4, {.bias = false}, true).to_string() ==
        "RNNCell(3, 4, bias=False, nonlinearity=relu)");
  CHECK(nn::GRUCell(3, 4).named_parameters()[0].second.shape() == Dims{12, 3});

  // Dropout acts between layers in training only.
  nn::GRU gru(3, 4, {.num_layers = 2, .dropout = 0.5, .dtype = kFloat64});
  const Tensor x = wave({6, 2, 3}, 0.8);
  gru.eval();
  const Tensor eval_out = gru(x);
  CHECK(allclose(gru(x), eval_out, 0, 0));
  gru.train();
  CHECK_FALSE(allclose(gru(x), eval_out, 1e-6, 1e-6));

  CHECK_THROWS_WITH(lstm(ones({5, 2, 6})),
                    MG_CONTAINS("LSTM: expected input [L, N, 3] (time first), or unbatched [L, 3], "
                                "got shape [5, 2, 6]"));
  CHECK_THROWS_WITH(lstm.forward(ones({5, 2, 3}), {ones({2, 2, 4}), Tensor()}),
                    MG_CONTAINS("LSTM: h0 must have shape [4, 2, 4]"));
  CHECK_THROWS_WITH(gru_cell(ones({2, 3}), Tensor(), ones({12, 2}), ones({12, 4})),
                    MG_CONTAINS("gru_cell: w_ih must be [12, 3]"));
}
