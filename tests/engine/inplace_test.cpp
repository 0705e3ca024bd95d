#include <cmath>
#include <limits>

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

  // A shifted view of the same storage partially overlaps: an error as in PyTorch (see "in-place
  // arithmetic with a partially overlapping operand is an error"); a clone reads the old values.
  Tensor y = tensor({1.0, 2.0, 3.0, 4.0}, kFloat64);
  Tensor tail = slice(y, 0, 1, 4), head = slice(y, 0, 0, 3);
  CHECK_THROWS_WITH(tail.add_(head), MG_CONTAINS("add_: unsupported operation"));
  tail.add_(head.clone());
  CHECK(y.to_vector<double>() == std::vector<double>{1.0, 3.0, 5.0, 7.0});

  // A transposed operand and a broadcast row.
  Tensor m = tensor({1.0, 2.0, 3.0, 4.0}, {2, 2}, kFloat64);
  m.add_(transpose(tensor({10.0, 20.0, 30.0, 40.0}, {2, 2}, kFloat64), 0, 1));
  CHECK(m.to_vector<double>() == std::vector<double>{11.0, 32.0, 23.0, 44.0});
  m.mul_(tensor({1.0, -1.0}, kFloat64));
  CHECK(m.to_vector<double>() == std::vector<double>{11.0, -32.0, 23.0, -44.0});
}

TEST_CASE("copy_ from a partially overlapping view is an error, as PyTorch", "[inplace]") {
  // Issue 10 defect 7: a.slice(0, 1, 6).copy_(a.slice(0, 0, 5)) gave garbage.
  Tensor a = arange(10.0, kFloat64);
  Tensor dst = a.slice(0, 1, 6);
  CHECK_THROWS_WITH(dst.copy_(a.slice(0, 0, 5)),
                    MG_CONTAINS("copy_: unsupported operation: some elements of the input tensor "
                                "and the written-to tensor refer to a single memory location") &&
                        MG_CONTAINS("clone() the input"));
  CHECK(a.to_vector<double>() == std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  // The remedy works.
  dst.copy_(a.slice(0, 0, 5).clone());
  CHECK(a.to_vector<double>() == std::vector<double>{0, 0, 1, 2, 3, 4, 6, 7, 8, 9});
  // Copying a view onto itself is a no-op; disjoint views of one storage are fine.
  Tensor b = arange(6.0, kFloat64);
  b.slice(0, 0, 3).copy_(b.slice(0, 0, 3));
  b.slice(0, 0, 3).copy_(b.slice(0, 3, 6));
  CHECK(b.to_vector<double>() == std::vector<double>{3, 4, 5, 3, 4, 5});
}

TEST_CASE("copy_ between interleaved strided views reads the source before writing", "[inplace]") {
  // Byte ranges intersect but both views are strided (PyTorch's "too hard" case): the source is
  // read in full first, so the result is the element-wise assignment, not a smeared prefix.
  Tensor a = arange(10.0, kFloat64);
  a.slice(0, 2, 10, 2).copy_(a.slice(0, 0, 8, 2));
  CHECK(a.to_vector<double>() == std::vector<double>{0, 1, 0, 3, 2, 5, 4, 7, 6, 9});
  Tensor b = arange(10.0, kFloat64);
  b.slice(0, 0, 10, 2).copy_(b.slice(0, 1, 10, 2));
  CHECK(b.to_vector<double>() == std::vector<double>{1, 1, 3, 3, 5, 5, 7, 7, 9, 9});
}

TEST_CASE("in-place arithmetic with a partially overlapping operand is an error", "[inplace]") {
  Tensor a = arange(10.0, kFloat64);
  CHECK_THROWS_WITH(a.slice(0, 1, 6).add_(a.slice(0, 0, 5)),
                    MG_CONTAINS("add_: unsupported operation: some elements of the input tensor "
                                "and the written-to tensor refer to a single memory location"));
  CHECK_THROWS_WITH(a.slice(0, 0, 5).mul_(a.slice(0, 2, 7)), MG_CONTAINS("mul_: unsupported"));
  CHECK_THROWS_WITH(a.slice(0, 0, 5).sub_(a.slice(0, 2, 7), 2.0), MG_CONTAINS("sub_: unsupported"));
  CHECK(a.to_vector<double>() == std::vector<double>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  // The same view, and disjoint views, are fine.
  a.slice(0, 0, 5).add_(a.slice(0, 0, 5));
  a.slice(0, 5, 10).sub_(a.slice(0, 0, 5));
  CHECK(a.to_vector<double>() == std::vector<double>{0, 2, 4, 6, 8, 5, 4, 3, 2, 1});
  // An expanded (stride-0) destination would receive several results per element.
  Tensor e = zeros({1}, kFloat64).expand({3});
  CHECK_THROWS_WITH(e.add_(tensor({1.0, 2.0, 3.0}, kFloat64)),
                    MG_CONTAINS("add_: unsupported operation: more than one element of the "
                                "written-to tensor (shape [3], strides [0]) refers to a single "
                                "memory location"));
  CHECK_THROWS_WITH(e.copy_(tensor({1.0, 2.0, 3.0}, kFloat64)), MG_CONTAINS("copy_: unsupported"));
}

TEST_CASE("in-place ops on integer tensors follow PyTorch's cast rule", "[inplace]") {
  // Issue 10 defect 7: ones(kInt64).mul_(0.5) silently gave 0.
  Tensor x = ones({3}, kInt64);
  CHECK_THROWS_WITH(x.mul_(0.5),
                    MG_CONTAINS("mul_: result type Float can't be cast to the desired output type "
                                "Long") &&
                        MG_CONTAINS("scalar 0.5"));
  CHECK_THROWS_WITH(x.add_(std::nan("")), MG_CONTAINS("add_: result type Float can't be cast"));
  CHECK_THROWS_WITH(x.sub_(1e30), MG_CONTAINS("sub_: result type Float"));
  CHECK_THROWS_WITH(x.div_(2.0), MG_CONTAINS("div_: result type Float can't be cast to the "
                                             "desired output type Long: true division"));
  CHECK_THROWS_WITH(x.div_(ones({3}, kInt64)),
                    MG_CONTAINS("div_: result type Float can't be cast"));
  CHECK_THROWS_WITH(x.add_(ones({3}, kInt64), 0.5), MG_CONTAINS("add_: result type Float"));
  CHECK(x.to_vector<int64_t>() == std::vector<int64_t>{1, 1, 1});
  // Integral scalars keep working.
  x.mul_(3.0).add_(-1.0).sub_(ones({3}, kInt64), 2.0);
  CHECK(x.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 0});
  Tensor mask = zeros({2}, kBool);
  CHECK_THROWS_WITH(mask.add_(2.0), MG_CONTAINS("add_: result type Float can't be cast to the "
                                                "desired output type Bool"));
}

TEST_CASE("fill values that an integer dtype cannot hold are errors", "[inplace]") {
  Tensor x = zeros({2}, kInt64);
  CHECK_THROWS_WITH(x.fill_(std::nan("")),
                    MG_CONTAINS("fill_: fill value nan cannot be converted to int64 without "
                                "overflow"));
  CHECK_THROWS_WITH(x.fill_(std::numeric_limits<double>::infinity()),
                    MG_CONTAINS("fill_: fill value inf cannot be converted to int64"));
  CHECK(x.to_vector<int64_t>() == std::vector<int64_t>{0, 0});
  // As PyTorch's fill_: a fractional value truncates.
  x.fill_(2.5);
  CHECK(x.to_vector<int64_t>() == std::vector<int64_t>{2, 2});
}
