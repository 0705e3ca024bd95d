// embedding_bag against PyTorch 1.13 in float64 (values and the gradient of
// sum(y * wave(y.shape, 0.9)) in the weight and per_sample_weights) for every mode, offsets with
// an empty bag, include_last_offset, padding_idx and 2-D input; gradcheck and gradgradcheck; the
// errors; and nn::EmbeddingBag against the function.
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::wave;

namespace {

Tensor expected(const std::vector<double>& values, const Dims& shape) {
  return tensor(values, shape, kFloat64);
}

Tensor indices(const std::vector<double>& values, const Dims& shape) {
  return tensor(values, shape, kInt64);
}

// The gradients of sum(y * wave(y.shape, 0.9)).
TensorList weighted_grads(const Tensor& y, const TensorList& inputs) {
  return grad({sum(y * wave(y.shape(), 0.9))}, inputs);
}

// Bags [1, 2, 4], [], [5, 4, 3, 2], [6, 0, 2].
const std::vector<double> kIndex{1, 2, 4, 5, 4, 3, 2, 6, 0, 2};

}  // namespace

TEST_CASE("embedding_bag sums, means and maxima match PyTorch", "[nn][embedding]") {
  const Tensor w = wave({7, 3}, 0.2).requires_grad_();
  const Tensor input = indices(kIndex, {10}), offsets = indices({0, 3, 3, 7}, {4});
  const Tensor sums = embedding_bag(input, w, offsets, EmbeddingBagMode::Sum);
  CHECK(allclose(sums, expected({0.944077636790762, 0.5735953727780219, 0.1254796659173114, 0, 0, 0,
                                 -1.8356907176207238, -2.1928116921177843, -2.253145891031378,
                                 2.106910954071846, 2.543376087099762, 2.6356071982553204},
                                {4, 3})));
  CHECK(allclose(weighted_grads(sums, {w})[0],
                 expected({-1.328833816944904,   -1.490536505450197,  -1.4505020703656486,
                           1.1749903644412252,   1.4326512833770384,  1.4964095719787605,
                           -0.12145698891453427, -0.5699871388883894, -0.9413722035442456,
                           0.032386463589144605, -0.5121019168152309, -0.9872797051573574,
                           1.2073768280303698,   0.9205493665618075,  0.509129866821403,
                           0.032386463589144605, -0.5121019168152309, -0.9872797051573574,
                           -1.328833816944904,   -1.490536505450197,  -1.4505020703656486},
                          {7, 3})));
  const Tensor means = embedding_bag(input, w, offsets);
  CHECK(
      allclose(means, expected({0.31469254559692067, 0.19119845759267395, 0.04182655530577047, 0, 0,
                                0, -0.45892267940518094, -0.5482029230294461, -0.5632864727578445,
                                0.702303651357282, 0.847792029033254, 0.8785357327517734},
                               {4, 3})));
  CHECK(allclose(weighted_grads(means, {w})[0],
                 expected({-0.44294460564830135, -0.49684550181673226, -0.48350069012188285,
                           0.3916634548137417,   0.47755042779234613,  0.4988031906595868,
                           -0.04318453493727347, -0.14732055322819382, -0.23151742575163542,
                           0.008096615897286151, -0.12802547920380772, -0.24681992628933935,
                           0.39976007071102787,  0.34952494858853844,  0.25198326437024743,
                           0.008096615897286151, -0.12802547920380772, -0.24681992628933935,
                           -0.44294460564830135, -0.49684550181673226, -0.48350069012188285},
                          {7, 3})));
  const Tensor maxima = embedding_bag(input, w, offsets, EmbeddingBagMode::Max);
  CHECK(allclose(maxima, expected({1.449277427419101, 1.4910648032971139, 1.3310435529500628, 0, 0,
                                   0, 0.9908718019188011, 0.516590200887585, 0.30801527802683193,
                                   0.9908718019188011, 1.2173378131112231, 1.4518795080472298},
                                  {4, 3})));
  CHECK(allclose(weighted_grads(maxima, {w})[0], expected({0,
                                                           0,
                                                           0,
                                                           1.1749903644412252,
                                                           1.4326512833770384,
                                                           1.4964095719787605,
                                                           -1.2964473533557594,
                                                           -0.5121019168152309,
                                                           0,
                                                           0,
                                                           0,
                                                           0,
                                                           0,
                                                           0,
                                                           0,
                                                           0,
                                                           0,
                                                           -0.9872797051573574,
                                                           0,
                                                           -1.490536505450197,
                                                           -1.4505020703656486},
                                                          {7, 3})));
}

TEST_CASE("embedding_bag weights, padding and 2-D bags match PyTorch", "[nn][embedding]") {
  const Tensor w = wave({7, 3}, 0.2).requires_grad_();
  const Tensor input = indices(kIndex, {10}), offsets = indices({0, 3, 3, 7}, {4});
  const Tensor psw = wave({10}, 0.5).requires_grad_();
  const Tensor weighted = embedding_bag(input, w, offsets, EmbeddingBagMode::Sum, psw);
  CHECK(
      allclose(weighted, expected({0.05581804208157726, -0.3699169021563753, -0.7455853290460984, 0,
                                   0, 0, -3.19961278909203, -3.1226421392719743, -2.623036524877947,
                                   -1.020921594758561, -0.77822599598382, -0.43020115947585374},
                                  {4, 3})));
  const TensorList g = weighted_grads(weighted, {w, psw});
  CHECK(allclose(g[0], expected({0.6239958283770608,   0.6999284256499383,   0.6811289940237742,
                                 0.8449805824904747,   1.0302744197475588,   1.0761254475276032,
                                 2.6333264310622577,   2.7486109637764833,   2.491883896860487,
                                 0.03456315875221097,  -0.5465203015907255,  -1.053634802955992,
                                 1.7114994856948904,   1.327735387724984,    0.7642685337147763,
                                 0.04854236841796473,  -0.7675626529944152,  -1.479781670123182,
                                 -0.10279147826998422, -0.11529993356344172, -0.11220308374552723},
                                {7, 3})));
  CHECK(allclose(g[1], expected({5.830849230016645, 1.8630433731136053, -5.575079356499736,
                                 -0.2039936115271042, 1.8489027169271222, 1.8482653843604577,
                                 -0.20519773862529234, -5.007473460941203, -3.3595567348159805,
                                 -2.0466529319563618},
                                {10})));

  const Tensor ends = indices({0, 3, 3, 7, 10}, {5});
  const Tensor padded = embedding_bag(input, w, ends, EmbeddingBagMode::Mean, {}, true, 2);
  CHECK(
      allclose(padded, expected({-0.02339708256401951, 0.028502585945218373, 0.07654456315844604, 0,
                                 0, 0, -0.942187506513175, -0.9031339643351232, -0.7418454768772658,
                                 0.5580195760765224, 1.0133929431060884, 1.3316083293274505},
                                {4, 3})));
  CHECK(allclose(weighted_grads(padded, {w})[0], expected({-0.664416908472452,
                                                           -0.7452682527250984,
                                                           -0.7252510351828243,
                                                           0.5874951822206126,
                                                           0.7163256416885192,
                                                           0.7482047859893802,
                                                           0,
                                                           0,
                                                           0,
                                                           0.010795487863048202,
                                                           -0.17070063893841028,
                                                           -0.32909323505245247,
                                                           0.5982906700836608,
                                                           0.545625002750109,
                                                           0.41911155093692776,
                                                           0.010795487863048202,
                                                           -0.17070063893841028,
                                                           -0.32909323505245247,
                                                           -0.664416908472452,
                                                           -0.7452682527250984,
                                                           -0.7252510351828243},
                                                          {7, 3})));
  CHECK(allclose(embedding_bag(input, w, ends, EmbeddingBagMode::Max, {}, true, -5),
                 expected({1.449277427419101, 1.4910648032971139, 1.3310435529500628, 0, 0, 0,
                           -0.5680723107434971, -0.24369302282273128, 0.30801527802683193,
                           0.818035155960453, 1.2173378131112231, 1.4518795080472298},
                          {4, 3})));

  const Tensor bags = indices({1, 2, 4, 5, 4, 3, 6, 0, 6}, {3, 3});
  const Tensor rows_max = embedding_bag(bags, w, {}, EmbeddingBagMode::Max);
  CHECK(allclose(rows_max, expected({1.449277427419101, 1.4910648032971139, 1.3310435529500628,
                                     -0.5680723107434971, -0.24369302282273128, 0.30801527802683193,
                                     0.818035155960453, 1.2173378131112231, 1.4518795080472298},
                                    {3, 3})));
  CHECK(allclose(weighted_grads(rows_max, {w})[0], expected({0,
                                                             0,
                                                             0,
                                                             1.1749903644412252,
                                                             1.4326512833770384,
                                                             1.4964095719787605,
                                                             0,
                                                             0,
                                                             0,
                                                             1.3576358449878014,
                                                             0,
                                                             0,
                                                             0,
                                                             0,
                                                             0,
                                                             0,
                                                             1.0351124753354046,
                                                             0.5724914880784975,
                                                             0.032386463589144605,
                                                             -0.5121019168152309,
                                                             -0.9872797051573574},
                                                            {7, 3})));
}

TEST_CASE("embedding_bag passes gradcheck and gradgradcheck", "[nn][embedding]") {
  const Tensor input = indices(kIndex, {10}), offsets = indices({0, 3, 3, 7}, {4});
  check_grads(
      [&](const TensorList& in) {
        return TensorList{
            embedding_bag(input, in[0], offsets, EmbeddingBagMode::Sum, in[1]),
            embedding_bag(input, in[0], offsets, EmbeddingBagMode::Mean, {}, false, 4),
            embedding_bag(input, in[0], offsets, EmbeddingBagMode::Max)};
      },
      {wave({7, 3}, 0.2).requires_grad_(), wave({10}, 0.5).requires_grad_()});
}

TEST_CASE("embedding_bag rejects bad input naming the op", "[nn][embedding][errors]") {
  const Tensor w = ones({5, 2}), input = indices({0, 1, 2, 3}, {4});
  CHECK_THROWS_WITH(embedding_bag(input, w),
                    MG_CONTAINS("embedding_bag: a 1-D input needs int64 offsets [B]"));
  CHECK_THROWS_WITH(embedding_bag(indices({0, 1}, {1, 2}), w, indices({0}, {1})),
                    MG_CONTAINS("embedding_bag: a 2-D input [B, L] is B bags"));
  CHECK_THROWS_WITH(embedding_bag(input, w, indices({1, 2}, {2})),
                    MG_CONTAINS("embedding_bag: offsets[0] must be 0"));
  CHECK_THROWS_WITH(embedding_bag(input, w, indices({0, 3, 2}, {3})),
                    MG_CONTAINS("embedding_bag: offsets must be non-decreasing"));
  CHECK_THROWS_WITH(embedding_bag(indices({0, 7}, {2}), w, indices({0}, {1})),
                    MG_CONTAINS("embedding_bag: index 7 at position 1 is out of range"));
  CHECK_THROWS_WITH(
      embedding_bag(input, w, indices({0}, {1}), EmbeddingBagMode::Mean, ones({4})),
      MG_CONTAINS("embedding_bag: per_sample_weights are only supported with mode sum"));
  CHECK_THROWS_WITH(embedding_bag(input, w, indices({0}, {1}), EmbeddingBagMode::Sum, ones({3})),
                    MG_CONTAINS("embedding_bag: per_sample_weights must have the input's shape"));
  CHECK_THROWS_WITH(embedding_bag(input, w, indices({0}, {1}), EmbeddingBagMode::Sum, {}, false, 5),
                    MG_CONTAINS("embedding_bag: padding_idx 5 must be within num_embeddings 5"));
}

TEST_CASE("nn::EmbeddingBag runs embedding_bag with its options", "[nn][embedding]") {
  nn::EmbeddingBag bag(7, 3, {.mode = EmbeddingBagMode::Max, .padding_idx = -1});
  CHECK(bag.weight().shape() == Dims{7, 3});
  CHECK(allclose(bag.weight().select(0, 6), zeros({3}), 0, 0));
  const Tensor input = indices(kIndex, {10}), offsets = indices({0, 3, 3, 7}, {4});
  CHECK(allclose(bag(input, offsets),
                 embedding_bag(input, bag.weight(), offsets, EmbeddingBagMode::Max, {}, false, 6),
                 0, 0));
  const Tensor rows = indices({1, 2, 4, 5}, {2, 2});
  CHECK(allclose(bag.forward(rows),
                 embedding_bag(rows, bag.weight(), {}, EmbeddingBagMode::Max, {}, false, 6), 0, 0));
  CHECK(bag.to_string() == "EmbeddingBag(7, 3, mode=max, padding_idx=6)");
  CHECK(nn::EmbeddingBag(10, 3).to_string() == "EmbeddingBag(10, 3, mode=mean)");
  nn::EmbeddingBag weighted(7, 3, {.mode = EmbeddingBagMode::Sum, .include_last_offset = true});
  const Tensor psw = wave({10}, 0.5).to(kFloat32);
  CHECK(allclose(weighted(input, indices({0, 3, 3, 7, 10}, {5}), psw),
                 embedding_bag(input, weighted.weight(), indices({0, 3, 3, 7, 10}, {5}),
                               EmbeddingBagMode::Sum, psw, true),
                 0, 0));
}
