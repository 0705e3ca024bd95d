#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;

TEST_CASE("in-place arithmetic writes through and bumps the version", "[inplace]") {
  Tensor x = tensor({1.0, 2.0, 3.0}, kFloat64);
  const uint64_t v0 = x.version();
  x.add_(tensor({1.0, 1.0, 1.0}, kFloat64), 2.0);
  CHECK(x.to_vector<double>() == std::vector<double>{3.0, 4.0, 5.0});
  x.sub_(1.0).mul_(2.0).div_(tensor({2.0}, kFloat64));
  CHECK(x.to_vector<double>() == std::vector<double>{2.0, 3.0, 4.0});
  x.sub_(tensor({1.0, 1.0, 1.0}, kFloat64), 0.5);
  CHECK(x.to_vector<double>() == std::vector<double>{1.5, 2.5, 3.5});
  CHECK(x.version() == v0 + 5);
  x.zero_();
  CHECK(x.to_vector<double>() == std::vector<double>{0, 0, 0});
  x.fill_(7.0);
  CHECK(x.to_vector<double>() == std::vector<double>{7, 7, 7});
}

TEST_CASE("in-place ops on a view change the base", "[inplace]") {
  Tensor base = zeros({2, 3}, kFloat64);
  Tensor row = base.select(0, 1);
  row.fill_(5.0);
  CHECK(base.to_vector<double>() == std::vector<double>{0, 0, 0, 5, 5, 5});
  CHECK(base.version() == row.version());
  Tensor col = base.t();
  col.mul_(2.0);
  CHECK(base.to_vector<double>() == std::vector<double>{0, 0, 0, 10, 10, 10});
}

TEST_CASE("copy_ converts dtype and broadcasts", "[inplace]") {
  Tensor dst = zeros({2, 2}, kFloat32);
  dst.copy_(tensor({1.5, 2.5}, kFloat64));
  CHECK(dst.to_vector<float>() == std::vector<float>{1.5f, 2.5f, 1.5f, 2.5f});
  CHECK_THROWS_WITH(dst.copy_(ones({3})), MG_CONTAINS("copy_") && MG_CONTAINS("[2, 2]"));
}

TEST_CASE("in-place on a non-leaf while recording keeps correct gradients", "[inplace]") {
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor h = x * 3.0;  // dh/dx = 3
  h.mul_(x);           // h = 3 x^2, d/dx = 6 x
  h.add_(x);           // + x, d/dx = 6 x + 1
  CHECK(allclose(h, tensor({4.0, 14.0}, kFloat64)));
  CHECK(h.grad_fn()->name() == "AddBackward");
  Tensor g = grad({h.sum()}, {x})[0];
  CHECK(allclose(g, tensor({7.0, 13.0}, kFloat64)));
}

TEST_CASE("in-place op on a tensor saved by its own op is detected", "[inplace]") {
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor h = x * 3.0;
  h.mul_(h);  // MulBackward saved h itself, which the write then modifies (PyTorch errors too)
  CHECK_THROWS_WITH(grad({h.sum()}, {x}), MG_CONTAINS("modified by an inplace operation"));
}

TEST_CASE("optimizer-style update under NoGradGuard", "[inplace]") {
  Tensor w = tensor({1.0, -1.0}, kFloat64).requires_grad_();
  for (int step = 0; step < 3; ++step) {
    Tensor loss = (w * w).sum();
    Tensor g = grad({loss}, {w})[0];
    NoGradGuard no_grad;
    w.sub_(g, 0.25);  // w <- w - 0.25 * 2 w = 0.5 w
  }
  CHECK(allclose(w, tensor({0.125, -0.125}, kFloat64)));
  CHECK(w.is_leaf());
  CHECK(w.requires_grad());
}

TEST_CASE("in-place arithmetic without recording writes into the same buffer", "[inplace]") {
  Tensor x = tensor({1.0, 2.0, 3.0, 4.0}, kFloat32);
  const void* before = x.raw_data();
  const uint64_t v0 = x.version();
  x.mul_(2.0).add_(tensor({1.0, 1.0, 1.0, 1.0}, kFloat32)).sub_(tensor({0.5}, kFloat32)).div_(2.0);
  CHECK(x.raw_data() == before);
  CHECK(x.version() == v0 + 4);
  CHECK(x.to_vector<float>() == std::vector<float>{1.25f, 2.25f, 3.25f, 4.25f});
  x.mul_(x);  // the same view on both sides
  CHECK(x.to_vector<float>() == std::vector<float>{1.5625f, 5.0625f, 10.5625f, 18.0625f});

  // A shifted view of the same storage reads the old values (as if computed out of place).
  Tensor y = tensor({1.0, 2.0, 3.0, 4.0}, kFloat64);
  Tensor tail = slice(y, 0, 1, 4), head = slice(y, 0, 0, 3);
  tail.add_(head);
  CHECK(y.to_vector<double>() == std::vector<double>{1.0, 3.0, 5.0, 7.0});

  // A transposed operand and a broadcast row.
  Tensor m = tensor({1.0, 2.0, 3.0, 4.0}, {2, 2}, kFloat64);
  m.add_(transpose(tensor({10.0, 20.0, 30.0, 40.0}, {2, 2}, kFloat64), 0, 1));
  CHECK(m.to_vector<double>() == std::vector<double>{11.0, 32.0, 23.0, 44.0});
  m.mul_(tensor({1.0, -1.0}, kFloat64));
  CHECK(m.to_vector<double>() == std::vector<double>{11.0, -32.0, 23.0, -44.0});
}
