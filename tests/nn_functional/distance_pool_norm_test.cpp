// conv1d, adaptive_avg_pool2d/1d, instance_norm, normalize, cosine_similarity,
// pairwise_distance and cdist: values against PyTorch 1.13 in float64 on inputs both sides compute
// the same way (wave()), gradcheck and gradgradcheck, and the layers Conv1d, AdaptiveAvgPool2d,
// InstanceNorm1d/2d.
#include <cmath>
#include <limits>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::wave;

namespace {

Tensor expected(const std::vector<double>& values, const Dims& shape) {
  return tensor(values, shape, kFloat64);
}

}  // namespace

TEST_CASE("conv1d with stride, padding, dilation and groups matches PyTorch", "[nn][conv1d]") {
  const Tensor x = wave({2, 4, 9}, 0.1), w = wave({6, 2, 3}, 0.2), b = wave({6}, 0.3);
  const Tensor y = conv1d(x, w, b, 2, 1, 2, 2);
  CHECK(allclose(
      y,
      expected({-0.6422696119571314, -1.7474058592496358, -1.7646237762994608, -1.0264924949146037,
                4.1937567023764295,  6.0515709957389845,  5.697148863236977,   3.7714325252636245,
                -1.5652785482837135, -2.706434001503638,  -2.2606826742192467, -0.6704215845338055,
                1.8712552909711646,  1.075742593718397,   1.0114456034407093,  1.425310880319898,
                4.511305891489977,   6.0039051719782055,  4.589027661256704,   2.698705281406276,
                -2.8157844569663117, -3.824980329310719,  -2.0499485142820846, -0.1782164156208652,
                -0.6135472983268335, -1.7530953614197984, -0.5982173806678655, 0.788256322851741,
                4.849364565776751,   5.664350364202324,   2.7821139542595548,  0.8128751928403034,
                -2.386699307398213,  -2.2325542749415277, 0.09749287902004888, 1.0920347064430667,
                2.079375248697239,   1.0126698836895032,  1.1977826808556074,  2.209798943905924,
                4.071281491607972,   4.543637657489607,   1.4792875279721076,  -0.2039623048012682,
                -2.491868914153249,  -1.9962915348094272, 1.523715328257392,   2.546924083529121},
               {2, 6, 4}),
      1e-13, 1e-13));
  // Unbatched input, and the same values through conv2d on height-1 images.
  CHECK(allclose(conv1d(select(x, 0, 1), w, b, 2, 1, 2, 2), select(y, 0, 1), 0, 0));
  check_grads(
      [](const TensorList& in) -> TensorList { return {conv1d(in[0], in[1], in[2], 2, 1, 1, 2)}; },
      {wave({1, 4, 7}, 0.5).requires_grad_(), wave({2, 2, 3}, 0.6).requires_grad_(),
       wave({2}, 0.7).requires_grad_()});
}

TEST_CASE("adaptive_avg_pool2d and 1d use PyTorch's overlapping windows", "[nn][pool]") {
  const Tensor x = wave({2, 3, 7, 5}, 0.4);
  CHECK(allclose(
      adaptive_avg_pool2d(x, {3, 2}),
      expected(
          {0.10677023723406392,  -0.04643032448511971,  0.007887072403285173, 0.15021656230434394,
           -0.12014828994472083, -0.20836701802236535,  0.029469830184764848, -0.12135464574514608,
           0.0874640265961102,   0.19649557955787447,   -0.17782631764412737, -0.21194116876283217,
           -0.05211476470141754, -0.17863698895538038,  0.15432586446289562,  0.21420897676319728,
           -0.20965277638801838, -0.18470429101566144,  -0.12612315573246927, -0.20994991155810283,
           0.19875252074555735,  0.20078166202527148,   -0.2110008825611933,  -0.13061595630290126,
           -0.181796344750115,   -0.21074128545108664,  0.2142854532914518,   0.15816563636078693,
           -0.18167465471300373, -0.057539276975072634, -0.2110408206029684,  -0.18089606435189823,
           0.19866655608954617,  0.09255622080360398,   -0.1259374044357175,  0.023902196754833998},
          {2, 3, 3, 2}),
      1e-14, 1e-15));
  CHECK(allclose(
      select(select(adaptive_avg_pool2d(x, 4), 0, 0), 0, 0),
      expected(
          {0.8857081575884128, 0.8452661584655337, 0.6904213501171486, 0.4421312509433775,
           -0.20073951146671323, -0.22021734071046506, -0.20988978597530206, -0.1711546333458791,
           0.21868996650259506, 0.19346978944572016, 0.14206438399517815, 0.07143123062504202,
           -0.862839427167424, -0.879342316316257, -0.7768303481329724, -0.5691780366057938},
          {4, 4}),
      1e-14, 1e-15));
  CHECK(allclose(adaptive_avg_pool2d(x, 1), mean(x, {2, 3}, true), 1e-14, 1e-15));
  CHECK(adaptive_avg_pool2d(select(x, 0, 0), {2, 9}).shape() == Dims{3, 2, 9});
  CHECK(allclose(select(adaptive_avg_pool1d(wave({2, 3, 7}, 0.45), 3), 0, 1),
                 expected({1.0615657822186064, 0.1355499143979029, -0.8613670823759304,
                           -1.4080375470841815, -0.862680921724286, 0.13391207326568863,
                           1.336859978673519, 1.3339252074682826, 0.633263672150819},
                          {3, 3}),
                 1e-14, 1e-15));
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {adaptive_avg_pool2d(in[0], {3, 2})};
      },
      {noncontiguous(wave({1, 2, 5, 4}, 0.8)).requires_grad_()});
}

TEST_CASE("instance_norm: values, PyTorch's running-statistic update, eval mode", "[nn][norm]") {
  const Tensor x = wave({3, 2, 5, 4}, 0.5);
  const Tensor weight = wave({2}, 0.6) + 2.0, bias = wave({2}, 0.7);
  Tensor running_mean = wave({2}, 0.8).contiguous();
  Tensor running_var = (abs(wave({2}, 0.9)) + 0.5).contiguous();
  const Tensor y = instance_norm(x, running_mean, running_var, weight, bias, true, 0.3, 1e-5);
  CHECK(allclose(
      select(y, 0, 1),
      expected({2.6516065281930037,  1.1081919536518596,  -0.4573204225106996, -1.8330458443316309,
                -2.8327863297871656, -3.321231694165525,  -3.2322731487988956, -2.5779508154792414,
                -1.4468241524565648, 0.00801415278408998, 1.5896585605834053,  3.0840409201750774,
                4.288903589652923,   5.041174058969435,   5.239036049162915,   4.855709868073229,
                3.943076916046474,   2.6246577817847316,  1.0788943101265842,  -0.48500166454327676,
                -1.0388791639677475, -2.0748741039887117, -2.574580797647508,  -2.4703662881874946,
                -1.7763355205717168, -0.586422303351457,  0.938324191657753,   2.5915366792656034,
                4.149460604844731,   5.401238273619522,   6.177447450475811,   6.37303186468797,
                5.961520083320338,   4.998608295492003,   3.6146220944621095,  1.9968775199672926,
                0.36432871098255537, -1.0620665098286812, -2.089252240852116,  -2.5782037121398114},
               {2, 5, 4}),
      1e-13, 1e-13));
  CHECK(allclose(running_mean, expected({0.7530517069138031, 0.9711890003135141}, {2}), 1e-15,
                 1e-15));
  CHECK(
      allclose(running_var, expected({1.5140938174243417, 1.7042799174927137}, {2}), 1e-15, 1e-15));
  const Tensor eval = instance_norm(x, running_mean, running_var, weight, bias, false);
  CHECK(allclose(
      select(select(eval, 0, 2), 0, 1),
      expected({-1.8282942439322332, -0.4599837418186237, 0.8227125910374383,  1.8461878233843567,
                2.471919383863365,   2.615217441203077,   2.256687275584134,   1.4448542629820273,
                0.2895961931715984,  -1.0527281736588685, -2.4004415315871865, -3.5711372000268793,
                -4.406367012236312,  -4.793086531373116,  -4.678955084705388,  -4.079419828124796,
                -3.0756250460624686, -1.8034296532563814, -0.4350193279844396, 0.8443980117308573},
               {5, 4}),
      1e-13, 1e-13));
  // Without statistics: each (sample, channel) has mean 0 and biased variance 1 / (1 + eps).
  const Tensor plain = instance_norm(x);
  CHECK(allclose(mean(plain, {2, 3}), zeros({3, 2}, kFloat64), 0, 1e-14));
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {instance_norm(in[0], {}, {}, in[1], in[2])};
      },
      {wave({2, 2, 3}, 1.1).requires_grad_(), wave({2}, 1.2).requires_grad_(),
       wave({2}, 1.3).requires_grad_()});
}

TEST_CASE("normalize, cosine_similarity and pairwise_distance match PyTorch", "[nn][distance]") {
  const Tensor x = wave({3, 5}, 1.0);
  CHECK(allclose(normalize(x),
                 expected({0.4343162121593558, 0.5057690225506987, 0.5087683684095471,
                           0.4429083023444734, 0.31710267533384867, 0.22242513366496963,
                           -0.060602550947717715, -0.3354279645890502, -0.5648547767869705,
                           -0.7178311448003203, -0.6138690357186736, -0.5750771911553979,
                           -0.45845134657829917, -0.2797762629343174, -0.06323477459195698},
                          {3, 5}),
                 1e-15, 1e-15));
  CHECK(allclose(normalize(x, 1.0, 0),
                 expected({0.3952660771187177, 0.49118916926356554, 0.4550840889458931,
                           0.4198433342364789, 0.37344518957272266, 0.13503769975201824,
                           -0.03926224511973181, -0.20015133218823525, -0.3571888682611713,
                           -0.5639452324886798, -0.4696962231292641, -0.4695485856167026,
                           -0.34476457886587164, -0.22296779750234988, -0.0626095779385977},
                          {3, 5}),
                 1e-15, 1e-15));
  const Tensor x1 = wave({4, 6}, 1.2), x2 = wave({4, 6}, 2.3);
  CHECK(allclose(
      cosine_similarity(x1, x2),
      expected({0.27279001026514316, 0.6928488359376319, 0.5070186342449967, 0.11073646503529702},
               {4}),
      1e-15, 1e-15));
  CHECK(allclose(cosine_similarity(x1, slice(x2, 0, 0, 1), 0),
                 expected({0.3483364517766113, 0.34808902498129435, 0.31162557205644326,
                           -0.23339438345742194, -0.11053764283668158, 0.04008660857434104},
                          {6}),
                 1e-15, 1e-15));
  CHECK(allclose(
      pairwise_distance(x1, x2),
      expected({2.998092698763566, 2.201574005986941, 2.669344165246682, 3.1687643081233814}, {4}),
      1e-15, 1e-15));
  CHECK(allclose(
      pairwise_distance(x1, x2, 1.0, 1e-6, true),
      expected({6.819255825279594, 4.655298536104617, 5.722747022064158, 7.604685086144381},
               {4, 1}),
      1e-15, 1e-15));
  // A zero vector has cosine similarity 0, with a finite gradient (its norm is clamped at eps).
  const Tensor zero = zeros({1, 3}, kFloat64).requires_grad_();
  const Tensor c = cosine_similarity(zero, ones({1, 3}, kFloat64));
  CHECK(c.item<double>() == 0.0);
  CHECK(std::isfinite(grad({sum(c)}, {zero})[0].to_vector<double>()[0]));
  // torch.autograd of sum(cosine_similarity(x1, x2) * [1, 2, 3, 4])
  const Tensor x1_leaf = x1.clone().requires_grad_();
  const Tensor weighted =
      sum(cosine_similarity(x1_leaf, x2) * tensor({1.0, 2.0, 3.0, 4.0}, kFloat64));
  CHECK(allclose(select(grad({weighted}, {x1_leaf})[0], 0, 1),
                 expected({-0.3129577860510693, -0.23436537960992224, -0.12405271849626945,
                           0.0030498961082431886, 0.1297397215822145, 0.2388698843765808},
                          {6}),
                 1e-14, 1e-15));
  check_grads([](const TensorList& in) -> TensorList { return {normalize(in[0], 3.0, 0)}; },
              {wave({3, 4}, 1.4).requires_grad_()});
  check_grads(
      [](const TensorList& in) -> TensorList { return {cosine_similarity(in[0], in[1], -1)}; },
      {wave({3, 4}, 1.5).requires_grad_(), wave({1, 4}, 1.6).requires_grad_()});
  check_grads(
      [](const TensorList& in) -> TensorList { return {pairwise_distance(in[0], in[1], 1.5)}; },
      {wave({3, 4}, 1.7).requires_grad_(), wave({3, 4}, 1.8).requires_grad_()});
}

TEST_CASE("cdist: direct and matrix-product forms match PyTorch", "[nn][distance]") {
  const Tensor a = wave({2, 3, 4}, 1.4), c = wave({2, 5, 4}, 1.5);
  CHECK(allclose(
      cdist(a, c),
      expected({0.15799784882461754, 3.6701691925965267,  5.2475871910832925,  2.543377474450682,
                0.3509893299107291,  3.2887849565080143,  0.26248845324450065, 2.360599491776616,
                2.672728876054745,   3.6697296380341853,  5.199986682165687,   2.1152986931926616,
                0.13369200797837422, 3.4060071717714915,  5.449776807740812,   2.3921466378317784,
                3.3038822309097284,  0.7232597509595607,  2.5311114895375435,  2.3709628201625863,
                3.066451123956643,   5.507509934189277,   3.389310386125922,   0.31895643866503437,
                2.1535420215340593,  0.27548999401296703, 3.1457400465851295,  2.428803417016806,
                2.8837221792539847,  0.7114773786831123},
               {2, 3, 5}),
      1e-15, 1e-15));
  CHECK(allclose(
      cdist(a, c, 1.0),
      expected({0.26735517745317217, 7.205439465285419,  10.346320036013479, 4.251919545974603,
                0.5950948210733884,  6.456688963076078,  0.5175310946029514, 3.9463584230533915,
                4.531554029514265,   7.048550167842029,  10.252469265896593, 3.536274088101278,
                0.22667190933430348, 6.542011207975931,  10.844330470662541, 4.2510471235291725,
                6.10195936206677,    1.442671908072422,  4.724532993444191,  4.134890460428478,
                5.663446465824908,   10.98572104274183,  6.3264335887474825, 0.5562507873648785,
                3.7001351675756897,  0.5495144376418772, 5.871789014558799,  4.235762785428327,
                4.954703340952162,   1.4137968606073419},
               {2, 3, 5}),
      1e-15, 1e-15));
  CHECK(allclose(
      cdist(a, c, std::numeric_limits<double>::infinity()),
      expected({0.12528609879878938, 2.104378458002846,   2.9599743980909716, 1.982907132670448,
                0.2844588811622102,  1.8857027707169582,  0.1480602557149371, 1.840406945741727,
                2.1661099097395233,  2.295447750677958,   2.9331246702824227, 1.6491617577788449,
                0.10835052740643158, 2.130487058284764,   2.996698205118446,  1.756305920504598,
                2.2480912464669416,  0.3882789378130995,  1.6913331510319485, 1.8069111065169818,
                2.0865337949977305,  2.9566834106349504,  2.2647967262157382, 0.24307674781649768,
                1.5882822827604768,  0.14789563792479357, 2.1020387475268096, 1.8509914337050284,
                2.1268054209826333,  0.39358683051290977},
               {2, 3, 5}),
      1e-15, 1e-15));
  // More than 25 rows: the matrix-product form (PyTorch's default switch).
  const Tensor big_a = wave({30, 4}, 1.6), big_c = wave({27, 4}, 1.7);
  const Tensor row = select(cdist(big_a, big_c), 0, 3);
  CHECK(allclose(
      row,
      expected({2.276304111124075,   3.1848831651159983, 3.3083861615059464, 0.26107758266625836,
                2.320415225772373,   2.7149990418693757, 3.702635228936506,  0.713835168656932,
                2.191297181995533,   2.349978464277177,  3.796845139543981,  1.6984944258211574,
                1.8119322038298906,  2.2177100922361963, 3.611403825297013,  2.582183747588305,
                1.1760124918201227,  2.2699435245828896, 3.2194129902419846, 3.267175304264353,
                0.33077331234970264, 2.321633052131805,  2.74883926727242,   3.6833891371574876,
                0.6389281151223706,  2.209184381762479,  2.370085653821299},
               {27}),
      1e-13, 1e-13));
  CHECK(allclose(cdist(big_a, big_c, 2.0, CdistComputeMode::DonotUseMmForEuclidDist),
                 cdist(big_a, big_c), 1e-12, 1e-12));
  check_grads([](const TensorList& in) -> TensorList { return {cdist(in[0], in[1])}; },
              {wave({3, 4}, 1.9).requires_grad_(), wave({2, 4}, 2.0).requires_grad_()});
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {cdist(in[0], in[1], 2.0, CdistComputeMode::UseMmForEuclidDist)};
      },
      {wave({3, 4}, 2.1).requires_grad_(), wave({2, 4}, 2.2).requires_grad_()});
}

TEST_CASE("adaptive_max_pool2d and 1d pick PyTorch's maxima and indices", "[nn][pool]") {
  // Rounded values: many ties, where the first maximum in row-major order wins.
  const Tensor x = round(wave({2, 3, 7, 5}, 0.4) * 2.0);
  const auto [values, indices] = adaptive_max_pool2d_with_indices(x, {3, 2});
  CHECK(allclose(values,
                 expected({3, 3, 3, 3, 3, 2, 3, 3, 3, 3, 3, 2, 3, 3, 3, 3, 2, 3,
                           3, 2, 3, 3, 2, 3, 3, 2, 3, 3, 3, 3, 2, 3, 3, 3, 3, 3},
                          {2, 3, 3, 2}),
                 0, 0));
  CHECK(allclose(indices.to(kFloat64),
                 expected({2, 2, 20, 19, 20, 22, 1, 2,  20, 18, 20, 34, 0, 2,  17, 17, 20, 34,
                           0, 2, 16, 17, 32, 33, 0, 14, 15, 17, 32, 32, 0, 14, 15, 14, 31, 32},
                          {2, 3, 3, 2}),
                 0, 0));
  CHECK(indices.dtype() == kInt64);
  CHECK(allclose(adaptive_max_pool2d(x.select(0, 1), {3, 2}), values.select(0, 1), 0, 0));
  // The gradient reaches each window's maximum (overlapping windows add up).
  const Tensor image = wave({1, 2, 5, 6}, 0.3).requires_grad_();
  const Tensor pooled = adaptive_max_pool2d(image, {4, 4});
  const Tensor g = grad({sum(pooled * wave(pooled.shape(), 0.9))}, {image})[0];
  CHECK(allclose(g,
                 expected({0.0,
                           1.1749903644412252,
                           1.4326512833770384,
                           1.4964095719787605,
                           1.3576358449878014,
                           0.0,
                           1.0351124753354046,
                           0.5724914880784975,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.032386463589144605,
                           -0.5121019168152309,
                           0.0,
                           -2.201428689827287,
                           -2.142300346674409,
                           -1.79322170158439,
                           -1.2014389115682127,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           1.4956679927704006,
                           0.0,
                           4.329367308146637,
                           0.0,
                           1.9986766014013178,
                           0.022166134330095354,
                           0.0,
                           -0.5216978264560426,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           0.0,
                           -0.994952433826497,
                           0.0,
                           -2.1384042738120512,
                           -1.7843147997963462,
                           -1.4478641294429784,
                           -1.2081183272487341,
                           0.0,
                           0.0,
                           0.0,
                           0.0},
                          {1, 2, 5, 6}),
                 1e-14, 1e-15));
  check_grads(
      [](const TensorList& in) -> TensorList {
        return {adaptive_max_pool2d(in[0], {2, 3})};
      },
      {wave({1, 2, 5, 4}, 0.5).requires_grad_()});
  const auto [line_values, line_indices] =
      adaptive_max_pool1d_with_indices(round(wave({1, 2, 9}, 0.2) * 2.0), 4);
  CHECK(allclose(line_values, expected({2, 3, 3, 2, -1, -3, -2, 1}, {1, 2, 4}), 0, 0));
  CHECK(allclose(line_indices.to(kFloat64), expected({1, 3, 4, 6, 0, 2, 5, 8}, {1, 2, 4}), 0, 0));
  nn::AdaptiveMaxPool2d layer({3, 2});
  CHECK(layer.to_string() == "AdaptiveMaxPool2d(output_size=(3, 2))");
  CHECK(allclose(layer.forward(x), values, 0, 0));
}
