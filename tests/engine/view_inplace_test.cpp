// In-place ops on views and on the bases of views, while recording (Note [in-place ops on views],
// engine/autograd/view_history.hpp): the base's history follows a write into its view, a view
// whose memory was written through its base or a sibling regenerates its history, and writes that
// would lose a gradient are errors. Each function is checked by gradcheck and gradgradcheck in
// float64, and against the same function written without in-place ops.
#include <vector>

#include "tests/support/helpers.hpp"

namespace metagrad {
namespace {

using testing::allclose;
using testing::check_grads;
using testing::randn64;

// Both functions' values and gradients (of a random weighting of the output) agree.
void check_same_as(const CheckedFunction& inplace, const CheckedFunction& reference,
                   const TensorList& inputs) {
  const Tensor out = inplace(inputs)[0], expected = reference(inputs)[0];
  REQUIRE(out.shape() == expected.shape());
  REQUIRE(allclose(out, expected));
  const Tensor weight = randn64(out.shape(), 99).detach();
  const TensorList g = grad({(out * weight).sum()}, inputs, {}, {.allow_unused = true});
  const TensorList ref = grad({(expected * weight).sum()}, inputs, {}, {.allow_unused = true});
  for (size_t i = 0; i < inputs.size(); ++i) {
    INFO("input " << i);
    REQUIRE(g[i].defined() == ref[i].defined());
    if (g[i].defined()) REQUIRE(allclose(g[i], ref[i]));
  }
  check_grads(inplace, inputs);
}

}  // namespace

TEST_CASE("a write into a view gives the base its history", "[inplace][views]") {
  const Tensor a = randn64({4, 3}, 1), b = randn64({3}, 2), c = randn64({4}, 3);
  // c = a * 2, then row 1 *= b, column 2 += c, and a strided slice of rows is overwritten.
  const CheckedFunction inplace = [](const TensorList& x) -> TensorList {
    Tensor h = x[0] * 2.0;
    h.select(0, 1).mul_(x[1]);
    h.select(1, 2).add_(x[2]);
    h.slice(0, 0, 4, 2).slice(1, 0, 2).copy_(x[1].slice(0, 1, 3).sin());
    return {h * h};
  };
  const CheckedFunction reference = [](const TensorList& x) -> TensorList {
    const Tensor doubled = x[0] * 2.0;
    std::vector<Tensor> rows;
    for (int64_t r = 0; r < 4; ++r) {
      Tensor row = doubled.select(0, r);
      if (r == 1) row = row * x[1];
      row = cat({row.slice(0, 0, 2), row.slice(0, 2, 3) + x[2].slice(0, r, r + 1)}, 0);
      if (r % 2 == 0) row = cat({x[1].slice(0, 1, 3).sin(), row.slice(0, 2, 3)}, 0);
      rows.push_back(row);
    }
    const Tensor h = stack(rows);
    return {h * h};
  };
  check_same_as(inplace, reference, {a, b, c});
}

TEST_CASE("a buffer filled row by row with copy_ gains the rows' history", "[inplace][views]") {
  const Tensor x = randn64({3, 2}, 4);
  const CheckedFunction inplace = [](const TensorList& in) -> TensorList {
    Tensor buffer = zeros({3, 2}, kFloat64);
    for (int64_t r = 0; r < 3; ++r)
      buffer.select(0, r).copy_(in[0].select(0, r) * static_cast<double>(r + 1));
    return {buffer.exp()};
  };
  const CheckedFunction reference = [](const TensorList& in) -> TensorList {
    return {(in[0] * tensor({1.0, 2.0, 3.0}, kFloat64).reshape({3, 1})).exp()};
  };
  REQUIRE(inplace({x})[0].requires_grad());
  check_same_as(inplace, reference, {x});
  // Only part of the buffer written: the rest stays a constant.
  Tensor partial = zeros({3, 2}, kFloat64);
  partial.select(0, 2).copy_(x.select(0, 0));
  const Tensor g = grad({(partial * partial).sum()}, {x})[0];
  REQUIRE(allclose(g, cat({(x.select(0, 0) * 2.0).unsqueeze(0), zeros({2, 2}, kFloat64)}, 0)));
}

TEST_CASE("writes through permuted and nested views of a permuted base", "[inplace][views]") {
  const Tensor a = randn64({3, 4}, 5), b = randn64({2}, 6);
  const CheckedFunction inplace = [](const TensorList& x) -> TensorList {
    Tensor h = x[0].t() * 1.5;  // a [4, 3] result laid out like x[0].t() (column-major)
    h.t().slice(1, 1, 3).select(0, 2).mul_(x[1]);  // h[1:3, 2] *= b
    h.select(1, 0).unsqueeze(1).add_(x[1].sum());  // h[:, 0] += sum(b)
    return {h.tanh()};
  };
  const CheckedFunction reference = [](const TensorList& x) -> TensorList {
    const Tensor h = x[0].t() * 1.5;
    const Tensor col0 = h.select(1, 0) + x[1].sum();
    const Tensor col2 = cat({h.slice(0, 0, 1).select(1, 2), h.slice(0, 1, 3).select(1, 2) * x[1],
                             h.slice(0, 3, 4).select(1, 2)},
                            0);
    return {stack({col0, h.select(1, 1), col2}, 1).tanh()};
  };
  check_same_as(inplace, reference, {a, b});
}

TEST_CASE("a view written through its base or a sibling regenerates its history",
          "[inplace][views]") {
  const Tensor a = randn64({5}, 7), b = randn64({1}, 8);
  // The view is taken before its base is multiplied: its values, and so its history, change.
  const CheckedFunction through_base = [](const TensorList& x) -> TensorList {
    Tensor h = x[0] * 1.0;
    const Tensor view = h.slice(0, 1, 4);
    h.mul_(x[1]);
    return {view * view};
  };
  check_same_as(through_base,
                [](const TensorList& x) -> TensorList {
                  const Tensor v = x[0].slice(0, 1, 4) * x[1];
                  return {v * v};
                },
                {a, b});
  // Two overlapping views: writing one changes the other's shared element.
  const CheckedFunction through_sibling = [](const TensorList& x) -> TensorList {
    Tensor h = x[0] * 1.0;
    Tensor first = h.slice(0, 0, 3), second = h.slice(0, 2, 5);
    first.mul_(x[1]);
    return {second.exp()};
  };
  check_same_as(through_sibling,
                [](const TensorList& x) -> TensorList {
                  return {cat({x[0].slice(0, 2, 3) * x[1], x[0].slice(0, 3, 5)}, 0).exp()};
                },
                {a, b});
}

TEST_CASE("views written in turn keep their dropped buffer for each other", "[inplace][views]") {
  // Two overlapping views of a zeros buffer that is dropped: each gains its history from copy_,
  // which keeps the buffer alive, so the first regenerates its history after the second writes
  // their shared row.
  const Tensor x = randn64({2, 3}, 14), y = randn64({2, 3}, 15);
  Tensor first, second;
  {
    Tensor buffer = zeros({3, 3}, kFloat64);
    first = buffer.slice(0, 0, 2);
    second = buffer.slice(0, 1, 3);
  }
  first.copy_(x);
  second.copy_(y);
  const Tensor expected = cat({x.slice(0, 0, 1), y.slice(0, 0, 1)}, 0);
  REQUIRE(allclose(first, expected));
  const TensorList g = grad({(first * first).sum()}, {x, y});
  REQUIRE(allclose(g[0], cat({x.slice(0, 0, 1) * 2.0, zeros({1, 3}, kFloat64)}, 0)));
  REQUIRE(allclose(g[1], cat({y.slice(0, 0, 1) * 2.0, zeros({1, 3}, kFloat64)}, 0)));
}

TEST_CASE("views taken before their base required grad follow it", "[inplace][views]") {
  // Taken from a zeros buffer before a copy_ into a row they share: they require grad then, and
  // their gradient reaches the copied tensor.
  const Tensor x = randn64({3}, 16);
  Tensor buffer = zeros({3, 3}, kFloat64);
  const Tensor rows = buffer.slice(0, 0, 2);
  REQUIRE_FALSE(rows.requires_grad());
  buffer.select(0, 1).copy_(x);
  REQUIRE(rows.requires_grad());
  REQUIRE_FALSE(rows.is_leaf());
  REQUIRE(allclose(grad({(rows * rows).sum()}, {x})[0], x * 2.0));
  // Taken from a leaf before it was made to require grad.
  Tensor w = zeros({4}, kFloat64);
  const Tensor head = w.slice(0, 0, 2);
  w.requires_grad_();
  REQUIRE(allclose(grad({head.sum()}, {w})[0], tensor({1.0, 1.0, 0.0, 0.0}, kFloat64)));
  // detach_ makes a view stop following its base.
  Tensor tail = w.slice(0, 2, 4);
  tail.detach_();
  REQUIRE_FALSE(tail.requires_grad());
}

TEST_CASE("copy_ from a leaf connects to the leaf", "[inplace][views]") {
  const Tensor x = randn64({3}, 17), a = randn64({3}, 18);
  Tensor buffer = zeros({3}, kFloat64);
  buffer.copy_(x);
  REQUIRE_FALSE(buffer.is_leaf());
  REQUIRE(allclose(grad({(buffer * buffer).sum()}, {x})[0], x * 2.0));
  Tensor h = a * 2.0;
  h.copy_(x);
  const TensorList g = grad({h.sum()}, {x, a});
  REQUIRE(allclose(g[0], ones({3}, kFloat64)));
  REQUIRE(allclose(g[1], zeros({3}, kFloat64)));
}

TEST_CASE("overwriting with a constant cuts the gradient", "[inplace][views]") {
  const Tensor a = randn64({4}, 9);
  Tensor h = a * 3.0;
  h.copy_(tensor({1.0, 2.0, 3.0, 4.0}, kFloat64));
  REQUIRE(h.requires_grad());
  REQUIRE(allclose(grad({h.sum()}, {a})[0], zeros({4}, kFloat64)));
  Tensor k = a * 3.0;
  k.slice(0, 1, 3).fill_(0.5);
  k.select(0, 3).zero_();
  REQUIRE(allclose(k, tensor({a.to_vector<double>()[0] * 3.0, 0.5, 0.5, 0.0}, kFloat64)));
  REQUIRE(allclose(grad({k.sum()}, {a})[0], tensor({3.0, 0.0, 0.0, 0.0}, kFloat64)));
}

TEST_CASE("second and third derivatives through writes into views", "[inplace][views]") {
  const Tensor a = randn64({3, 2}, 10), b = randn64({2}, 11);
  const Tensor v = randn64({3, 2}, 12).detach();
  Tensor h = a * a;
  h.select(0, 0).mul_(b * b);
  h.slice(0, 1, 3).add_(a.slice(0, 0, 2) * b);
  const Tensor g = grad({(h * h).sum()}, {a, b}, {}, {.create_graph = true})[0];
  const Tensor hv = grad({(g * v).sum()}, {a, b}, {}, {.create_graph = true})[1];
  // The same without in-place ops.
  const Tensor h0 = a * a;
  const Tensor ref_h =
      cat({(h0.select(0, 0) * b * b).unsqueeze(0), h0.slice(0, 1, 3) + a.slice(0, 0, 2) * b}, 0);
  const Tensor ref_g = grad({(ref_h * ref_h).sum()}, {a, b}, {}, {.create_graph = true})[0];
  const Tensor ref_hv = grad({(ref_g * v).sum()}, {a, b}, {}, {.create_graph = true})[1];
  REQUIRE(allclose(g, ref_g));
  REQUIRE(allclose(hv, ref_hv));
  REQUIRE(allclose(grad({hv.sum()}, {a})[0], grad({ref_hv.sum()}, {a})[0]));
}

TEST_CASE("writes into views that would lose a gradient are errors", "[inplace][views]") {
  const Tensor leaf = randn64({3, 2}, 13);
  CHECK_THROWS_WITH(leaf.select(0, 1).mul_(2.0),
                    MG_CONTAINS("mul_: a view (shape [2]) of a leaf tensor that requires grad") &&
                        MG_CONTAINS("NoGradGuard"));
  {
    NoGradGuard no_grad;  // an optimizer-style update of a slice of a parameter
    leaf.select(0, 1).mul_(2.0);
  }
  Tensor h = leaf * 1.0;
  Tensor quiet;
  {
    NoGradGuard no_grad;
    quiet = h.select(0, 0);
  }
  CHECK_THROWS_WITH(quiet.add_(1.0),
                    MG_CONTAINS("add_: this view (shape [2]) was taken under NoGradGuard") &&
                        MG_CONTAINS("Take the view again"));
  CHECK_THROWS_WITH(
      h.select(0, 0).unsqueeze(0).expand({3, 2}).copy_(ones({3, 2}, kFloat64)),
      MG_CONTAINS("more than one element of the written-to tensor") && MG_CONTAINS("clone()"));
  // A base whose own elements share memory (an expanded tensor detached into a non-view).
  Tensor shared = ones({2}, kFloat64).unsqueeze(0).expand({3, 2}).detach();
  CHECK_THROWS_WITH(shared.select(0, 1).copy_(leaf.select(0, 0)),
                    MG_CONTAINS("copy_: the base of the view (shape [3, 2], strides [0, 1]) has "
                                "elements that share memory"));
}

}  // namespace metagrad
