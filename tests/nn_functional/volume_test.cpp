// The 3-D ops (conv3d, conv_transpose3d, max/avg/adaptive-max pooling, max_unpool3d) against
// PyTorch 1.13 in float64 on wave() inputs: each case compares checksums sum(t * wave(t.shape,
// phase)) of the output (phase 0.3) and of the gradients of sum(y * wave(y.shape, 0.9)) (phase
// 1.3), which any wrong element changes. Also exact indices, the identities that tie the 3-D ops
// to the 2-D ones (a depth-1 conv3d is conv2d, conv_transpose3d is conv3d's adjoint),
// gradcheck and gradgradcheck, and the errors that name the op.
#include <optional>
#include <tuple>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::check_grads;
using metagrad::testing::wave;
using metagrad::testing::wave_checksum;
using metagrad::testing::wave_checksums;

namespace {

bool near(const std::vector<double>& got, const std::vector<double>& want) {
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i)
    if (std::abs(got[i] - want[i]) > 1e-10 * (1.0 + std::abs(want[i]))) return false;
  return true;
}

Tensor leaf(const Dims& shape, double phase, double scale = 1.0) {
  return (wave(shape, phase) * scale).detach().requires_grad_();
}

}  // namespace

TEST_CASE("conv3d matches PyTorch with groups, stride, padding and dilation", "[nn][conv3d]") {
  const Tensor x = leaf({2, 4, 5, 6, 5}, 0.1), w = leaf({6, 2, 3, 2, 3}, 0.5, 0.3),
               b = leaf({6}, 0.2);
  const Tensor y = conv3d(x, w, b, {2, 1, 2}, {1, 0, 1}, {1, 2, 1}, 2);
  CHECK(y.shape() == Dims{2, 6, 3, 4, 3});
  CHECK(near(wave_checksums(y, {x, w, b}),
             {14.313224971087166, 54.41123481367178, 51.77241713245771, 13.141219470551254}));

  const Tensor x1 = leaf({3, 4, 4, 5}, 0.7), w1 = leaf({2, 3, 2, 2, 3}, 0.4);
  const Tensor y1 = conv3d(x1, w1);
  CHECK(y1.shape() == Dims{2, 3, 3, 3});
  CHECK(near(wave_checksums(y1, {x1, w1}),
             {-25.415130865598407, -23.631050550136994, -33.07179329068128}));
}

TEST_CASE("conv3d over one plane with a depth-1 kernel is conv2d", "[nn][conv3d]") {
  const Tensor x = wave({2, 4, 1, 7, 6}, 0.3), w = wave({6, 2, 1, 3, 2}, 0.8), b = wave({6}, 0.1);
  const Tensor volume = conv3d(x, w, b, {1, 2, 1}, {0, 1, 1}, {1, 1, 2}, 2);
  const Tensor plane = conv2d(x.select(2, 0), w.select(2, 0), b, {2, 1}, {1, 1}, {1, 2}, 2);
  CHECK(allclose(volume.select(2, 0), plane, 1e-12, 1e-12));
}

TEST_CASE("conv_transpose3d matches PyTorch and is conv3d's adjoint", "[nn][conv3d]") {
  const Tensor x = leaf({2, 4, 3, 4, 3}, 0.1), w = leaf({4, 3, 2, 3, 2}, 0.5, 0.3),
               b = leaf({6}, 0.2);
  const Tensor y = conv_transpose3d(x, w, b, {2, 2, 1}, {1, 0, 1}, {1, 0, 0}, 2, {1, 1, 2});
  CHECK(y.shape() == Dims{2, 6, 5, 9, 3});
  CHECK(near(wave_checksums(y, {x, w, b}),
             {-8.436459355674165, -17.489955051536736, -46.44628775227949, 6.211103237065211}));

  // output_padding 1 >= stride 1 (allowed as it is below the dilation 2): an extra depth window
  // that takes no input.
  const Tensor x2 = leaf({1, 2, 4, 3, 3}, 0.6), w2 = leaf({2, 2, 3, 2, 2}, 0.3);
  const Tensor y2 = conv_transpose3d(x2, w2, {}, 1, {2, 0, 0}, {1, 0, 0}, 1, {2, 1, 1});
  CHECK(y2.shape() == Dims{1, 2, 5, 4, 4});
  CHECK(near(wave_checksums(y2, {x2, w2}),
             {-5.396456245712572, -21.23425155922488, 14.309039909870947}));

  // <conv3d(u, W), v> = <u, conv_transpose3d(v, W)> for the same stride, padding, dilation and
  // groups (output_padding fills the sizes the strided convolution dropped).
  const Tensor u = wave({2, 4, 6, 5, 7}, 0.2), kernel = wave({6, 2, 3, 2, 3}, 0.9);
  const Tensor forward = conv3d(u, kernel, {}, {2, 1, 2}, {1, 0, 1}, {1, 2, 1}, 2);
  const Tensor v = wave(forward.shape(), 0.4);
  const Tensor back =
      conv_transpose3d(v, kernel, {}, {2, 1, 2}, {1, 0, 1}, {1, 0, 0}, 2, {1, 2, 1});
  REQUIRE(back.shape() == u.shape());
  CHECK(std::abs(sum(forward * v).item<double>() - sum(u * back).item<double>()) < 1e-10);
}

TEST_CASE("max_pool3d picks PyTorch's maxima and indices", "[nn][pool3d]") {
  // Rounded values: ties, where the first maximum in (d, h, w) order wins.
  const Tensor ties = round(wave({2, 3, 5, 6, 5}, 0.4) * 2.0);
  const auto [values, indices] =
      max_pool3d_with_indices(ties, {2, 3, 2}, IntTriple{1, 2, 2}, {1, 1, 0}, {1, 1, 2}, true);
  CHECK(values.shape() == Dims{2, 3, 6, 4, 2});
  CHECK(indices.dtype() == kInt64);
  CHECK(near({wave_checksum(values, 0.9), wave_checksum(indices.to(kFloat64), 0.9)},
             {36.29910959580019, 21.354624085023787}));

  const Tensor x = leaf({2, 3, 5, 6, 5}, 0.1);
  const Tensor y = max_pool3d(x, 3, IntTriple{2}, 1);
  CHECK(y.shape() == Dims{2, 3, 3, 3, 3});
  CHECK(near(wave_checksums(y, {x}), {9.90433224410746, -0.7048510768605183}));

  const Tensor unbatched = leaf({3, 4, 5, 4}, 0.1);
  const auto [pooled, where] = max_pool3d_with_indices(unbatched, 2);
  CHECK(allclose(where.to(kFloat64),
                 tensor(std::vector<double>{4,  3,  8,  35, 40, 42, 72, 55, 25, 26, 9,  10,
                                            60, 43, 73, 75, 0,  27, 13, 14, 65, 47, 48, 50},
                        {3, 2, 2, 2}, kFloat64),
                 0, 0));
  CHECK(near(wave_checksums(pooled, {unbatched}), {6.908928251765448, 1.7828696526604384}));
  // An empty batch pools to an empty batch.
  CHECK(max_pool3d(zeros({0, 2, 4, 4, 4}), 2).shape() == Dims{0, 2, 2, 2, 2});
  CHECK(adaptive_max_pool3d(zeros({2, 0, 4, 4, 4}), 3).shape() == Dims{2, 0, 3, 3, 3});
}

TEST_CASE("avg_pool3d matches PyTorch's divisors", "[nn][pool3d]") {
  const Tensor x = leaf({2, 3, 5, 6, 5}, 0.2);
  const Tensor with_pad = avg_pool3d(x, {3, 2, 3}, IntTriple{2}, 1, true, true);
  CHECK(with_pad.shape() == Dims{2, 3, 3, 4, 3});
  CHECK(near(wave_checksums(with_pad, {x}), {-1.7134213385714945, -0.7657854577481398}));
  CHECK(near(wave_checksums(avg_pool3d(x, {3, 2, 3}, IntTriple{2}, 1, true, false), {x}),
             {-11.996936558213115, -6.992811958924863}));
  CHECK(near(wave_checksums(avg_pool3d(x, {3, 2, 3}, IntTriple{2}, 1, true, true, 5), {x}),
             {-6.1683168188573765, -2.7568276478933056}));
  const Tensor plain = avg_pool3d(x, 2);
  CHECK(plain.shape() == Dims{2, 3, 2, 3, 2});
  CHECK(near(wave_checksums(plain, {x}), {-2.61587645600417, -3.2702828925158096}));
}

TEST_CASE("adaptive_max_pool3d matches PyTorch's windows and indices", "[nn][pool3d]") {
  const Tensor ties = round(wave({2, 3, 5, 7, 6}, 0.3) * 2.0);
  const auto [values, indices] = adaptive_max_pool3d_with_indices(ties, {3, 4, 4});
  CHECK(values.shape() == Dims{2, 3, 3, 4, 4});
  CHECK(near({wave_checksum(values, 0.9), wave_checksum(indices.to(kFloat64), 0.9)},
             {-12.227841140590428, 139.09296612302455}));
  const Tensor x = leaf({2, 3, 5, 7, 6}, 0.5);
  CHECK(near(wave_checksums(adaptive_max_pool3d(x, {2, 3, 4}), {x}),
             {12.115765550900809, 5.390159501158141}));
}

TEST_CASE("max_unpool3d inverts max_pool3d as PyTorch", "[nn][pool3d]") {
  const auto [pooled, indices] = max_pool3d_with_indices(wave({2, 2, 4, 6, 5}, 0.3), 2);
  const Tensor v = pooled.detach().requires_grad_();
  const Tensor u = max_unpool3d(v, indices, 2, std::nullopt, 0, IntTriple{5, 7, 5});
  CHECK(u.shape() == Dims{2, 2, 5, 7, 5});
  CHECK(near(wave_checksums(u, {v}), {-6.2614001034503435, -4.03184541043232}));

  // Overlapping windows share maxima: the value lands once, every window gets its gradient.
  const auto [shared, shared_indices] =
      max_pool3d_with_indices(round(wave({1, 2, 5, 5, 5}, 0.6) * 2.0), 3, IntTriple{1});
  const Tensor s = shared.detach().requires_grad_();
  const Tensor back = max_unpool3d(s, shared_indices, 3, IntTriple{1});
  CHECK(back.shape() == Dims{1, 2, 5, 5, 5});
  CHECK(near(wave_checksums(back, {s}), {82.9113885766386, 6.8986452349329035}));
  const Tensor unbatched =
      max_unpool3d(v.select(0, 1), indices.select(0, 1), 2, std::nullopt, 0, IntTriple{4, 6, 5});
  CHECK(allclose(unbatched,
                 max_unpool3d(v, indices, 2, std::nullopt, 0, IntTriple{4, 6, 5}).select(0, 1), 0,
                 0));
}

TEST_CASE("3-D ops pass gradcheck and gradgradcheck", "[nn][conv3d][pool3d]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{conv3d(in[0], in[1], in[2], {2, 1, 1}, {1, 0, 1}, {1, 1, 2}, 2)};
      },
      {leaf({1, 4, 3, 3, 4}, 0.1), leaf({2, 2, 2, 2, 2}, 0.4), leaf({2}, 0.7)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{conv_transpose3d(in[0], in[1], in[2], {2, 1, 1}, {0, 1, 0}, {1, 0, 0})};
      },
      {leaf({1, 2, 2, 3, 2}, 0.2), leaf({2, 2, 2, 2, 2}, 0.5), leaf({2}, 0.9)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{max_pool3d(in[0], {2, 3, 2}, IntTriple{1, 2, 1}, {1, 1, 0})};
      },
      {leaf({1, 2, 3, 4, 3}, 0.3)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{avg_pool3d(in[0], {3, 2, 2}, IntTriple{2, 1, 2}, {1, 1, 0}, true, false),
                          avg_pool3d(in[0], 2, std::nullopt, 0, false, true, 3)};
      },
      {leaf({2, 4, 3, 4}, 0.6)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{adaptive_max_pool3d(in[0], {2, 2, 3})};
      },
      {leaf({1, 2, 3, 4, 4}, 0.8)});
  const auto pooled_and_indices = max_pool3d_with_indices(wave({1, 2, 4, 4, 4}, 0.2), 2);
  const Tensor indices = std::get<1>(pooled_and_indices);
  check_grads(
      [&indices](const TensorList& in) {
        return TensorList{max_unpool3d(in[0], indices, 2) * wave({1, 2, 4, 4, 4}, 0.5)};
      },
      {std::get<0>(pooled_and_indices).detach().requires_grad_()});
}

TEST_CASE("3-D ops reject bad input naming the op", "[nn][conv3d][pool3d][errors]") {
  const Tensor x = ones({1, 2, 3, 4, 4});
  CHECK_THROWS_WITH(conv3d(ones({2, 3, 4}), ones({1, 2, 1, 1, 1})),
                    MG_CONTAINS("conv3d: expected input [N, C, D, H, W]"));
  CHECK_THROWS_WITH(conv3d(x, ones({1, 2, 1, 1})), MG_CONTAINS("conv3d: expected a 5-D weight"));
  CHECK_THROWS_WITH(conv3d(x, ones({1, 3, 1, 1, 1})),
                    MG_CONTAINS("conv3d: input shape [1, 2, 3, 4, 4] has 2 channels"));
  CHECK_THROWS_WITH(conv3d(x, ones({1, 2, 4, 1, 1})),
                    MG_CONTAINS("conv3d: the padded input size 3 of input shape"));
  CHECK_THROWS_WITH(conv3d(x, ones({1, 2, 1, 1, 1}), ones({2})),
                    MG_CONTAINS("conv3d: bias must have shape [1]"));
  CHECK_THROWS_WITH(conv3d(x, ones({1, 2, 1, 1, 1}), {}, 0),
                    MG_CONTAINS("conv3d: stride (0, 0, 0) and dilation"));
  CHECK_THROWS_WITH(conv3d(x, ones({1, 2, 1, 1, 1}, kFloat64)), MG_CONTAINS("conv3d"));
  CHECK_THROWS_WITH(conv_transpose3d(x, ones({2, 1, 1, 1, 1}), {}, 1, 0, 1),
                    MG_CONTAINS("conv_transpose3d: output_padding (1, 1, 1) must be"));
  CHECK_THROWS_WITH(conv_transpose3d(x, ones({3, 1, 1, 1, 1})),
                    MG_CONTAINS("conv_transpose3d: weight of shape [3, 1, 1, 1, 1] expects"));
  CHECK_THROWS_WITH(conv_transpose3d(x, ones({2, 1, 1, 1, 1}), {}, 1, 2),
                    MG_CONTAINS("conv_transpose3d: input shape [1, 2, 3, 4, 4] with kernel"));
  CHECK_THROWS_WITH(max_pool3d(ones({2, 3, 4}), 2),
                    MG_CONTAINS("max_pool3d: expected a 4-D (unbatched [C, D, H, W])"));
  CHECK_THROWS_WITH(max_pool3d(x, 2, std::nullopt, 2),
                    MG_CONTAINS("max_pool3d: padding should be at most half of the kernel size"));
  CHECK_THROWS_WITH(max_pool3d(x, 4), MG_CONTAINS("max_pool3d: the padded size 3 of input shape"));
  CHECK_THROWS_WITH(avg_pool3d(x, 0), MG_CONTAINS("avg_pool3d: kernel_size (0, 0, 0)"));
  CHECK_THROWS_WITH(avg_pool3d(x, 2, std::nullopt, 0, false, true, 0),
                    MG_CONTAINS("avg_pool3d: divisor_override must be non-zero"));
  CHECK_THROWS_WITH(adaptive_max_pool3d(x, {0, 1, 1}),
                    MG_CONTAINS("adaptive_max_pool3d: output_size must be positive"));
  const auto [pooled, indices] = max_pool3d_with_indices(x, 2);
  CHECK_THROWS_WITH(max_unpool3d(pooled, indices.to(kFloat32), 2),
                    MG_CONTAINS("max_unpool3d: expected int64 indices"));
  CHECK_THROWS_WITH(max_unpool3d(pooled, full(indices.shape(), 99, kInt64), 2),
                    MG_CONTAINS("max_unpool3d: index 99"));
  CHECK_THROWS_WITH(max_unpool3d(pooled, indices, 2, std::nullopt, 0, IntTriple{5, 4, 4}),
                    MG_CONTAINS("max_unpool3d: output_size 5 along depth"));
}
