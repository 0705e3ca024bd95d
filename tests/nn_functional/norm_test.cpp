// batch_norm: normalised statistics, running-stat updates with the unbiased variance, eval mode,
// gradcheck + gradgradcheck in both modes, the fused training op against the composed formula (to
// third order), and the error messages.
#include <cmath>
#include <functional>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::noncontiguous;
using metagrad::testing::randn64;
using metagrad::testing::uniform64;

namespace {

struct ChannelStats {
  std::vector<double> mean, biased_var, unbiased_var;
};

/// Per-channel statistics of x [N, C, *] by plain loops.
ChannelStats channel_stats(const Tensor& x) {
  const int64_t n = x.size(0), c = x.size(1), inner = x.numel() / (n * c);
  const auto v = x.to_vector<double>();
  ChannelStats s;
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < inner; ++j) sum += v[(i * c + ch) * inner + j];
    const double count = static_cast<double>(n * inner), m = sum / count;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < inner; ++j) sq += std::pow(v[(i * c + ch) * inner + j] - m, 2);
    s.mean.push_back(m);
    s.biased_var.push_back(sq / count);
    s.unbiased_var.push_back(sq / (count - 1));
  }
  return s;
}

using BatchNormFn = std::function<Tensor(const Tensor&, const Tensor&, const Tensor&)>;

/// Training-mode batch norm (eps 1e-5) written with public ops: the formula the fused op replaces.
Tensor composed_batch_norm(const Tensor& x, const Tensor& w, const Tensor& b) {
  Dims dims{0}, stat_shape(x.dim(), 1);
  for (int d = 2; d < x.dim(); ++d) dims.push_back(d);
  stat_shape[1] = x.size(1);
  const Tensor centered = x - mean(x, dims, true);
  Tensor y = centered * rsqrt(mean(square(centered), dims, true) + 1e-5);
  if (w.defined()) y = y * reshape(w, stat_shape);
  if (b.defined()) y = y + reshape(b, stat_shape);
  return y;
}

Tensor fused_batch_norm(const Tensor& x, const Tensor& w, const Tensor& b) {
  return batch_norm(x, {}, {}, w, b, true);
}

/// The inputs that are defined: x, then w and b when given.
TensorList defined_inputs(const Tensor& x, const Tensor& w, const Tensor& b) {
  TensorList inputs{x};
  if (w.defined()) inputs.push_back(w);
  if (b.defined()) inputs.push_back(b);
  return inputs;
}

/// {y, dx, dw, db} (the gradients of <y, cotangent> for the defined inputs).
TensorList forward_and_grads(const BatchNormFn& bn, const Tensor& x, const Tensor& w,
                             const Tensor& b, const Tensor& cotangent, bool create_graph = false) {
  const Tensor y = bn(x, w, b);
  TensorList out{y};
  for (const Tensor& g :
       grad({y}, defined_inputs(x, w, b), {cotangent}, {.create_graph = create_graph}))
    out.push_back(g);
  return out;
}

/// A float64 leaf with t's values (undefined stays undefined).
Tensor as_float64_leaf(const Tensor& t) {
  return t.defined() ? t.detach().to(kFloat64).contiguous().requires_grad_() : Tensor();
}

/// The fused op's output and first-order gradients (in x's dtype) against the composed formula
/// evaluated in float64 on the same values.
void check_against_composed(const Tensor& x, const Tensor& w, const Tensor& b, double rtol,
                            double atol, const Tensor& cotangent) {
  const TensorList fused = forward_and_grads(fused_batch_norm, x, w, b, cotangent.to(x.dtype()));
  const TensorList ref = forward_and_grads(composed_batch_norm, as_float64_leaf(x),
                                           as_float64_leaf(w), as_float64_leaf(b), cotangent);
  CHECK(fused[0].grad_fn()->name() == "BatchNormBackward");
  REQUIRE(fused.size() == ref.size());
  for (size_t i = 0; i < fused.size(); ++i) {
    INFO("result " << i << " (y, dx, dw, db) for input shape " << shape_str(x.shape()));
    CHECK(fused[i].dtype() == x.dtype());
    CHECK(fused[i].shape() == ref[i].shape());
    CHECK(allclose(fused[i], ref[i], rtol, atol));
  }
}

}  // namespace

TEST_CASE("batch_norm in training normalises each channel to mean 0 and variance 1",
          "[functional]") {
  const Tensor x = (randn64({4, 3, 2, 2}, 1) * 3.0 + 5.0).detach();
  const Tensor y = batch_norm(x, {}, {}, {}, {}, true);
  REQUIRE(y.shape() == x.shape());
  const ChannelStats in = channel_stats(x), out = channel_stats(y);
  for (int c = 0; c < 3; ++c) {
    CHECK(std::abs(out.mean[c]) < 1e-12);
    // (x - m) / sqrt(v + eps) has variance v / (v + eps)
    CHECK(out.biased_var[c] == Approx(in.biased_var[c] / (in.biased_var[c] + 1e-5)).epsilon(1e-12));
  }
  // The same on [N, C].
  const Tensor x2 = randn64({5, 2}, 2).detach();
  const ChannelStats out2 = channel_stats(batch_norm(x2, {}, {}, {}, {}, true, 0.1, 0.0));
  for (int c = 0; c < 2; ++c) {
    CHECK(std::abs(out2.mean[c]) < 1e-12);
    CHECK(out2.biased_var[c] == Approx(1.0).epsilon(1e-12));
  }
}

TEST_CASE("batch_norm applies weight and bias per channel", "[functional]") {
  const Tensor x = randn64({3, 2, 4}, 3).detach();
  const Tensor w = tensor({2.0, -0.5}, kFloat64), b = tensor({1.0, 3.0}, kFloat64);
  const Tensor y = batch_norm(x, {}, {}, w, b, true);
  const Tensor plain = batch_norm(x, {}, {}, {}, {}, true);
  CHECK(allclose(y, plain * w.reshape({1, 2, 1}) + b.reshape({1, 2, 1}), 1e-12, 1e-14));
  const ChannelStats out = channel_stats(y);
  CHECK(out.mean[0] == Approx(1.0));
  CHECK(out.mean[1] == Approx(3.0));
}

TEST_CASE("batch_norm updates running stats in place with the unbiased variance", "[functional]") {
  const Tensor x = (randn64({4, 3, 2, 2}, 4) * 2.0 - 1.0).detach();
  const ChannelStats s = channel_stats(x);
  Tensor rm = zeros({3}, kFloat64), rv = ones({3}, kFloat64);
  const uint64_t version = rm.version();
  batch_norm(x, rm, rv, {}, {}, true, 0.1);
  CHECK(rm.version() > version);
  for (int c = 0; c < 3; ++c) {
    CHECK(rm.to_vector<double>()[c] == Approx(0.1 * s.mean[c]).epsilon(1e-12));
    CHECK(rv.to_vector<double>()[c] == Approx(0.9 + 0.1 * s.unbiased_var[c]).epsilon(1e-12));
  }
  // A second step mixes again: running = 0.9 running + 0.1 stat.
  batch_norm(x, rm, rv, {}, {}, true, 0.1);
  for (int c = 0; c < 3; ++c) {
    CHECK(rm.to_vector<double>()[c] == Approx(0.19 * s.mean[c]).epsilon(1e-12));
    CHECK(rv.to_vector<double>()[c] ==
          Approx(0.9 * (0.9 + 0.1 * s.unbiased_var[c]) + 0.1 * s.unbiased_var[c]).epsilon(1e-12));
  }
  // momentum = 1 (the MAML tutorial) stores the last batch's statistics.
  batch_norm(x, rm, rv, {}, {}, true, 1.0);
  for (int c = 0; c < 3; ++c) {
    CHECK(rm.to_vector<double>()[c] == Approx(s.mean[c]).epsilon(1e-12));
    CHECK(rv.to_vector<double>()[c] == Approx(s.unbiased_var[c]).epsilon(1e-12));
  }
}

TEST_CASE("batch_norm's running-stat update is not recorded", "[functional]") {
  const Tensor x = randn64({4, 2}, 5);
  Tensor rm = zeros({2}, kFloat64), rv = ones({2}, kFloat64);
  const Tensor y = batch_norm(x, rm, rv, {}, {}, true);
  CHECK(y.requires_grad());
  CHECK_FALSE(rm.requires_grad());
  CHECK_FALSE(rv.requires_grad());
  CHECK(rm.is_leaf());
  // The graph of y does not depend on the buffers, so updating them again is harmless.
  batch_norm(x, rm, rv, {}, {}, true);
  CHECK(grad({y.square().sum()}, {x})[0].defined());
}

TEST_CASE("batch_norm in eval mode uses the running stats", "[functional]") {
  const Tensor x = randn64({3, 2, 2}, 6).detach();
  const Tensor rm = tensor({0.5, -1.0}, kFloat64), rv = tensor({4.0, 0.25}, kFloat64);
  const Tensor w = tensor({1.5, 2.0}, kFloat64), b = tensor({0.0, -1.0}, kFloat64);
  const Tensor y = batch_norm(x, rm, rv, w, b, false, 0.1, 1e-5);
  const auto xv = x.to_vector<double>(), yv = y.to_vector<double>();
  const double mean[] = {0.5, -1.0}, var[] = {4.0, 0.25}, wv[] = {1.5, 2.0}, bv[] = {0.0, -1.0};
  for (size_t i = 0; i < xv.size(); ++i) {
    const size_t c = (i / 2) % 2;
    CHECK(yv[i] == Approx((xv[i] - mean[c]) / std::sqrt(var[c] + 1e-5) * wv[c] + bv[c]));
  }
  // Eval leaves the running stats unchanged.
  CHECK(rm.to_vector<double>() == std::vector<double>{0.5, -1.0});
  CHECK(rv.to_vector<double>() == std::vector<double>{4.0, 0.25});
}

TEST_CASE("batch_norm gradcheck in training mode, to second order", "[functional]") {
  const auto bn = [](const TensorList& in) {
    return TensorList{batch_norm(in[0], {}, {}, in[1], in[2], true)};
  };
  check_grads(bn, {randn64({3, 2, 2, 2}, 11), uniform64({2}, 0.5, 2.0, 12), randn64({2}, 13)});
  check_grads(bn,
              {noncontiguous(randn64({4, 3}, 14)), uniform64({3}, 0.5, 2.0, 15), randn64({3}, 16)});
  // With running stats (updated on every call, which does not change the training output) and
  // without affine parameters; a non-linear head makes the second derivative non-trivial.
  Tensor rm = zeros({2}, kFloat64), rv = ones({2}, kFloat64);
  check_grads(
      [&](const TensorList& in) {
        return TensorList{tanh(batch_norm(in[0], rm, rv, {}, {}, true, 1.0))};
      },
      {randn64({3, 2, 3}, 17)});
}

TEST_CASE("batch_norm gradcheck in eval mode, including the running stats", "[functional]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{batch_norm(in[0], in[1], in[2], in[3], in[4], false)};
      },
      {randn64({2, 3, 2}, 21), randn64({3}, 22), uniform64({3}, 0.5, 2.0, 23),
       uniform64({3}, 0.5, 2.0, 24), randn64({3}, 25)});
}

TEST_CASE("batch_norm MAML-style: a meta-gradient through an inner SGD step", "[functional]") {
  // loss(w') with w' = w - lr * dloss(w)/dw, differentiated with respect to w: needs the second
  // derivative of training-mode batch norm.
  check_grads(
      [](const TensorList& in) {
        const Tensor& x = in[0];
        const Tensor& w = in[1];
        const auto inner = [&](const Tensor& weight) {
          return batch_norm(x, {}, {}, weight, {}, true).sin().sum();
        };
        const Tensor g = grad({inner(w)}, {w}, {}, {.create_graph = true})[0];
        return TensorList{inner(w - 0.1 * g)};
      },
      {randn64({4, 2}, 31), uniform64({2}, 0.5, 2.0, 32)}, false);
}

TEST_CASE("fused training batch_norm matches the composed formula in float64 and float32",
          "[functional]") {
  struct Case {
    const char* name;
    Tensor x;
    bool float32 = true;  // also compare in float32 (at 1e-5)
    // Absolute tolerance in float64: x - mean carries rounding of ulp(mean) / spread, which the
    // two sides (different summation orders) do not share.
    double atol = 1e-12;
  };
  const Tensor hw = randn64({4, 3, 5, 2}, 41);
  const std::vector<Case> cases = {
      {"[N, C]", randn64({6, 3}, 42)},
      {"[N, C, H, W]", (hw * 2.0 + 3.0).detach()},
      // Mean / spread = 1e4: a one-pass variance would lose ~1e-8 here, each side's rounding of
      // x - mean is ~1e-12; float32 cannot hold it.
      {"[N, C, L] with a large mean", (randn64({5, 2, 7}, 43) * 1e-2 + 1e2).detach(), false, 1e-10},
      // Strides that merge into one spatial dim (the kernels read them in place) and strides
      // that do not (the op copies first).
      {"permuted, mergeable", permute(randn64({4, 5, 2, 3}, 44).detach(), {0, 3, 1, 2})},
      {"transposed spatial dims", transpose(randn64({4, 3, 2, 5}, 45).detach(), 2, 3)},
      {"[N, C] transposed", transpose(randn64({3, 6}, 46).detach(), 0, 1)},
      // Large enough for the kernels' threads.
      {"[8, 4, 32, 32]", randn64({8, 4, 32, 32}, 47)},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const Tensor x64 = c.x.detach().requires_grad_();
    const int64_t channels = x64.size(1);
    const Tensor w = uniform64({channels}, 0.5, 2.0, 48), b = randn64({channels}, 49);
    const Tensor cotangent = randn64(x64.shape(), 50).detach();
    check_against_composed(x64, w, b, 1e-10, c.atol, cotangent);
    check_against_composed(x64, {}, {}, 1e-10, c.atol, cotangent);
    if (!c.float32) continue;
    const auto to32 = [](const Tensor& t) { return t.detach().to(kFloat32).requires_grad_(); };
    check_against_composed(to32(c.x), to32(w), to32(b), 1e-5, 1e-5, cotangent);
    check_against_composed(to32(c.x), {}, {}, 1e-5, 1e-5, cotangent);
  }
  // An output gradient with stride 0 everywhere (the gradient of y.sum()).
  check_against_composed(hw.detach().requires_grad_(), uniform64({3}, 0.5, 2.0, 51), {}, 1e-10,
                         1e-12, ones({1, 1, 1, 1}, kFloat64).expand(hw.shape()));
}

TEST_CASE("fused batch_norm: create_graph backward gives the fused first-order gradients",
          "[functional]") {
  for (const DType dtype : {kFloat64, kFloat32}) {
    const auto leaf = [dtype](const Tensor& t) { return t.detach().to(dtype).requires_grad_(); };
    const Tensor x = leaf(randn64({4, 3, 3, 2}, 61)), w = leaf(uniform64({3}, 0.5, 2.0, 62)),
                 b = leaf(randn64({3}, 63));
    const Tensor cotangent = leaf(randn64(x.shape(), 64)).detach();
    const TensorList fused = forward_and_grads(fused_batch_norm, x, w, b, cotangent, false);
    const TensorList composed = forward_and_grads(fused_batch_norm, x, w, b, cotangent, true);
    const double tol = dtype == kFloat64 ? 1e-12 : 1e-5;
    for (size_t i = 1; i < fused.size(); ++i) {
      INFO("gradient " << i << " in " << dtype_name(dtype));
      CHECK_FALSE(fused[i].requires_grad());
      // db = Σ g does not depend on x or w; dx and dw do.
      CHECK(composed[i].requires_grad() == (i < 3));
      CHECK(allclose(fused[i], composed[i], tol, tol));
    }
  }
}

TEST_CASE("fused batch_norm: third derivatives equal the composed formula's", "[functional]") {
  // t = d/d(x, w, b) <v, d/dx <u, d/dx <r, sin(bn(x, w, b))>>>, for the fused op and the
  // composed formula.
  const Tensor r = randn64({3, 2, 2, 3}, 71).detach(), u = randn64(r.shape(), 72).detach(),
               v = randn64(r.shape(), 73).detach();
  const auto third = [&](const BatchNormFn& bn) {
    const Tensor x = randn64(r.shape(), 74), w = uniform64({2}, 0.5, 2.0, 75), b = randn64({2}, 76);
    const Tensor loss = (sin(bn(x, w, b)) * r).sum();
    const Tensor g1 = grad({loss}, {x}, {}, {.create_graph = true})[0];
    const Tensor g2 = grad({(g1 * u).sum()}, {x}, {}, {.create_graph = true})[0];
    return grad({(g2 * v).sum()}, {x, w, b});
  };
  const TensorList fused = third(fused_batch_norm), composed = third(composed_batch_norm);
  for (size_t i = 0; i < 3; ++i) {
    INFO("third derivative with respect to input " << i);
    CHECK(allclose(fused[i], composed[i], 1e-9, 1e-11));
  }
  // The same with the weight's gradient in every order: the double backward then also receives a
  // cotangent for dw (qw), which the loop above leaves zero.
  const Tensor u_w = randn64({2}, 80).detach(), v_w = randn64({2}, 81).detach();
  const auto third_through_w = [&](const BatchNormFn& bn) {
    const Tensor x = randn64(r.shape(), 74), w = uniform64({2}, 0.5, 2.0, 75), b = randn64({2}, 76);
    const Tensor loss = (sin(bn(x, w, b)) * r).sum();
    const TensorList g1 = grad({loss}, {x, w}, {}, {.create_graph = true});
    const TensorList g2 =
        grad({(g1[0] * u).sum() + (g1[1] * u_w).sum()}, {x, w}, {}, {.create_graph = true});
    return grad({(g2[0] * v).sum() + (g2[1] * v_w).sum()}, {x, w, b});
  };
  const TensorList fused_w = third_through_w(fused_batch_norm),
                   composed_w = third_through_w(composed_batch_norm);
  for (size_t i = 0; i < 3; ++i) {
    INFO("third derivative through the weight's gradient, with respect to input " << i);
    CHECK(allclose(fused_w[i], composed_w[i], 1e-9, 1e-11));
  }
  // And gradgradcheck of the gradient: third derivatives against finite differences.
  check_grads(
      [](const TensorList& in) {
        EnableGradGuard enable_grad;  // gradgradcheck evaluates fn once without grad
        const Tensor y = batch_norm(in[0], {}, {}, in[1], in[2], true);
        return grad({tanh(y).sum()}, {in[0], in[1], in[2]}, {}, {.create_graph = true});
      },
      {randn64({3, 2, 2}, 77), uniform64({2}, 0.5, 2.0, 78), randn64({2}, 79)});
}

TEST_CASE("batch_norm errors name the channel count and shapes", "[functional]") {
  const Tensor x = ones({2, 3, 4}, kFloat64);
  CHECK_THROWS_WITH(batch_norm(x, {}, {}, ones({4}, kFloat64), {}, true),
                    MG_CONTAINS("batch_norm: weight must have shape [3] (one value per channel of "
                                "input shape [2, 3, 4]), got shape [4]"));
  CHECK_THROWS_WITH(batch_norm(x, zeros({2}, kFloat64), ones({2}, kFloat64)),
                    MG_CONTAINS("batch_norm: running_mean must have shape [3]"));
  CHECK_THROWS_WITH(batch_norm(x, {}, {}, {}, ones({3, 1}, kFloat64), true),
                    MG_CONTAINS("batch_norm: bias must have shape [3]"));
  CHECK_THROWS_WITH(batch_norm(x, {}, {}), MG_CONTAINS("must be given in eval mode"));
  CHECK_THROWS_WITH(batch_norm(x, zeros({3}, kFloat64), {}, {}, {}, true),
                    MG_CONTAINS("running_mean and running_var must both be given"));
  CHECK_THROWS_WITH(batch_norm(ones({1, 3}, kFloat64), {}, {}, {}, {}, true),
                    MG_CONTAINS("batch_norm: expected more than 1 value per channel when "
                                "training, got input shape [1, 3]"));
  CHECK_THROWS_WITH(batch_norm(ones({3}, kFloat64), {}, {}, {}, {}, true),
                    MG_CONTAINS("batch_norm: input must be [N, C] or [N, C, *], got shape [3]"));
  CHECK_THROWS_WITH(batch_norm(x, zeros({3}), ones({3}), {}, {}, true), MG_CONTAINS("batch_norm"));
}

TEST_CASE("layer_norm matches PyTorch's values and gradients", "[functional][layer_norm]") {
  const Tensor x = tensor({1, 2, 4, -1, 0.5, 3}, {2, 3}, kFloat64).requires_grad_();
  const Tensor w = tensor({0.5, -1, 2}, kFloat64).requires_grad_();
  const Tensor b = tensor({0.1, 0.2, -0.3}, kFloat64).requires_grad_();
  const Tensor y = layer_norm(x, {3}, w, b, 1e-5);
  // torch.nn.functional.layer_norm in float64 (torch 1.13).
  CHECK(allclose(y,
                 tensor({-0.43452076572514897, 0.4672603828625746, 2.372603828625744,
                         -0.4555828790463038, 0.40203013783501956, 2.3263917918552544},
                        {2, 3}, kFloat64),
                 1e-13));
  const Tensor v = tensor({1, -2, 0.5, 0.3, 1, -1}, {2, 3}, kFloat64);
  const TensorList g = grad({(y * v).sum()}, {x, w, b});
  CHECK(allclose(g[0],
                 tensor({-0.4581611472191036, 0.6872408617829473, -0.22907971456384335,
                         0.08504033247937354, -0.13606072474365133, 0.05102039226427757},
                        {2, 3}, kFloat64),
                 1e-12));
  CHECK(allclose(g[1],
                 tensor({-1.4023912588780802, 0.3324906278901296, -0.6450449387711912}, kFloat64),
                 1e-12));
  CHECK(allclose(g[2], tensor({1.3, -1.0, -0.5}, kFloat64), 1e-14));
  // Over two trailing dims, without affine parameters.
  CHECK(allclose(layer_norm(x.detach(), {2, 3}),
                 tensor({-0.35491343168580414, 0.2535095940612886, 1.470355645555474,
                         -1.5717594831799895, -0.6591249445593506, 0.8619326198083813},
                        {2, 3}, kFloat64),
                 1e-13));
}

TEST_CASE("layer_norm normalises each row to mean 0 and variance 1", "[functional][layer_norm]") {
  const Tensor x = randn64({4, 2, 5}, 61).detach() * 3.0 + 1.5;
  const Tensor y = layer_norm(x, {5}, {}, {}, 0.0);
  CHECK(allclose(y.mean({2}), zeros({4, 2}, kFloat64), 0, 1e-14));
  CHECK(allclose(y.var({2}, false), ones({4, 2}, kFloat64), 1e-12));
  CHECK(layer_norm(x.to(kFloat32), {2, 5}).dtype() == kFloat32);
}

TEST_CASE("layer_norm gradcheck and gradgradcheck in input, weight and bias",
          "[functional][layer_norm]") {
  const auto fn = [](const TensorList& in) {
    return TensorList{layer_norm(in[0], {in[0].size(-1)}, in[1], in[2])};
  };
  check_grads(fn, {randn64({3, 4}, 62), randn64({4}, 63), randn64({4}, 64)});
  check_grads(fn, {noncontiguous(randn64({2, 3, 4}, 65)), randn64({4}, 66), randn64({4}, 67)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{layer_norm(in[0], {2, 3}, in[1])};
      },
      {randn64({2, 2, 3}, 68), randn64({2, 3}, 69)});
}

TEST_CASE("layer_norm errors name the shapes", "[functional][layer_norm]") {
  CHECK_THROWS_WITH(layer_norm(ones({2, 3}), {4}),
                    MG_CONTAINS("layer_norm: input shape [2, 3] does not end with the normalized "
                                "shape [4]"));
  CHECK_THROWS_WITH(layer_norm(ones({3}), {2, 3}), MG_CONTAINS("does not end with"));
  CHECK_THROWS_WITH(layer_norm(ones({2, 3}), {3}, ones({2})),
                    MG_CONTAINS("layer_norm: weight must have the normalized shape [3], got "
                                "shape [2]"));
  CHECK_THROWS_WITH(layer_norm(ones({2, 3}), {}), MG_CONTAINS("at least one dim"));
  CHECK_THROWS_WITH(layer_norm(ones({2, 3}, kInt64), {3}), MG_CONTAINS("layer_norm"));
}

TEST_CASE("group_norm matches PyTorch's values and gradients", "[functional][group_norm]") {
  const Tensor x = sin(arange(24.0, kFloat64).reshape({2, 4, 3})).detach().requires_grad_();
  const Tensor w = tensor({0.5, -1, 2, 1.5}, kFloat64).requires_grad_();
  const Tensor b = tensor({0.1, 0.2, -0.3, 0.0}, kFloat64).requires_grad_();
  const Tensor y = group_norm(x, 2, w, b, 1e-5);
  // torch.nn.functional.group_norm in float64 (torch 1.13).
  CHECK(allclose(
      y,
      tensor({0.0793829128992952,  0.6702724946161162, 0.7179009199294131,   0.04304233148824462,
              1.304103169017288,   1.5879671543841165, -1.2094531433170161,  1.4636329752284958,
              2.4124326854559017,  0.7984679320471276, -1.2486041726256718,  -2.224823147446992,
              -0.3215666092434976, 0.370918853382908,  0.7838018171592224,   -0.6749591785936901,
              0.6831606197614173,  1.658106681429538,  -2.632782093042982,   -0.005521688124108488,
              2.219872416647865,   1.7230373582072362, -0.12632542071165329, -1.9578884141061643},
             {2, 4, 3}, kFloat64),
      1e-12));
  const Tensor v = cos(arange(24.0, kFloat64).reshape({2, 4, 3}));
  const TensorList g = grad({(y * v).sum()}, {x, w, b});
  CHECK(allclose(
      g[0],
      tensor({0.250942764677282,   -0.03251970755173894, -0.7009769894968756, 0.9456962065140964,
              0.43133962415342125, -0.8944818982961853,  2.657839987842102,   1.9507344406357299,
              -0.6587156729163173, -2.1211578885244142,  -1.846103010633139,  0.017402143596037922,
              -0.1415660488464956, -0.02348921968076778, -0.5383687070539671, 0.43675270135961675,
              0.652683438606496,   -0.38601216438488267, 1.6856835616324053,  2.6418279557057556,
              0.9471935068027595,  -1.4408344301196194,  -2.428529953132234,  -1.4053406408890654},
             {2, 4, 3}, kFloat64),
      1e-10));
  CHECK(allclose(
      g[1],
      tensor({0.027939782652233538, 0.3718142202375594, -0.07959512571062946, 0.35740240845334764},
             kFloat64),
      1e-10));
  CHECK(allclose(
      g[2],
      tensor({3.0121934277115194, -3.3524846632346343, 3.6256758954291985, -3.8262991999253817},
             kFloat64),
      1e-12));
}

TEST_CASE("group_norm: one group is layer_norm over [C, *], C groups normalise each channel",
          "[functional][group_norm]") {
  const Tensor x = randn64({3, 4, 2, 2}, 70).detach();
  CHECK(allclose(group_norm(x, 1), layer_norm(x, {4, 2, 2}), 1e-12, 1e-12));
  const Tensor per_channel = group_norm(x, 4, {}, {}, 0.0);
  CHECK(allclose(per_channel.mean({2, 3}), zeros({3, 4}, kFloat64), 0, 1e-14));
  check_grads([](const TensorList& in) { return TensorList{group_norm(in[0], 2, in[1], in[2])}; },
              {randn64({2, 4, 3}, 71), randn64({4}, 72), randn64({4}, 73)});
  check_grads([](const TensorList& in) { return TensorList{group_norm(in[0], 3)}; },
              {noncontiguous(randn64({2, 6}, 74))});
  CHECK_THROWS_WITH(group_norm(ones({2, 6, 3}), 4),
                    MG_CONTAINS("group_norm: num_groups 4 must be positive and divide the 6 "
                                "channels of input shape [2, 6, 3]"));
  CHECK_THROWS_WITH(group_norm(ones({2, 6}), 2, ones({5})),
                    MG_CONTAINS("group_norm: weight must have shape [6]"));
  CHECK_THROWS_WITH(group_norm(ones({6}), 2), MG_CONTAINS("group_norm: input must be [N, C, *]"));
}
