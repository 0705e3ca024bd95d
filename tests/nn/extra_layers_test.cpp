// The 1-D pooling and unpooling layers, channel dropout, Unflatten, Bilinear (against PyTorch
// 1.13 in float64), CosineSimilarity, PairwiseDistance and ModuleDict: each layer equals its
// functional op, prints as PyTorch's, and clones, saves and converts like any module.
#include <memory>
#include <string>
#include <vector>

#include "tests/nn/nn_helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::bit_equal;
using metagrad::testing::check_grads;
using metagrad::testing::names;
using metagrad::testing::wave;

TEST_CASE("1-D pooling and unpooling layers equal their ops and print like PyTorch", "[nn][pool]") {
  const Tensor x = wave({2, 3, 11}, 0.4);
  nn::MaxPool1d max_pool(3, 2, 1);
  CHECK(bit_equal(max_pool(x), max_pool1d(x, 3, 2, 1)));
  CHECK(max_pool.to_string() ==
        "MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False)");
  nn::AvgPool1d avg_pool(3, 2, 1, true, false);
  CHECK(bit_equal(avg_pool(x), avg_pool1d(x, 3, 2, 1, true, false)));
  CHECK(nn::AvgPool1d(3, 2, 1).to_string() ==
        "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(1,))");
  CHECK(bit_equal(nn::AvgPool1d(4)(x), avg_pool1d(x, 4, 4)));
  CHECK(bit_equal(nn::AdaptiveAvgPool1d(4)(x), adaptive_avg_pool1d(x, 4)));
  CHECK(bit_equal(nn::AdaptiveMaxPool1d(4)(x), adaptive_max_pool1d(x, 4)));
  CHECK(nn::AdaptiveMaxPool1d(4).to_string() == "AdaptiveMaxPool1d(output_size=4)");

  // MaxPool1d -> MaxUnpool1d keeps each window's maximum in place and zeroes the rest.
  nn::MaxPool1d pool(2);
  nn::MaxUnpool1d unpool(2);
  const Tensor line = wave({2, 3, 8}, 0.1) + 2.0;  // positive: zeros never win a window
  const auto [values, indices] = pool.forward_with_indices(line);
  const Tensor restored = unpool(values, indices);
  CHECK(bit_equal(restored, max_unpool1d(values, indices, 2)));
  CHECK(bit_equal(max_pool1d(restored, 2), values));
  CHECK(unpool.to_string() == "MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))");
  CHECK_THROWS_WITH(unpool(values), Catch::Contains("call it as unpool(input, indices)"));

  nn::MaxUnpool2d unpool2d(2);
  const auto [image_values, image_indices] = max_pool2d_with_indices(wave({1, 2, 4, 5}, 0.2), 2);
  CHECK(bit_equal(unpool2d(image_values, image_indices, IntPair{4, 5}),
                  max_unpool2d(image_values, image_indices, 2, 2, 0, IntPair{4, 5})));
  CHECK(unpool2d.to_string() == "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))");
  CHECK(nn::MaxUnpool2d({2, 3}, IntPair{1, 1}).to_string() ==
        "MaxUnpool2d(kernel_size=(2, 3), stride=(1, 1), padding=(0, 0))");
}

TEST_CASE("channel dropout zeroes whole channels in training only", "[nn][dropout]") {
  Generator generator(7);
  const Tensor x = wave({8, 16, 5}, 0.3) + 2.0;  // no zero entries
  const Tensor y = dropout1d(x, 0.25, true, &generator);
  // Each (n, c) channel is either all zeros or all x / 0.75.
  const Tensor ratio = y / x;
  const Tensor channel_min = amin(ratio, {2}), channel_max = amax(ratio, {2});
  CHECK(allclose(channel_min, channel_max, 0, 1e-12));
  const Tensor kept = gt(channel_min, 0.5).to(kFloat64);
  CHECK(allclose(channel_min, kept * (1.0 / 0.75), 1e-12, 1e-12));
  const double kept_fraction = mean(kept).item<double>();
  CHECK(kept_fraction > 0.6);  // 128 draws of keep probability 0.75
  CHECK(kept_fraction < 0.9);
  // Unbatched, image and volume layouts draw one value per channel too.
  const Tensor lines = wave({6, 4}, 0.1) + 2.0;
  const Tensor unbatched_ratio = dropout1d(lines, 0.5, true, &generator) / lines;
  CHECK(allclose(amin(unbatched_ratio, {1}), amax(unbatched_ratio, {1}), 0, 1e-12));
  const Tensor image = wave({2, 3, 4, 5}, 0.2) + 2.0;
  const Tensor image_ratio = reshape(dropout2d(image, 0.5, true, &generator) / image, {2, 3, 20});
  CHECK(allclose(amin(image_ratio, {2}), amax(image_ratio, {2}), 0, 1e-12));
  const Tensor volume = wave({3, 2, 2, 3}, 0.5) + 2.0;  // unbatched [C, D, H, W]
  const Tensor volume_ratio = reshape(dropout3d(volume, 0.5, true, &generator) / volume, {3, 12});
  CHECK(allclose(amin(volume_ratio, {1}), amax(volume_ratio, {1}), 0, 1e-12));
  // PyTorch's dropout2d takes a 3-D input as [N, C, L].
  const Tensor as_lines = wave({4, 3, 6}, 0.7) + 2.0;
  const Tensor line_ratio = dropout2d(as_lines, 0.5, true, &generator) / as_lines;
  CHECK(allclose(amin(line_ratio, {2}), amax(line_ratio, {2}), 0, 1e-12));

  nn::Dropout2d layer(0.5, &generator);
  CHECK(layer.to_string() == "Dropout2d(p=0.5, inplace=False)");
  CHECK(nn::Dropout1d(0.2).to_string() == "Dropout1d(p=0.2, inplace=False)");
  CHECK(nn::Dropout(0.1).to_string() == "Dropout(p=0.1, inplace=False)");
  layer.eval();
  CHECK(bit_equal(layer(image), image));
  CHECK(bit_equal(dropout3d(volume, 0.0, true), volume));
  CHECK(bit_equal(dropout1d(x, 1.0, true), x * 0.0));
  // The gradient is the mask: a product with a constant.
  const Tensor leaf = (wave({2, 3, 4}, 0.9) + 2.0).requires_grad_();
  Generator replay(11), again(11);
  const Tensor dropped = dropout1d(leaf, 0.5, true, &replay);
  const Tensor g = grad({sum(dropped)}, {leaf})[0];
  CHECK(bit_equal(g, dropout1d(ones_like(leaf), 0.5, true, &again)));
}

TEST_CASE("Unflatten splits a dim as PyTorch", "[nn]") {
  const Tensor x = wave({2, 12, 3}, 0.1);
  CHECK(unflatten(x, 1, {3, 4}).shape() == Dims{2, 3, 4, 3});
  CHECK(unflatten(x, -1, {1, -1}).shape() == Dims{2, 12, 1, 3});
  CHECK(bit_equal(unflatten(x, 1, {2, -1, 3}), reshape(x, {2, 2, 2, 3, 3})));
  nn::Unflatten layer(1, {3, 4});
  CHECK(bit_equal(layer(x), reshape(x, {2, 3, 4, 3})));
  CHECK(layer.to_string() == "Unflatten(dim=1, unflattened_size=(3, 4))");
  CHECK(nn::Unflatten(0, {5}).to_string() == "Unflatten(dim=0, unflattened_size=(5,))");
  CHECK_THROWS_WITH(unflatten(x, 1, {5, -1}), Catch::Contains("cannot infer the -1"));
  CHECK_THROWS_WITH(unflatten(x, 3, {3, 4}), Catch::Contains("unflatten"));
}

TEST_CASE("bilinear matches PyTorch and has every derivative", "[nn][bilinear]") {
  const Tensor x1 = wave({2, 3, 4}, 0.1).requires_grad_(),
               x2 = wave({2, 3, 5}, 0.2).requires_grad_();
  const Tensor w = wave({6, 4, 5}, 0.3).requires_grad_(), b = wave({6}, 0.4).requires_grad_();
  const Tensor y = bilinear(x1, x2, w, b);
  CHECK(allclose(
      y,
      tensor({-0.9378418360263416, 5.845872992928039,   7.0964388048477645,  1.7243707456831157,
              -4.10539920270966,   -3.9141051724800304, 2.621978844520835,   3.7540964527754617,
              1.7019321011671615,  -0.9153457111268493, -1.0261736944053574, 1.4263835196614307,
              -3.810847465213203,  5.192068607744601,   9.395996102277401,   4.395104545650458,
              -4.062470158862734,  -6.547186137538594,  -1.0833877572557253, 1.4806454901377435,
              3.413267014871331,   2.859107957490293,   0.5730445307412686,  -0.945404391263063,
              -5.241145727950001,  2.827253445609056,   8.752127625890314,   6.195186108528098,
              -1.8397597648438049, -6.39774029387858,   -3.205783407853945,  -1.5325613546776444,
              2.8927950470242543,  5.415811621152242,   3.335987616785531,   -1.0787454416752775},
             {2, 3, 6}, kFloat64)));
  const TensorList g = grad({sum(y * wave(y.shape(), 0.9))}, {x1, x2, w, b});
  CHECK(allclose(
      g[0],
      tensor({0.01839762411874135, -5.851723825589149,   3.2069584027672713,  4.084110910039999,
              6.412378027429728,   -0.16850263068213067, -6.319502664269193,  3.6516892287903566,
              17.404963191765603,  -19.360580080227315,  -6.733789105814434,  23.07211328369854,
              -1.7955076211621857, -4.131637162755069,   4.072785432108187,   1.8867972777591178,
              7.135841459408887,   -1.549570016497043,   -6.281748692772345,  5.0119473619584145,
              9.521842281852766,   -14.734653095568188,  -1.4003889148903745, 15.506520148978076},
             {2, 3, 4}, kFloat64)));
  CHECK(allclose(
      g[1],
      tensor({0.7028769298627194,  0.9734620246013184,   1.1122936010269258,   1.1005814565586969,
              0.9399107750062836,  1.8910922535215766,   1.662876569053099,    1.2095983418698755,
              0.5926066535969372,  -0.10459156519687518, -0.4288229875647669,  0.9574784722252706,
              2.2141897125341825,  3.1712207624851034,   3.699041959102764,    -1.5060036020846135,
              -1.146521622388582,  -0.6318633196783262,  -0.03168528085444508, 0.5727812120907091,
              -1.003945755801732,  -0.6029797598580626,  -0.12040328212351947, 0.3784692150091169,
              0.8261176793695906,  -2.337743311121417,   -2.3198057485177745,  -1.9878933605529374,
              -1.3869289318666236, -0.5982501786298848},
             {2, 3, 5}, kFloat64)));
  CHECK(allclose(
      g[2],
      tensor(
          {2.2261558931817405,   1.86611382377756,      1.2535020026607808,   0.47123456592758695,
           -0.37481225864262213, 1.297968361877071,     1.0760338980497215,   0.7084632940245537,
           0.2450055067047161,   -0.2516126265748142,   0.19410690183718377,  0.14031783212406224,
           0.06753740209365855,  -0.014383898477848156, -0.0943584058682958,  -0.9360260167697259,
           -0.814389594118881,   -0.5825293603783368,   -0.27182651047935225, 0.07566678241720592,
           1.4085563905754055,   0.902281295862038,     0.27388666054664906,  -0.39157724941332106,
           -1.0040430156371163,  0.4449742558212295,    0.1627742294927747,   -0.14145652518909607,
           -0.4265418027891812,  -0.6538966483798041,   -0.5788330569897512,  -0.5987635652299057,
           -0.5376542338430556,  -0.4037759241555796,   -0.21524843733213406, -1.5242980309657912,
           -1.2792615203255817,  -0.861082964196387,    -0.3263608683860076,  0.25253263993237424,
           0.40031538834142744,  -0.18367077265550547,  -0.7427979562120613,  -1.2013909210180502,
           -1.4973812606438335,  -0.4682450282914151,   -0.7725161674175864,  -0.9722308673209552,
           -1.0403586802736107,  -0.9676788263944298,   -1.2734306769817438,  -1.2568051229568655,
           -1.0700768914791368,  -0.7385187726973352,   -0.30700560257912907, -1.9062634574759532,
           -1.570991401043293,   -1.023093028333244,    -0.33672381378465355, 0.39521938931686973,
           -0.6621064237401808,  -1.2447638637326714,   -1.6589483542202066,  -1.8486019674425753,
           -1.788055976555452,   -1.3180895444615448,   -1.6032501251051454,  -1.6714183225021029,
           -1.513367890926205,   -1.1504902148431615,   -1.7956754287776187,  -1.744744003230975,
           -1.4576696618111462,  -0.9733065699026877,   -0.3572109997454289,  -2.0302250677028844,
           -1.6500949654836172,  -1.0466322506315606,   -0.3015127706303691,  0.4844150484152936,
           -1.634915237450202,   -2.1373840053048823,   -2.3505678749631898,  -2.24561340975761,
           -1.8367257041900684,  -1.9895368242263836,   -2.216991699546061,   -2.1443871487103987,
           -1.781549857071654,   -1.177588149906453,    -2.0748839351826867,  -1.996539967631899,
           -1.6479736816545285,  -1.0763618888592403,   -0.35906956384873956, -1.8794052392325702,
           -1.5058659172911513,  -0.9285147077807427,   -0.22549338843161348, 0.5080474032044284,
           -2.38644594350543,    -2.740719248680716,    -2.7240490608422876,  -2.338691611710682,
           -1.636803224232351,   -2.3917096281713395,   -2.5306738478316313,  -2.327123234115613,
           -1.8086074076906444,  -1.0453050531956478,   -2.0732666346813327,  -1.978113613606234,
           -1.615232194679993,   -1.033736675600578,    -0.31232974695659577, -1.4742167283206649,
           -1.1578249815296906,  -0.6847270550912024,   -0.11895453394594213, 0.4629179253279525},
          {6, 4, 5}, kFloat64)));
  CHECK(allclose(g[3], tensor({0.10231722848437164, 0.315131909934653, 0.4852949657258978,
                               0.5897756245277426, 0.6144329193122863, 0.5559296009030401},
                              {6}, kFloat64)));
  check_grads([](const TensorList& in) { return TensorList{bilinear(in[0], in[1], in[2], in[3])}; },
              {wave({3, 2}, 0.5).requires_grad_(), wave({3, 3}, 0.6).requires_grad_(),
               wave({2, 2, 3}, 0.7).requires_grad_(), wave({2}, 0.8).requires_grad_()});
  CHECK(bilinear(zeros({0, 4}), zeros({0, 5}), zeros({6, 4, 5})).shape() == Dims{0, 6});
}

TEST_CASE("Bilinear, CosineSimilarity and PairwiseDistance layers", "[nn][bilinear]") {
  Generator generator(3);
  nn::Bilinear layer(4, 5, 6, {.dtype = kFloat64, .generator = &generator});
  CHECK(names(layer.state_dict()) == std::vector<std::string>{"weight", "bias"});
  CHECK(layer.weight().shape() == Dims{6, 4, 5});
  CHECK(amax(abs(layer.weight())).item<double>() <= 0.5);  // U(-1/sqrt(4), 1/sqrt(4))
  CHECK(amax(abs(layer.bias())).item<double>() <= 0.5);
  CHECK(amax(abs(layer.weight())).item<double>() > 0.3);
  const Tensor x1 = wave({3, 4}, 0.1), x2 = wave({3, 5}, 0.2);
  CHECK(bit_equal(layer(x1, x2), bilinear(x1, x2, layer.weight(), layer.bias())));
  CHECK(layer.to_string() == "Bilinear(in1_features=4, in2_features=5, out_features=6, bias=True)");
  CHECK(nn::Bilinear(2, 3, 4, false).bias().defined() == false);
  CHECK_THROWS_WITH(layer(x1), Catch::Contains("call it as layer(input1, input2)"));

  const Tensor a = wave({4, 3}, 0.3), c = wave({4, 3}, 1.3);
  CHECK(bit_equal(nn::CosineSimilarity(0, 1e-6)(a, c), cosine_similarity(a, c, 0, 1e-6)));
  CHECK(bit_equal(nn::PairwiseDistance(1.0, 1e-3, true)(a, c),
                  pairwise_distance(a, c, 1.0, 1e-3, true)));
  CHECK(nn::CosineSimilarity().to_string() == "CosineSimilarity()");
  CHECK(nn::PairwiseDistance().to_string() == "PairwiseDistance()");
}

TEST_CASE("ModuleDict holds modules by key, in order", "[nn][container]") {
  nn::ModuleDict heads({{"digits", std::make_shared<nn::Linear>(4, 10)},
                        {"letters", std::make_shared<nn::Linear>(4, 26)}});
  heads.insert("norm", nn::LayerNorm(Dims{4}));
  CHECK(heads.size() == 3);
  CHECK(heads.keys() == std::vector<std::string>{"digits", "letters", "norm"});
  CHECK(heads.contains("letters"));
  CHECK(!heads.contains("words"));
  CHECK(names(heads.named_parameters()) ==
        std::vector<std::string>{"digits.weight", "digits.bias", "letters.weight", "letters.bias",
                                 "norm.weight", "norm.bias"});
  const Tensor features = wave({2, 4}, 0.4).to(kFloat32);
  CHECK(heads["letters"](features).shape() == Dims{2, 26});
  CHECK(heads.at<nn::Linear>("digits").out_features() == 10);
  CHECK_THROWS_WITH(heads.at<nn::Linear>("norm"), Catch::Contains("is a LayerNorm"));
  // Replacing a key keeps its position; update appends new keys.
  heads.insert("digits", nn::Linear(4, 7));
  heads.update({{"extra", std::make_shared<nn::ReLU>()}});
  CHECK(heads.keys() == std::vector<std::string>{"digits", "letters", "norm", "extra"});
  CHECK(heads.at<nn::Linear>("digits").out_features() == 7);
  CHECK(heads.values().size() == 4);
  CHECK(heads.items()[3].first == "extra");
  CHECK(heads.to_string().rfind("ModuleDict(\n  (digits): Linear(in_features=4, out_features=7",
                                0) == 0);
  // Deep clone; the state dict round-trips by key.
  const auto copy = heads.clone();
  auto& cloned = dynamic_cast<nn::ModuleDict&>(*copy);
  CHECK(cloned["digits"].parameters()[0].data_ptr<float>() !=
        heads["digits"].parameters()[0].data_ptr<float>());
  cloned.load_state_dict(heads.state_dict());
  CHECK(bit_equal(cloned["letters"](features), heads["letters"](features)));
  CHECK_THROWS_WITH(heads(features), Catch::Contains("a module dict has no forward"));
  CHECK_THROWS_WITH(heads.insert("a.b", nn::ReLU()), Catch::Contains("a.b"));
  CHECK_THROWS_WITH(
      nn::ModuleDict({{"x", std::make_shared<nn::ReLU>()}, {"x", std::make_shared<nn::ReLU>()}}),
      Catch::Contains("the key \"x\" is given twice"));
}
