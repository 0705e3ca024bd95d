// Tensor core: factories, metadata, data access, conversions, sharing semantics, versions.
#include <cmath>
#include <limits>

#include "tests/support/helpers.hpp"
#include "tests/support/tensor_values.hpp"

using namespace metagrad;
using metagrad::testing::allclose;
using metagrad::testing::values;

TEST_CASE("zeros, ones, full and empty make contiguous tensors of the given dtype", "[tensor]") {
  Tensor z = zeros({2, 3});
  CHECK(z.dtype() == kFloat32);
  CHECK(z.shape() == Dims{2, 3});
  CHECK(values(z) == std::vector<double>(6, 0.0));
  Tensor o = ones({4}, kFloat64);
  CHECK(o.dtype() == kFloat64);
  CHECK(values(o) == std::vector<double>(4, 1.0));
  CHECK(ones({3}, kInt64).to_vector<int64_t>() == std::vector<int64_t>{1, 1, 1});
  CHECK(zeros({2}, kBool).to_vector<bool>() == std::vector<bool>{false, false});
  Tensor f = full({2, 2}, -2.5, kFloat64);
  CHECK(values(f) == std::vector<double>(4, -2.5));
  CHECK(full({2}, 7.9, kInt64).to_vector<int64_t>() == std::vector<int64_t>{7, 7});
  CHECK(full({1}, 3.0, kBool).item<bool>());
  Tensor s = scalar_tensor(4.5, kFloat64);
  CHECK(s.dim() == 0);
  CHECK(s.item<double>() == 4.5);
  Tensor e = empty({3, 0, 2});
  CHECK(e.numel() == 0);
  CHECK(e.shape() == Dims{3, 0, 2});
  CHECK(zeros({2}, {kFloat64, kCPU, true}).requires_grad());
  CHECK_THROWS_WITH(zeros({2, -1}), MG_CONTAINS("negative dimension -1 in shape [2, -1]"));
}

TEST_CASE("full rejects values the dtype cannot hold, as PyTorch", "[tensor]") {
  // Issue 10 defect 7: full({2}, NaN, kInt64) gave INT64_MIN.
  CHECK_THROWS_WITH(full({2}, std::nan(""), kInt64),
                    MG_CONTAINS("full: fill value nan cannot be converted to int64 without "
                                "overflow"));
  CHECK_THROWS_WITH(full({2}, -std::numeric_limits<double>::infinity(), kInt64),
                    MG_CONTAINS("full: fill value -inf cannot be converted to int64"));
  CHECK_THROWS_WITH(full({2}, 1e19, kInt64), MG_CONTAINS("fill value 1e+19 cannot be converted to "
                                                         "int64"));
  CHECK_THROWS_WITH(full({2}, std::nan(""), kBool), MG_CONTAINS("cannot be converted to bool"));
  CHECK_THROWS_WITH(full({2}, 1e300, kFloat32), MG_CONTAINS("cannot be converted to float32"));
  CHECK_THROWS_WITH(tensor({1.0, std::nan("")}, kInt64),
                    MG_CONTAINS("tensor: value nan cannot be converted to int64"));
  CHECK_THROWS_WITH(arange(-1e19, 0.0, 1e18, kInt64),
                    MG_CONTAINS("arange: bound -1e+19 cannot be converted to int64"));
  // In range: as PyTorch, a fractional value truncates, and -2^63 is exact.
  CHECK(full({2}, 2.5, kInt64).to_vector<int64_t>() == std::vector<int64_t>{2, 2});
  CHECK(full({1}, -0x1p63, kInt64).item<int64_t>() == std::numeric_limits<int64_t>::min());
  CHECK(std::isnan(full({1}, std::nan(""), kFloat32).item<float>()));
  CHECK(std::isinf(full({1}, std::numeric_limits<double>::infinity(), kFloat32).item<float>()));
}

TEST_CASE("scalar operands of integer tensors are exact or rejected", "[tensor]") {
  const Tensor x = tensor({0.0, 1.0, 2.0}, kInt64);
  CHECK_THROWS_WITH(x * 0.5, MG_CONTAINS("mul: the scalar 0.5 is not a int64 value") &&
                                 MG_CONTAINS("does not promote implicitly"));
  CHECK_THROWS_WITH(x + std::nan(""), MG_CONTAINS("add: the scalar nan"));
  CHECK_THROWS_WITH(where(gt(x, 0.0), x, 0.5), MG_CONTAINS("where: the scalar 0.5"));
  CHECK((x * 2.0).to_vector<int64_t>() == std::vector<int64_t>{0, 2, 4});
  // Comparisons with a value the dtype cannot hold compare mathematically (in float64).
  CHECK(lt(x, 0.5).to_vector<bool>() == std::vector<bool>{true, false, false});
  CHECK(ge(x, 1.5).to_vector<bool>() == std::vector<bool>{false, false, true});
  CHECK(eq(x, std::nan("")).to_vector<bool>() == std::vector<bool>{false, false, false});
  CHECK(gt(x, -1e300).to_vector<bool>() == std::vector<bool>{true, true, true});
}

TEST_CASE("arange matches torch.arange sizes and values", "[tensor]") {
  Tensor a = arange(5.0);
  CHECK(a.dtype() == kFloat32);
  CHECK(values(a) == std::vector<double>{0, 1, 2, 3, 4});
  Tensor tenth = arange(0.0, 1.0, 0.1);
  REQUIRE(tenth.numel() == 10);
  const auto tv = tenth.to_vector<float>();
  for (int i = 0; i < 10; ++i) CHECK(tv[i] == static_cast<float>(0.1 * i));
  CHECK(values(arange(1.0, 2.5, 0.5, kFloat64)) == std::vector<double>{1.0, 1.5, 2.0});
  CHECK(values(arange(5.0, 0.0, -1.5, kFloat64)) == std::vector<double>{5.0, 3.5, 2.0, 0.5});
  CHECK(arange(4.0, kInt64).to_vector<int64_t>() == std::vector<int64_t>{0, 1, 2, 3});
  CHECK(arange(-3.0, 3.0, 2.0, kInt64).to_vector<int64_t>() == std::vector<int64_t>{-3, -1, 1});
  CHECK(arange(2.0, 2.0).numel() == 0);
  CHECK(arange(0.0, 10.0, 3.0).numel() == 4);
  CHECK_THROWS_WITH(arange(0.0, 1.0, 0.0), MG_CONTAINS("arange: step must be nonzero"));
  CHECK_THROWS_WITH(arange(0.0, 1.0, -1.0), MG_CONTAINS("inconsistent with step sign"));
}

TEST_CASE("linspace hits both endpoints exactly and is evenly spaced", "[tensor]") {
  CHECK(values(linspace(0.0, 1.0, 5, kFloat64)) == std::vector<double>{0.0, 0.25, 0.5, 0.75, 1.0});
  const auto v = values(linspace(-1.3, 2.7, 7, kFloat64));
  REQUIRE(v.size() == 7);
  CHECK(v.front() == -1.3);
  CHECK(v.back() == 2.7);
  for (size_t i = 1; i < v.size(); ++i) CHECK(v[i] - v[i - 1] == Approx(4.0 / 6.0).epsilon(1e-12));
  const auto f = linspace(0.1, 0.7, 4).to_vector<float>();
  CHECK(f.front() == 0.1f);
  CHECK(f.back() == 0.7f);
  CHECK(values(linspace(3.0, 9.0, 1, kFloat64)) == std::vector<double>{3.0});
  CHECK(linspace(0.0, 1.0, 0).numel() == 0);
  CHECK(values(linspace(2.0, -2.0, 3, kFloat64)) == std::vector<double>{2.0, 0.0, -2.0});
  CHECK_THROWS_WITH(linspace(0.0, 1.0, -1), MG_CONTAINS("linspace: number of steps"));
}

TEST_CASE("eye and tensor build the given values", "[tensor]") {
  CHECK(values(eye(3)) == std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1});
  Tensor r = eye(2, 3, kInt64);
  CHECK(r.shape() == Dims{2, 3});
  CHECK(r.to_vector<int64_t>() == std::vector<int64_t>{1, 0, 0, 0, 1, 0});
  CHECK(eye(0).numel() == 0);
  Tensor t = tensor({1.5, -2.0, 3.25, 0.0}, {2, 2}, kFloat64);
  CHECK(t.shape() == Dims{2, 2});
  CHECK(values(t) == std::vector<double>{1.5, -2.0, 3.25, 0.0});
  Tensor s = tensor({7.0}, Dims{});
  CHECK(s.dim() == 0);
  CHECK(s.item<float>() == 7.0f);
  CHECK(tensor({0.0, 2.0}, kBool).to_vector<bool>() == std::vector<bool>{false, true});
  CHECK(tensor({-1.7, 2.9}, kInt64).to_vector<int64_t>() == std::vector<int64_t>{-1, 2});
  CHECK_THROWS_WITH(tensor({1.0, 2.0, 3.0}, {2, 2}),
                    MG_CONTAINS("tensor: 3 values given for shape [2, 2] (4 elements)"));
}

TEST_CASE("like-factories copy shape, dtype and device but not requires_grad", "[tensor]") {
  Tensor like = tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {2, 3}, kFloat64).requires_grad_();
  for (const Tensor& t : {zeros_like(like), ones_like(like), full_like(like, 2.0), empty_like(like),
                          rand_like(like), randn_like(like)}) {
    CHECK(t.shape() == like.shape());
    CHECK(t.dtype() == kFloat64);
    CHECK(t.device() == kCPU);
    CHECK_FALSE(t.requires_grad());
  }
  CHECK(values(zeros_like(like)) == std::vector<double>(6, 0.0));
  CHECK(values(ones_like(like)) == std::vector<double>(6, 1.0));
  CHECK(values(full_like(like, -0.5)) == std::vector<double>(6, -0.5));
  Tensor as_int = ones_like(like, kInt64);
  CHECK(as_int.dtype() == kInt64);
  CHECK(as_int.shape() == like.shape());
  CHECK(full_like(like, 3.0, kFloat32).dtype() == kFloat32);
  CHECK(zeros_like(like, {kFloat64, kCPU, true}).requires_grad());
}

TEST_CASE("metadata accessors: shape, dim, numel, strides, contiguity", "[tensor]") {
  Tensor t = zeros({2, 3, 4}, kFloat64);
  CHECK(t.dim() == 3);
  CHECK(t.numel() == 24);
  CHECK(t.strides() == Dims{12, 4, 1});
  CHECK(t.size(-1) == 4);
  CHECK(t.size(0) == 2);
  CHECK(t.stride(1) == 4);
  CHECK(t.is_contiguous());
  CHECK(t.is_floating_point());
  CHECK(t.device().str() == "cpu");
  CHECK(t.storage_offset() == 0);
  Tensor tr = t.transpose(0, 2);
  CHECK(tr.shape() == Dims{4, 3, 2});
  CHECK(tr.strides() == Dims{1, 4, 12});
  CHECK_FALSE(tr.is_contiguous());
  Tensor sl = t.select(0, 1);
  CHECK(sl.storage_offset() == 12);
  CHECK(sl.is_contiguous());
  Tensor s = scalar_tensor(1.0);
  CHECK(s.dim() == 0);
  CHECK(s.numel() == 1);
  CHECK(s.strides().empty());
  CHECK(zeros({3, 1}).expand({3, 5}).stride(1) == 0);
  CHECK_FALSE(arange(3.0, kInt64).is_floating_point());
  CHECK_THROWS_WITH(t.size(3), MG_CONTAINS("size"));
  CHECK_FALSE(Tensor().defined());
  CHECK_THROWS_WITH(Tensor().shape(), MG_CONTAINS("undefined tensor"));
}

TEST_CASE("item and to_vector read elements in logical order", "[tensor]") {
  Tensor t = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64);
  CHECK(t.t().to_vector<double>() == std::vector<double>{1, 4, 2, 5, 3, 6});
  CHECK(t.to_vector<int64_t>() == std::vector<int64_t>{1, 2, 3, 4, 5, 6});
  CHECK(t.select(1, 2).to_vector<double>() == std::vector<double>{3, 6});
  CHECK(t.select(0, 1).select(0, 0).item<double>() == 4.0);
  CHECK(tensor({2.75}).item<double>() == 2.75);
  CHECK(scalar_tensor(9, kInt64).item<int64_t>() == 9);
  CHECK(scalar_tensor(1, kBool).item<bool>());
  CHECK_THROWS_WITH(t.item<double>(), MG_CONTAINS("item: a Tensor with 6 elements (shape [2, 3])"));
  CHECK_THROWS_WITH(t.data_ptr<float>(), MG_CONTAINS("data_ptr: tensor has dtype float64"));
  CHECK(t.data_ptr<double>()[5] == 6.0);
}

TEST_CASE("to(dtype) converts values and round-trips", "[tensor]") {
  Tensor x = tensor({0.5, -1.25, 3.0, 1e-3}, kFloat64);
  CHECK(x.to(kFloat64).is_same(x));
  Tensor f = x.to(kFloat32);
  CHECK(f.dtype() == kFloat32);
  CHECK(values(f.to(kFloat64)) == std::vector<double>{0.5, -1.25, 3.0, static_cast<float>(1e-3)});
  CHECK(x.to(kInt64).to_vector<int64_t>() == std::vector<int64_t>{0, -1, 3, 0});
  CHECK(x.to(kBool).to_vector<bool>() == std::vector<bool>{true, true, true, true});
  CHECK(values(tensor({0.0, 1.0}, kBool).to(kFloat32)) == std::vector<double>{0.0, 1.0});
  CHECK(values(arange(3.0, kInt64).to(kFloat64)) == std::vector<double>{0.0, 1.0, 2.0});
  // Differentiable between float dtypes: the gradient comes back in the input's dtype.
  Tensor leaf = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor y = leaf.to(kFloat32);
  CHECK(y.grad_fn() != nullptr);
  Tensor g = grad({(y * y).sum()}, {leaf})[0];
  CHECK(g.dtype() == kFloat64);
  CHECK(values(g) == std::vector<double>{2.0, 4.0});
  CHECK_FALSE(leaf.to(kInt64).requires_grad());
  CHECK(x.to(kCPU).is_same(x));
}

TEST_CASE("contiguous, clone and detach: what they share", "[tensor]") {
  Tensor base = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, kFloat64);
  CHECK(base.contiguous().is_same(base));
  Tensor tr = base.t();
  Tensor c = tr.contiguous();
  CHECK(c.is_contiguous());
  CHECK(c.storage() != base.storage());
  CHECK(values(c) == std::vector<double>{1, 4, 2, 5, 3, 6});

  Tensor cl = base.clone();
  CHECK(cl.storage() != base.storage());
  cl.fill_(0.0);
  CHECK(values(base) == std::vector<double>{1, 2, 3, 4, 5, 6});

  Tensor d = base.detach();
  CHECK_FALSE(d.is_same(base));
  CHECK(d.storage() == base.storage());
  d.fill_(7.0);
  CHECK(values(base) == std::vector<double>(6, 7.0));

  Tensor leaf = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  Tensor cg = leaf.clone();
  REQUIRE(cg.grad_fn() != nullptr);
  CHECK(cg.grad_fn()->name() == "CloneBackward");
  Tensor dg = (leaf * 2.0).detach();
  CHECK(dg.is_leaf());
  CHECK_FALSE(dg.requires_grad());
  CHECK(values(dg) == std::vector<double>{2.0, 4.0});
  // A non-contiguous view of a leaf: contiguous() is in the graph.
  Tensor m = tensor({1, 2, 3, 4}, {2, 2}, kFloat64).requires_grad_();
  Tensor mc = m.t().contiguous();
  CHECK(mc.requires_grad());
  CHECK(values(grad({(mc * tensor({1, 2, 3, 4}, {2, 2}, kFloat64)).sum()}, {m})[0]) ==
        std::vector<double>{1, 3, 2, 4});
}

TEST_CASE("requires_grad_ is for float leaves only", "[tensor]") {
  Tensor i = arange(3.0, kInt64);
  CHECK_THROWS_WITH(i.requires_grad_(),
                    MG_CONTAINS("requires_grad_: only float32/float64 tensors can require "
                                "gradients, got a int64 tensor of shape [3]"));
  CHECK_THROWS_WITH(tensor({1.0}, kBool).requires_grad_(), MG_CONTAINS("got a bool tensor"));
  CHECK_THROWS_WITH(zeros({2}, {kInt64, kCPU, true}), MG_CONTAINS("only float32/float64"));
  CHECK_NOTHROW(i.requires_grad_(false));
  Tensor x = tensor({1.0}).requires_grad_();
  CHECK(x.requires_grad());
  CHECK(x.is_leaf());
  CHECK_THROWS_WITH((x * 2.0).requires_grad_(false),
                    MG_CONTAINS("only change requires_grad flags of leaf"));
  x.requires_grad_(false);
  CHECK_FALSE(x.requires_grad());
}

TEST_CASE("in-place ops bump the version shared by all views", "[tensor]") {
  Tensor t = zeros({2, 3}, kFloat64);
  CHECK(t.version() == 0);
  Tensor view = t.select(0, 1);
  Tensor det = t.detach();
  t.add_(1.0);
  CHECK(t.version() == 1);
  CHECK(view.version() == 1);
  CHECK(det.version() == 1);
  view.mul_(3.0);
  CHECK(t.version() == 2);
  CHECK(values(t) == std::vector<double>{1, 1, 1, 3, 3, 3});
  Tensor cl = t.clone();
  CHECK(cl.version() == 0);
  t.zero_();
  CHECK(t.version() == 3);
  CHECK(cl.version() == 0);
  CHECK(values(cl) == std::vector<double>{1, 1, 1, 3, 3, 3});
}

TEST_CASE("make_empty_in_layout_of keeps a dense tensor's memory order", "[tensor]") {
  const Tensor base = zeros({2, 3, 4, 5});
  // A permuted contiguous tensor: the new one has the same strides.
  const Tensor permuted = base.permute({2, 0, 3, 1});
  const Tensor like_permuted = make_empty_in_layout_of(permuted);
  CHECK(like_permuted.shape() == permuted.shape());
  CHECK(like_permuted.strides() == permuted.strides());
  CHECK(like_permuted.storage()->nbytes() == static_cast<size_t>(base.numel()) * 4);
  CHECK(like_permuted.storage().get() != permuted.storage().get());
  CHECK(make_empty_in_layout_of(permuted.slice(1, 1, 2)).storage_offset() == 0);
  // Size-1 dims anywhere do not hide the order of the others.
  const Tensor with_unit = zeros({3, 1, 4}).permute({2, 1, 0});
  CHECK(make_empty_in_layout_of(with_unit).stride(0) == 1);
  CHECK(make_empty_in_layout_of(with_unit).stride(2) == 4);
  // Contiguous, non-dense (a slice, an expand) and empty tensors get a contiguous tensor.
  const Tensor sliced = base.slice(3, 0, 4);
  CHECK(make_empty_in_layout_of(sliced).is_contiguous());
  CHECK(make_empty_in_layout_of(zeros({3}).unsqueeze(0).expand({4, 3})).is_contiguous());
  const Tensor empty_transposed = make_empty_in_layout_of(zeros({0, 3}).t());
  CHECK(empty_transposed.shape() == Dims{3, 0});
  CHECK(empty_transposed.strides() == Dims{1, 1});
  // A gap in the outermost dim in memory (every other row, then permuted) is not dense either.
  const Tensor outer_gap = zeros({4, 3, 2}).slice(0, 0, 4, 2).permute({2, 0, 1});
  CHECK(outer_gap.strides() == Dims{1, 12, 2});
  CHECK(make_empty_in_layout_of(outer_gap).is_contiguous());
  CHECK(make_empty_in_layout_of(base).is_contiguous());
  CHECK(make_empty_in_layout_of(zeros({4, 3}, kFloat64).t()).dtype() == kFloat64);
}

TEST_CASE("elementwise results keep the first full-shape operand's dense layout", "[tensor]") {
  // As PyTorch's TensorIterator: a permuted dense operand's memory order carries over.
  const Tensor base = testing::randn64({2, 3, 4}, 3).detach();
  const Tensor permuted = base.permute({2, 0, 1});  // [4, 2, 3], strides [1, 12, 4]
  const Tensor dense = permuted.contiguous();
  const Tensor r = relu(permuted);
  CHECK(r.strides() == permuted.strides());
  CHECK(allclose(r, relu(dense), 0.0, 0.0));
  CHECK((permuted * 2.0).strides() == permuted.strides());
  CHECK(gt(permuted, 0.0).strides() == permuted.strides());
  CHECK(add(permuted, dense).strides() == permuted.strides());  // the first operand decides
  CHECK(add(dense, permuted).is_contiguous());
  // A broadcast operand is skipped; the first operand of the result's shape decides.
  const Tensor row = testing::randn64({1, 2, 3}, 4).detach();
  const Tensor broadcast_sum = add(row, permuted);
  CHECK(broadcast_sum.strides() == permuted.strides());
  CHECK(allclose(broadcast_sum, add(row, dense), 0.0, 0.0));
  const Tensor chosen = where(gt(permuted, 0.0), permuted, 0.0);
  CHECK(chosen.strides() == permuted.strides());
  CHECK(allclose(chosen, relu(dense), 0.0, 0.0));
  // A first operand that is not dense (a slice) gives a contiguous result.
  const Tensor sliced = base.slice(2, 0, 3).permute({2, 0, 1}).slice(0, 0, 2);
  CHECK(neg(sliced).is_contiguous());
  // Gradients are unaffected by the layout.
  const Tensor leaf = base.detach().requires_grad_(true);
  const Tensor g = grad({(relu(leaf.permute({2, 0, 1})) * 3.0).sum()}, {leaf})[0];
  CHECK(allclose(g, gt(base, 0.0).to(kFloat64) * 3.0, 0.0, 0.0));
}
