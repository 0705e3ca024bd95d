#include <cmath>
#include <limits>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::randn64;

namespace {

// One window geometry of the reference loops below.
struct Geo {
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
};

int64_t out_size(int64_t size, int64_t k, int64_t s, int64_t p, int64_t d) {
  return (size + 2 * p - d * (k - 1) - 1) / s + 1;
}

// Direct im2col of x [N, C, H, W]: the definition of F.unfold, one element at a time.
std::vector<double> naive_unfold(const Tensor& x, const Geo& g) {
  const auto v = x.to_vector<double>();
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t oh = out_size(h, g.kh, g.sh, g.ph, g.dh), ow = out_size(w, g.kw, g.sw, g.pw, g.dw);
  std::vector<double> out;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j)
          for (int64_t y = 0; y < oh; ++y)
            for (int64_t xx = 0; xx < ow; ++xx) {
              const int64_t iy = y * g.sh - g.ph + i * g.dh, ix = xx * g.sw - g.pw + j * g.dw;
              const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
              out.push_back(inside ? v[((b * c + ch) * h + iy) * w + ix] : 0.0);
            }
  return out;
}

// Direct convolution (cross-correlation) loop: out[b, o, y, x] = bias[o] + sum w * x.
Tensor naive_conv2d(const Tensor& x, const Tensor& wt, const Tensor& bias, const Geo& g) {
  const auto xv = x.to_vector<double>(), wv = wt.to_vector<double>();
  const auto bv = bias.defined() ? bias.to_vector<double>() : std::vector<double>();
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), o = wt.size(0);
  const int64_t oh = out_size(h, g.kh, g.sh, g.ph, g.dh), ow = out_size(w, g.kw, g.sw, g.pw, g.dw);
  std::vector<double> out;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t xx = 0; xx < ow; ++xx) {
          double acc = bv.empty() ? 0.0 : bv[oc];
          for (int64_t ch = 0; ch < c; ++ch)
            for (int64_t i = 0; i < g.kh; ++i)
              for (int64_t j = 0; j < g.kw; ++j) {
                const int64_t iy = y * g.sh - g.ph + i * g.dh, ix = xx * g.sw - g.pw + j * g.dw;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                acc += wv[((oc * c + ch) * g.kh + i) * g.kw + j] *
                       xv[((b * c + ch) * h + iy) * w + ix];
              }
          out.push_back(acc);
        }
  return tensor(out, {n, o, oh, ow}, kFloat64);
}

// Reference max pooling with PyTorch's conventions: -inf padding, first maximum in row-major
// window order, index h * W + w into the image plane.
std::pair<std::vector<double>, std::vector<double>> naive_max_pool(const Tensor& x, const Geo& g,
                                                                   int64_t oh, int64_t ow) {
  const auto v = x.to_vector<double>();
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  std::vector<double> values, indices;
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t xx = 0; xx < ow; ++xx) {
        double best = -std::numeric_limits<double>::infinity();
        int64_t at = -1;
        for (int64_t i = 0; i < g.kh; ++i)
          for (int64_t j = 0; j < g.kw; ++j) {
            const int64_t iy = y * g.sh - g.ph + i * g.dh, ix = xx * g.sw - g.pw + j * g.dw;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const double val = v[(p * h + iy) * w + ix];
            if (at < 0 || val > best) best = val, at = iy * w + ix;
          }
        values.push_back(best);
        indices.push_back(static_cast<double>(at));
      }
  return {values, indices};
}

// Distinct values (no ties in any pooling window): a scrambled arange, as a float64 leaf.
Tensor distinct64(const Dims& shape) {
  const int64_t n = numel_of(shape);
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<double>((i * 7919) % n) * 0.37 - 0.1 * n;
  return tensor(v, shape, kFloat64).requires_grad_();
}

}  // namespace

TEST_CASE("unfold and fold on a hand-computed 4x4 image", "[conv]") {
  const Tensor x = arange(1.0, 17.0, 1.0, kFloat64).reshape({1, 1, 4, 4});
  const Tensor cols = unfold(x, 2);
  REQUIRE(cols.shape() == Dims{1, 4, 9});
  CHECK(cols.to_vector<double>() ==
        std::vector<double>{1, 2, 3, 5, 6,  7,  9,  10, 11, 2, 3, 4, 6,  7,  8,  10, 11, 12,
                            5, 6, 7, 9, 10, 11, 13, 14, 15, 6, 7, 8, 10, 11, 12, 14, 15, 16});
  // Stride 2 with padding 1: 3x3 windows over the 6x6 zero-padded image.
  const Tensor strided = unfold(x, 2, 1, 1, 2);
  REQUIRE(strided.shape() == Dims{1, 4, 9});
  CHECK(strided.select(1, 0).to_vector<double>() ==
        std::vector<double>{0, 0, 0, 0, 6, 8, 0, 14, 16});
  CHECK(strided.select(1, 3).to_vector<double>() ==
        std::vector<double>{1, 3, 0, 9, 11, 0, 0, 0, 0});
  // fold of ones counts how many windows cover each pixel.
  CHECK(fold(ones({1, 4, 9}, kFloat64), {4, 4}, 2).to_vector<double>() ==
        std::vector<double>{1, 2, 2, 1, 2, 4, 4, 2, 2, 4, 4, 2, 1, 2, 2, 1});
  // Dilation 2 with a 1x2 kernel: pairs (x, x + 2) along rows.
  const Tensor dilated = unfold(x, {1, 2}, 2);
  REQUIRE(dilated.shape() == Dims{1, 2, 8});
  CHECK(dilated.to_vector<double>() ==
        std::vector<double>{1, 2, 5, 6, 9, 10, 13, 14, 3, 4, 7, 8, 11, 12, 15, 16});
}

TEST_CASE("unfold matches the direct im2col for many geometries", "[conv]") {
  const std::vector<Geo> geos = {{3, 3, 1, 1, 0, 0, 1, 1}, {3, 2, 2, 1, 1, 0, 1, 1},
                                 {2, 3, 1, 2, 1, 1, 2, 1}, {1, 1, 3, 2, 0, 1, 1, 1},
                                 {3, 3, 2, 3, 2, 1, 2, 2}, {5, 4, 1, 1, 2, 2, 1, 1}};
  for (const Geo& g : geos) {
    const Tensor x = randn64({2, 3, 7, 8}, 1).detach();
    const Tensor cols = unfold(x, {g.kh, g.kw}, {g.dh, g.dw}, {g.ph, g.pw}, {g.sh, g.sw});
    const int64_t l = out_size(7, g.kh, g.sh, g.ph, g.dh) * out_size(8, g.kw, g.sw, g.pw, g.dw);
    REQUIRE(cols.shape() == Dims{2, 3 * g.kh * g.kw, l});
    CHECK(cols.is_contiguous());
    CHECK(cols.to_vector<double>() == naive_unfold(x, g));
    // float32, a non-contiguous input and an unbatched input give the same columns.
    const Tensor x32 = x.to(kFloat32);
    CHECK(allclose(unfold(x32, {g.kh, g.kw}, {g.dh, g.dw}, {g.ph, g.pw}, {g.sh, g.sw}), cols, 1e-6,
                   1e-6));
    CHECK(unfold(noncontiguous(x).detach(), {g.kh, g.kw}, {g.dh, g.dw}, {g.ph, g.pw}, {g.sh, g.sw})
              .to_vector<double>() == naive_unfold(x, g));
    const Tensor single =
        unfold(x.select(0, 1), {g.kh, g.kw}, {g.dh, g.dw}, {g.ph, g.pw}, {g.sh, g.sw});
    CHECK(allclose(single, cols.select(0, 1), 0, 0));
  }
}

TEST_CASE("fold is the adjoint of unfold", "[conv]") {
  // <unfold(x), y> = <x, fold(y)> for every geometry, including overlapping windows.
  const std::vector<Geo> geos = {{3, 3, 1, 1, 1, 1, 1, 1},
                                 {2, 3, 2, 1, 0, 1, 1, 2},
                                 {3, 2, 1, 3, 1, 0, 2, 1},
                                 {4, 4, 2, 2, 2, 2, 1, 1}};
  for (const Geo& g : geos) {
    const Tensor x = randn64({2, 2, 6, 7}, 3).detach();
    const int64_t oh = out_size(6, g.kh, g.sh, g.ph, g.dh),
                  ow = out_size(7, g.kw, g.sw, g.pw, g.dw);
    const Tensor y = randn64({2, 2 * g.kh * g.kw, oh * ow}, 4).detach();
    const double lhs =
        sum(unfold(x, {g.kh, g.kw}, {g.dh, g.dw}, {g.ph, g.pw}, {g.sh, g.sw}) * y).item<double>();
    const Tensor folded = fold(y, {6, 7}, {g.kh, g.kw}, {g.dh, g.dw}, {g.ph, g.pw}, {g.sh, g.sw});
    REQUIRE(folded.shape() == Dims{2, 2, 6, 7});
    CHECK(sum(x * folded).item<double>() == Approx(lhs).epsilon(1e-12));
    // A non-contiguous (transposed) column tensor folds to the same image.
    const Tensor yt = y.transpose(1, 2).contiguous().transpose(1, 2);
    REQUIRE_FALSE(yt.is_contiguous());
    CHECK(
        allclose(fold(yt, {6, 7}, {g.kh, g.kw}, {g.dh, g.dw}, {g.ph, g.pw}, {g.sh, g.sw}), folded));
    // Unbatched columns [C*kh*kw, L].
    CHECK(allclose(
        fold(y.select(0, 0), {6, 7}, {g.kh, g.kw}, {g.dh, g.dw}, {g.ph, g.pw}, {g.sh, g.sw}),
        folded.select(0, 0)));
  }
}

TEST_CASE("conv2d matches a direct convolution loop", "[conv]") {
  struct Case {
    Geo g;
    bool with_bias;
  };
  const std::vector<Case> cases = {
      {{3, 3, 1, 1, 0, 0, 1, 1}, true},  {{3, 3, 2, 2, 1, 1, 1, 1}, false},
      {{3, 2, 1, 2, 0, 1, 2, 1}, true},  {{1, 1, 1, 1, 0, 0, 1, 1}, true},
      {{2, 3, 2, 1, 1, 0, 1, 2}, false}, {{3, 3, 1, 1, 2, 2, 2, 2}, true}};
  for (const Case& c : cases) {
    const Geo& g = c.g;
    const Tensor x = randn64({3, 4, 9, 8}, 5).detach();
    const Tensor w = randn64({5, 4, g.kh, g.kw}, 6).detach();
    const Tensor b = c.with_bias ? randn64({5}, 7).detach() : Tensor();
    const Tensor expected = naive_conv2d(x, w, b, g);
    const Tensor out = conv2d(x, w, b, {g.sh, g.sw}, {g.ph, g.pw}, {g.dh, g.dw});
    REQUIRE(out.shape() == expected.shape());
    CHECK(out.is_contiguous());
    CHECK(allclose(out, expected, 1e-12, 1e-12));
    const Tensor out32 =
        conv2d(x.to(kFloat32), w.to(kFloat32), c.with_bias ? b.to(kFloat32) : Tensor(),
               {g.sh, g.sw}, {g.ph, g.pw}, {g.dh, g.dw});
    CHECK(out32.dtype() == kFloat32);
    CHECK(allclose(out32, expected, 1e-4, 1e-4));
    // Unbatched [C, H, W] input and a non-contiguous input.
    CHECK(allclose(conv2d(x.select(0, 2), w, b, {g.sh, g.sw}, {g.ph, g.pw}, {g.dh, g.dw}),
                   expected.select(0, 2), 1e-12, 1e-12));
    CHECK(
        allclose(conv2d(noncontiguous(x).detach(), w, b, {g.sh, g.sw}, {g.ph, g.pw}, {g.dh, g.dw}),
                 expected, 1e-12, 1e-12));
  }
  // Scalar stride/padding apply to both dims; an empty batch gives an empty result.
  const Tensor x = randn64({2, 3, 6, 6}, 8).detach(), w = randn64({4, 3, 3, 3}, 9).detach();
  CHECK(allclose(conv2d(x, w, {}, 2, 1), naive_conv2d(x, w, {}, {3, 3, 2, 2, 1, 1, 1, 1}), 1e-12,
                 1e-12));
  CHECK(conv2d(zeros({0, 3, 6, 6}, kFloat64), w).shape() == Dims{0, 4, 4, 4});
  CHECK(max_pool2d(zeros({0, 3, 6, 6}), 2).shape() == Dims{0, 3, 3, 3});
  CHECK(avg_pool2d(zeros({0, 3, 6, 6}), 3, 1, 1).shape() == Dims{0, 3, 6, 6});
  CHECK(unfold(zeros({0, 3, 6, 6}), 2).shape() == Dims{0, 12, 25});
}

TEST_CASE("unfold and fold: gradcheck and gradgradcheck", "[conv]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{unfold(in[0], {2, 3}, {1, 2}, 1, {2, 1})};
      },
      {randn64({2, 2, 5, 6}, 10)});
  check_grads([](const TensorList& in) { return TensorList{unfold(in[0], 3, 2, 2, 1)}; },
              {noncontiguous(randn64({1, 2, 5, 5}, 11))});
  check_grads(
      [](const TensorList& in) {
        return TensorList{fold(in[0], {5, 4}, {2, 2}, 1, 1, 2)};
      },
      {randn64({2, 8, 9}, 12)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{fold(in[0], {5, 5}, {3, 2}, {2, 1}, 1, 1)};
      },
      {randn64({6, 18}, 13)});
}

TEST_CASE("conv2d: gradcheck and gradgradcheck", "[conv]") {
  const Tensor x = randn64({2, 2, 5, 5}, 14), w = randn64({3, 2, 3, 3}, 15), b = randn64({3}, 16);
  check_grads([](const TensorList& in) { return TensorList{conv2d(in[0], in[1], in[2])}; },
              {x, w, b});
  check_grads([](const TensorList& in) { return TensorList{conv2d(in[0], in[1], {}, 2, 1)}; },
              {x, w});
  check_grads([](const TensorList& in) { return TensorList{conv2d(in[0], in[1], in[2], 1, 2, 2)}; },
              {x, w, b});
  check_grads(
      [](const TensorList& in) {
        return TensorList{conv2d(in[0], in[1], in[2], {2, 1}, {1, 0}, {1, 2})};
      },
      {noncontiguous(randn64({1, 2, 6, 5}, 17)), randn64({2, 2, 2, 2}, 18), randn64({2}, 19)});
  check_grads([](const TensorList& in) { return TensorList{conv2d(in[0], in[1])}; },
              {randn64({2, 4, 4}, 20), randn64({2, 2, 2, 3}, 21)});
}

TEST_CASE("conv2d gradient ops: gradcheck and gradgradcheck (third order of conv2d)", "[conv]") {
  // The gradients of conv2d in input and weight for a direction v, as functions of (x, w, v):
  // their gradcheck / gradgradcheck check conv2d's second and third derivatives.
  GradOptions create_graph;
  create_graph.create_graph = true;
  const auto conv_grads = [create_graph](const TensorList& in, IntPair stride, IntPair padding,
                                         IntPair dilation) {
    EnableGradGuard enable_grad;  // gradgradcheck first calls this under NoGradGuard
    const Tensor y = conv2d(in[0], in[1], in[2], stride, padding, dilation);
    return grad({y}, {in[0], in[1], in[2]}, {in[3]}, create_graph);
  };
  check_grads([&](const TensorList& in) { return conv_grads(in, 1, 0, 1); },
              {randn64({2, 2, 4, 4}, 40), randn64({3, 2, 2, 2}, 41), randn64({3}, 42),
               randn64({2, 3, 3, 3}, 43)});
  check_grads(
      [&](const TensorList& in) {
        return conv_grads(in, {2, 1}, {1, 0}, {1, 2});
      },
      {noncontiguous(randn64({1, 2, 5, 5}, 44)), randn64({2, 2, 2, 2}, 45), randn64({2}, 46),
       randn64({1, 2, 3, 3}, 47)});
}

TEST_CASE("conv2d second derivative: the Hessian-vector product in the input is exact", "[conv]") {
  // f(x) = sum(conv2d(x, w)^2) is quadratic in x: H v = 2 J^T J v, with J v = conv2d(v, w).
  const Tensor x = randn64({1, 2, 5, 5}, 22), w = randn64({3, 2, 3, 3}, 23).detach();
  const Tensor v = randn64({1, 2, 5, 5}, 24).detach();
  const Tensor y = conv2d(x, w, {}, 1, 1);
  GradOptions create_graph;
  create_graph.create_graph = true;
  const Tensor gx = grad({sum(y * y)}, {x}, {}, create_graph)[0];
  const Tensor hv = grad({sum(gx * v)}, {x})[0];
  const Tensor jv = conv2d(v, w, {}, 1, 1);
  const Tensor jtjv = grad({conv2d(x, w, {}, 1, 1)}, {x}, {jv})[0];
  CHECK(allclose(hv, jtjv * 2.0, 1e-10, 1e-10));
}

TEST_CASE("max_pool2d values and indices follow PyTorch", "[conv]") {
  const Tensor x = arange(1.0, 17.0, 1.0, kFloat64).reshape({1, 1, 4, 4});
  auto [values, indices] = max_pool2d_with_indices(x, 2);
  CHECK(values.to_vector<double>() == std::vector<double>{6, 8, 14, 16});
  CHECK(indices.dtype() == kInt64);
  CHECK(indices.to_vector<int64_t>() == std::vector<int64_t>{5, 7, 13, 15});
  // kernel 3, stride 2, padding 1: windows clipped at the border, -inf padding never wins even
  // over negative values.
  const Tensor neg = -x;
  auto [nv, ni] = max_pool2d_with_indices(neg, 3, 2, 1);
  CHECK(nv.to_vector<double>() == std::vector<double>{-1, -2, -5, -6});
  CHECK(ni.to_vector<int64_t>() == std::vector<int64_t>{0, 1, 4, 5});
  // Ties pick the first element of the window in row-major order.
  auto [tv, ti] = max_pool2d_with_indices(ones({1, 1, 4, 4}), 2);
  CHECK(ti.to_vector<int64_t>() == std::vector<int64_t>{0, 2, 8, 10});
  // NaN wins and stays: the window's first NaN is its maximum (PyTorch).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto [nanv, nani] = max_pool2d_with_indices(
      tensor({1.0, nan, 3.0, 7.0, 5.0, nan, 2.0, 8.0}, {1, 1, 2, 4}, kFloat32), 2);
  CHECK(std::isnan(nanv.to_vector<float>()[0]));
  CHECK(nanv.to_vector<float>()[1] == 8.0f);
  CHECK(nani.to_vector<int64_t>() == std::vector<int64_t>{1, 7});
  // A transposed (non-contiguous) input: x^T(h, w) = 4w + h + 1.
  auto [tv2, ti2] = max_pool2d_with_indices(transpose(x, 2, 3), 2);
  CHECK(tv2.to_vector<double>() == std::vector<double>{6, 14, 8, 16});
  CHECK(ti2.to_vector<int64_t>() == std::vector<int64_t>{5, 7, 13, 15});

  struct Case {
    Geo g;
    bool ceil_mode;
  };
  const std::vector<Case> cases = {
      {{2, 2, 2, 2, 0, 0, 1, 1}, false},
      {{3, 3, 2, 2, 1, 1, 1, 1}, true},
      {{3, 2, 1, 2, 1, 1, 1, 1}, false},
      {{2, 3, 2, 1, 1, 0, 2, 1}, true},
      {{3, 3, 3, 3, 0, 0, 1, 1}, true},
      {{2, 2, 1, 1, 0, 0, 2, 2}, false},
      // Windows inside the image without padding or dilation (the kernels' dense paths).
      {{3, 2, 2, 1, 0, 0, 1, 1}, false},
      {{2, 2, 2, 2, 0, 0, 1, 1}, true},
      {{3, 3, 2, 3, 0, 0, 1, 1}, true}};
  for (const Case& c : cases) {
    const Geo& g = c.g;
    const Tensor input = randn64({2, 3, 7, 6}, 25).detach();
    auto [v, i] = max_pool2d_with_indices(input, {g.kh, g.kw}, {g.sh, g.sw}, {g.ph, g.pw},
                                          {g.dh, g.dw}, c.ceil_mode);
    const int64_t oh = v.size(2), ow = v.size(3);
    auto [ev, ei] = naive_max_pool(input, g, oh, ow);
    CHECK(v.to_vector<double>() == ev);
    const auto iv = i.to_vector<double>();
    CHECK(iv == ei);
    CHECK(allclose(max_pool2d(input.select(0, 1), {g.kh, g.kw}, {g.sh, g.sw}, {g.ph, g.pw},
                              {g.dh, g.dw}, c.ceil_mode),
                   v.select(0, 1), 0, 0));
  }
  // ceil_mode: 7 = 2*3 + 1 leaves a partial window (4 outputs instead of 3); with padding 1 a
  // fourth window over 5 + 1 + 1 would start in the right padding and is dropped.
  CHECK(max_pool2d(zeros({1, 1, 7, 7}), 2, 2, 0, 1, true).shape() == Dims{1, 1, 4, 4});
  CHECK(max_pool2d(zeros({1, 1, 7, 7}), 2, 2, 0, 1, false).shape() == Dims{1, 1, 3, 3});
  CHECK(max_pool2d(zeros({1, 1, 5, 5}), 2, 2, 1, 1, true).shape() == Dims{1, 1, 3, 3});
}

TEST_CASE("max_pool2d: gradcheck and gradgradcheck", "[conv]") {
  check_grads([](const TensorList& in) { return TensorList{max_pool2d(in[0], 2)}; },
              {distinct64({2, 2, 4, 6})});
  check_grads([](const TensorList& in) { return TensorList{max_pool2d(in[0], 3, 2, 1, 1, true)}; },
              {distinct64({1, 2, 6, 5})});
  check_grads(
      [](const TensorList& in) {
        return TensorList{max_pool2d(in[0], {2, 3}, 1, {1, 0}, 2)};
      },
      {distinct64({2, 5, 6})});
  // Overlapping windows route every gradient to the window's maximum.
  const Tensor x = tensor({1, 5, 2, 3, 4, 0, 6, 7, 8}, {1, 1, 3, 3}, kFloat64).requires_grad_();
  const Tensor g = grad({sum(max_pool2d(x, 2, 1))}, {x})[0];
  CHECK(g.to_vector<double>() == std::vector<double>{0, 2, 0, 0, 0, 0, 0, 1, 1});
}

TEST_CASE("avg_pool2d values and gradients", "[conv]") {
  const Tensor x = arange(1.0, 17.0, 1.0, kFloat64).reshape({1, 1, 4, 4});
  CHECK(avg_pool2d(x, 2).to_vector<double>() == std::vector<double>{3.5, 5.5, 11.5, 13.5});
  // kernel 3, stride 2, padding 1: corner window holds 1, 2, 5, 6 (sum 14) of 9 or of 4 cells.
  const Tensor with_pad = avg_pool2d(x, 3, 2, 1);
  const Tensor without_pad = avg_pool2d(x, 3, 2, 1, false, false);
  CHECK(with_pad.to_vector<double>()[0] == Approx(14.0 / 9));
  CHECK(without_pad.to_vector<double>()[0] == Approx(14.0 / 4));
  // Window (1, 1) covers rows/cols 1..3: 6+7+8+10+11+12+14+15+16 = 99, 9 real cells, 9 padded.
  CHECK(with_pad.to_vector<double>()[3] == Approx(99.0 / 9));
  CHECK(without_pad.to_vector<double>()[3] == Approx(99.0 / 9));
  // ceil_mode: 5x5 with kernel 2 stride 2 -> 3x3; the last window has 1 row/col inside, and no
  // padding, so both divisors are clipped to the input: x[4][4] / 1.
  const Tensor five = arange(25.0, kFloat64).reshape({1, 1, 5, 5});
  const Tensor ceil = avg_pool2d(five, 2, 2, 0, true);
  REQUIRE(ceil.shape() == Dims{1, 1, 3, 3});
  CHECK(ceil.to_vector<double>()[8] == Approx(24.0));
  CHECK(ceil.to_vector<double>()[2] == Approx((4.0 + 9.0) / 2));

  check_grads([](const TensorList& in) { return TensorList{avg_pool2d(in[0], 2)}; },
              {randn64({2, 2, 4, 4}, 26)});
  check_grads([](const TensorList& in) { return TensorList{avg_pool2d(in[0], 3, 2, 1)}; },
              {randn64({1, 2, 5, 6}, 27)});
  check_grads(
      [](const TensorList& in) { return TensorList{avg_pool2d(in[0], 3, 2, 1, true, false)}; },
      {noncontiguous(randn64({1, 2, 6, 5}, 28))});
  check_grads(
      [](const TensorList& in) {
        return TensorList{avg_pool2d(in[0], {2, 3}, {1, 2}, {1, 1}, true, true)};
      },
      {randn64({2, 5, 5}, 29)});
}

TEST_CASE("conv and pooling errors name the op and the shapes", "[conv]") {
  const Tensor x = ones({2, 3, 5, 5}), w = ones({4, 3, 3, 3});
  CHECK_THROWS_WITH(
      conv2d(x, w, {}, 1, 0, 1, 3),
      MG_CONTAINS("conv2d: groups = 3 must be positive and divide both the input channels (3"));
  CHECK_THROWS_WITH(conv2d(ones({5, 5}), w),
                    MG_CONTAINS("conv2d: expected a 3-D") && MG_CONTAINS("got shape [5, 5]"));
  CHECK_THROWS_WITH(conv2d(x, ones({4, 3, 3})),
                    MG_CONTAINS("conv2d: expected a 4-D weight") && MG_CONTAINS("[4, 3, 3]"));
  CHECK_THROWS_WITH(conv2d(ones({2, 2, 5, 5}), w),
                    MG_CONTAINS("conv2d: input shape [2, 2, 5, 5] has 2 channels but weight shape "
                                "[4, 3, 3, 3] expects 3"));
  CHECK_THROWS_WITH(conv2d(ones({2, 3, 2, 5}), w),
                    MG_CONTAINS("conv2d: kernel size (3, 3)") &&
                        MG_CONTAINS("larger than the padded input (2, 5)"));
  CHECK_THROWS_WITH(conv2d(x, w, ones({3})), MG_CONTAINS("conv2d: expected a bias of shape [4]") &&
                                                 MG_CONTAINS("got shape [3]"));
  CHECK_THROWS_WITH(conv2d(x, ones({4, 3, 3, 3}, kFloat64)), MG_CONTAINS("conv2d: dtype mismatch"));
  CHECK_THROWS_WITH(conv2d(x, w, {}, 0),
                    MG_CONTAINS("conv2d: stride must be positive, got (0, 0)"));
  CHECK_THROWS_WITH(conv2d(ones({2, 3, 5, 5}, kInt64), ones({4, 3, 3, 3}, kInt64)),
                    MG_CONTAINS("conv2d: expected a float32 or float64 tensor, got int64"));
  CHECK_THROWS_WITH(unfold(ones({3, 5}), 2), MG_CONTAINS("unfold: expected a 3-D"));
  CHECK_THROWS_WITH(fold(ones({1, 5, 9}), {4, 4}, 2),
                    MG_CONTAINS("fold: expected size 5 of dim 1") && MG_CONTAINS("divisible"));
  CHECK_THROWS_WITH(fold(ones({1, 4, 8}), {4, 4}, 2),
                    MG_CONTAINS("fold: input shape [1, 4, 8] has 8 blocks") &&
                        MG_CONTAINS("give 3 x 3 = 9 blocks"));
  CHECK_THROWS_WITH(max_pool2d(x, 2, 2, 2),
                    MG_CONTAINS("max_pool2d: padding should be at most half of the kernel size"));
  CHECK_THROWS_WITH(avg_pool2d(ones({1, 1, 2, 2}), 3),
                    MG_CONTAINS("avg_pool2d: kernel size (3, 3)") && MG_CONTAINS("[1, 1, 2, 2]"));
  CHECK_THROWS_WITH(max_pool2d(ones({2, 2}), 2), MG_CONTAINS("max_pool2d: expected a 3-D"));
  // Height 1, kernel 2, padding 1, dilation 2: the only window row reads rows -1 and 1.
  CHECK_THROWS_WITH(max_pool2d(ones({1, 1, 1, 3}), 2, 1, 1, 2),
                    MG_CONTAINS("max_pool2d: with kernel_size (2, 2), dilation (2, 2)") &&
                        MG_CONTAINS("some window of input shape [1, 1, 1, 3] covers only padding"));
}
