#include <vector>

#include "tests/support/helpers.hpp"
#include "tests/support/tensor_values.hpp"

using namespace metagrad;
using metagrad::testing::check_grads;
using metagrad::testing::iota;
using metagrad::testing::noncontiguous;
using metagrad::testing::randn64;
using metagrad::testing::values;

// ---- reshape / view / flatten ----------------------------------------------------------------

TEST_CASE("reshape is a view when the strides allow and a copy otherwise", "[shape]") {
  Tensor x = iota({2, 3, 4});
  Tensor r = x.reshape({6, -1});
  CHECK(r.shape() == Dims{6, 4});
  CHECK(r.storage() == x.storage());
  CHECK(values(r) == values(x));

  Tensor sliced = x.slice(2, 0, 2);  // [2, 3, 2] with strides [12, 4, 1]: dims 0 and 1 merge
  Tensor merged = sliced.reshape({6, 2});
  CHECK(merged.storage() == x.storage());
  CHECK(merged.strides() == Dims{4, 1});
  CHECK(values(merged) == std::vector<double>{0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21});

  Tensor tr = x.transpose(0, 2);  // [4, 3, 2]
  Tensor copied = tr.reshape({12, 2});
  CHECK(copied.storage() != x.storage());
  CHECK(copied.is_contiguous());
  CHECK(values(copied) == values(tr.contiguous()));
  CHECK(values(copied.slice(0, 0, 2)) == std::vector<double>{0, 12, 4, 16});

  Tensor s = scalar_tensor(3.0, kFloat64);
  Tensor s11 = s.reshape({1, 1});
  CHECK(s11.shape() == Dims{1, 1});
  CHECK(s11.storage() == s.storage());
  CHECK(s11.reshape({}).item<double>() == 3.0);
  CHECK(zeros({0, 3}).reshape({3, -1, 2}).shape() == Dims{3, 0, 2});
}

TEST_CASE("reshape and view report bad shapes", "[shape]") {
  Tensor x = iota({2, 3});
  CHECK_THROWS_WITH(x.reshape({4, -1}),
                    MG_CONTAINS("reshape: shape [4, -1] is invalid for input of size 6"));
  CHECK_THROWS_WITH(x.reshape({-1, -1}),
                    MG_CONTAINS("reshape: only one dimension can be inferred"));
  CHECK_THROWS_WITH(x.reshape({5}),
                    MG_CONTAINS("shape [5] is invalid for input of size 6 (shape [2, 3])"));
  CHECK_THROWS_WITH(x.view({2, -2, 3}), MG_CONTAINS("view: invalid shape dimension -2"));
  CHECK_THROWS_WITH(x.t().view({6}),
                    MG_CONTAINS("view: size [6] is not compatible with the input's size "
                                "[3, 2] and strides [1, 3]") &&
                        MG_CONTAINS("use reshape() instead"));
  Tensor v = x.t().view({3, 1, 2});
  CHECK(v.storage() == x.storage());
  CHECK(values(v) == std::vector<double>{0, 3, 1, 4, 2, 5});
}

TEST_CASE("flatten merges a range of dims", "[shape]") {
  Tensor x = iota({2, 3, 4});
  CHECK(x.flatten().shape() == Dims{24});
  CHECK(x.flatten(1).shape() == Dims{2, 12});
  CHECK(x.flatten(0, -2).shape() == Dims{6, 4});
  CHECK(x.flatten(1, 1).shape() == Dims{2, 3, 4});
  CHECK(x.flatten().storage() == x.storage());
  CHECK(scalar_tensor(2.0).flatten().shape() == Dims{1});
  Tensor tf = x.transpose(1, 2).flatten(1);
  CHECK(tf.shape() == Dims{2, 12});
  CHECK(values(tf.select(0, 0).slice(0, 0, 4)) == std::vector<double>{0, 4, 8, 1});
  CHECK_THROWS_WITH(x.flatten(2, 1),
                    MG_CONTAINS("flatten: start_dim 2 cannot come after end_dim 1"));
  CHECK_THROWS_WITH(x.flatten(3), MG_CONTAINS("flatten: dimension out of range"));
}

TEST_CASE("reshape, view and flatten gradients are exact to second order", "[shape]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].reshape({3, 2}) * in[0].reshape({3, 2})};
      },
      {randn64({2, 3}, 1)});
  check_grads([](const TensorList& in) { return TensorList{in[0].reshape({-1}).square()}; },
              {noncontiguous(randn64({2, 3}, 2))});
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].view({2, 2, 1})};
      },
      {randn64({4}, 3)});
  check_grads([](const TensorList& in) { return TensorList{in[0].flatten(0, 1)}; },
              {randn64({2, 2, 3}, 4)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].reshape({1, 1, 1})};
      },
      {randn64({}, 5)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].reshape({2, 0})};
      },
      {randn64({0, 2}, 6)});
}

// ---- squeeze / unsqueeze ---------------------------------------------------------------------

TEST_CASE("squeeze and unsqueeze add and remove size-1 dims as views", "[shape]") {
  Tensor x = iota({1, 3, 1, 2});
  CHECK(x.squeeze().shape() == Dims{3, 2});
  CHECK(x.squeeze(2).shape() == Dims{1, 3, 2});
  CHECK(x.squeeze(-4).shape() == Dims{3, 1, 2});
  CHECK(x.squeeze(1).shape() == Dims{1, 3, 1, 2});
  CHECK(x.squeeze().storage() == x.storage());
  CHECK(ones({1, 1}).squeeze().dim() == 0);
  CHECK(scalar_tensor(1.0).squeeze(0).dim() == 0);
  CHECK(scalar_tensor(1.0).squeeze(-1).dim() == 0);

  Tensor y = iota({2, 3});
  CHECK(y.unsqueeze(0).shape() == Dims{1, 2, 3});
  CHECK(y.unsqueeze(-1).shape() == Dims{2, 3, 1});
  CHECK(y.unsqueeze(1).shape() == Dims{2, 1, 3});
  CHECK(y.unsqueeze(2).strides() == Dims{3, 1, 1});
  CHECK(y.unsqueeze(-1).storage() == y.storage());
  CHECK(scalar_tensor(1.0).unsqueeze(0).shape() == Dims{1});
  CHECK(values(y.t().unsqueeze(1).squeeze(1)) == values(y.t()));
  CHECK_THROWS_WITH(y.unsqueeze(3),
                    MG_CONTAINS("unsqueeze: dimension out of range (expected to be in "
                                "range of [-3, 2], but got 3)"));
  CHECK_THROWS_WITH(y.squeeze(2), MG_CONTAINS("squeeze: dimension out of range"));
}

TEST_CASE("squeeze and unsqueeze gradients are exact to second order", "[shape]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].squeeze() * in[0].squeeze(0).squeeze(-1)};
      },
      {randn64({1, 3, 1}, 7)});
  check_grads([](const TensorList& in) { return TensorList{in[0].unsqueeze(1).square()}; },
              {noncontiguous(randn64({2, 3}, 8))});
  check_grads([](const TensorList& in) { return TensorList{in[0].unsqueeze(0)}; },
              {randn64({}, 9)});
}

// ---- permute / transpose / t -----------------------------------------------------------------

TEST_CASE("permute, transpose and t reorder dims as views", "[shape]") {
  Tensor x = iota({2, 3, 4});
  Tensor p = x.permute({2, 0, 1});
  CHECK(p.shape() == Dims{4, 2, 3});
  CHECK(p.strides() == Dims{1, 12, 4});
  CHECK(p.storage() == x.storage());
  CHECK(values(p.select(0, 1)) == std::vector<double>{1, 5, 9, 13, 17, 21});
  CHECK(x.permute({-1, 0, 1}).shape() == Dims{4, 2, 3});

  Tensor tr = x.transpose(0, -1);
  CHECK(tr.shape() == Dims{4, 3, 2});
  CHECK(values(tr.select(0, 3).select(0, 2)) == std::vector<double>{11, 23});
  Tensor m = iota({2, 3});
  CHECK(values(m.t()) == std::vector<double>{0, 3, 1, 4, 2, 5});
  CHECK(m.t().t().strides() == m.strides());
  CHECK(iota({3}).t().shape() == Dims{3});
  CHECK(scalar_tensor(1.0).t().dim() == 0);
  CHECK(scalar_tensor(1.0).transpose(0, -1).dim() == 0);

  CHECK_THROWS_WITH(x.permute({0, 1}),
                    MG_CONTAINS("permute: number of dims in the permutation (2) does "
                                "not match the tensor's (3)"));
  CHECK_THROWS_WITH(x.permute({0, 1, 1}), MG_CONTAINS("permute: dim 1 repeats in the permutation"));
  CHECK_THROWS_WITH(x.permute({0, 1, 3}), MG_CONTAINS("permute: dimension out of range"));
  CHECK_THROWS_WITH(x.transpose(0, 3), MG_CONTAINS("transpose: dimension out of range"));
  CHECK_THROWS_WITH(
      x.t(), MG_CONTAINS("t: expects a tensor with <= 2 dimensions, but got 3 (shape [2, 3, 4])"));
}

TEST_CASE("permute, transpose and t gradients are exact to second order", "[shape]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].permute({1, 2, 0})};
      },
      {randn64({2, 3, 2}, 10)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].transpose(-1, 0) * in[0].transpose(0, 1)};
      },
      {randn64({3, 3}, 11)});
  check_grads([](const TensorList& in) { return TensorList{in[0].t().square()}; },
              {noncontiguous(randn64({2, 3}, 12))});
  check_grads([](const TensorList& in) { return TensorList{in[0].t()}; }, {randn64({}, 13)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].permute({1, 0})};
      },
      {randn64({0, 2}, 14)});
}

// ---- expand / broadcast_to / sum_to ----------------------------------------------------------

TEST_CASE("expand broadcasts with zero strides and shares storage", "[shape]") {
  Tensor x = iota({3, 1});
  Tensor e = x.expand({2, 3, 4});
  CHECK(e.shape() == Dims{2, 3, 4});
  CHECK(e.strides() == Dims{0, 1, 0});
  CHECK(e.storage() == x.storage());
  CHECK(values(e.select(0, 1).select(0, 2)) == std::vector<double>{2, 2, 2, 2});
  CHECK(x.expand({-1, 2}).shape() == Dims{3, 2});
  CHECK(broadcast_to(x, {3, 5}).strides() == Dims{1, 0});
  CHECK(scalar_tensor(7.0).expand({2, 2}).to_vector<float>() == std::vector<float>(4, 7.0f));
  CHECK(x.expand({3, 0}).shape() == Dims{3, 0});
  CHECK(x.expand_as(zeros({3, 2})).shape() == Dims{3, 2});

  CHECK_THROWS_WITH(x.expand({2, 4}),
                    MG_CONTAINS("expand: the expanded size of the tensor (2) must match "
                                "the existing size (3) at non-singleton dimension 0"));
  CHECK_THROWS_WITH(x.expand({4}),
                    MG_CONTAINS("expand: the number of sizes provided (1) must be greater "
                                "or equal to the number of dimensions in the tensor (2)"));
  CHECK_THROWS_WITH(x.expand({-1, 3, 1}),
                    MG_CONTAINS("expand: -1 is not allowed in a leading, new dimension"));
}

TEST_CASE("sum_to reduces broadcast dims and is expand's adjoint", "[shape]") {
  Tensor x = iota({2, 3, 4});
  Tensor a = x.sum_to({3, 1});
  CHECK(a.shape() == Dims{3, 1});
  CHECK(values(a) == std::vector<double>{60, 92, 124});
  Tensor b = x.sum_to({1, 4});
  CHECK(values(b) == std::vector<double>{60, 66, 72, 78});
  CHECK(x.sum_to({}).item<double>() == 276.0);
  CHECK(x.sum_to({2, 3, 4}).is_same(x));
  CHECK(zeros({0, 2}, kFloat64).sum_to({2}).to_vector<double>() == std::vector<double>{0, 0});
  CHECK_THROWS_WITH(x.sum_to({2, 4}),
                    MG_CONTAINS("sum_to: shape [2, 4] does not broadcast to [2, 3, 4]"));
  CHECK_THROWS_WITH(x.sum_to({1, 2, 3, 4}),
                    MG_CONTAINS("sum_to: cannot sum shape [2, 3, 4] to the larger "
                                "shape [1, 2, 3, 4]"));
}

TEST_CASE("expand and sum_to gradients are exact to second order", "[shape]") {
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].expand({2, 3, 4})};
      },
      {randn64({3, 1}, 15)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].expand({2, 3}) * in[0].expand({2, 3})};
      },
      {randn64({}, 16)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{broadcast_to(in[0], {2, 2, 3}).square()};
      },
      {noncontiguous(randn64({2, 3}, 17))});
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].sum_to({3, 1})};
      },
      {randn64({2, 3, 4}, 18)});
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].square().sum_to({1, 3})};
      },
      {noncontiguous(randn64({2, 3}, 19))});
  check_grads(
      [](const TensorList& in) {
        return TensorList{in[0].expand({2, 0})};
      },
      {randn64({2, 1}, 20)});
}

TEST_CASE("expand's gradient sums over the broadcast positions", "[shape]") {
  Tensor x = randn64({3, 1}, 21);
  Tensor g = grad({(x.expand({2, 3, 4}) * iota({2, 3, 4})).sum()}, {x})[0];
  CHECK(g.shape() == Dims{3, 1});
  CHECK(values(g) == std::vector<double>{60, 92, 124});
}
