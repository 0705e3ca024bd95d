// The CUDA backend's reduce, arg_reduce and batch-norm kernels (cuda/kernels/reduce_kernels.hpp,
// norm_kernels.hpp), entry by entry against the CPU backend. The kernels run on the emulated
// backend over host buffers (views of CPU tensors), so these tests need neither a GPU nor the
// CUDA backend's fill/copy.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cuda/emulated_backend.hpp"
#include "engine/ops.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/helpers.hpp"

using namespace metagrad;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kEpsD = std::numeric_limits<double>::epsilon();

Backend& emulated() { return emulated_cuda_backend(); }
Backend& cpu() { return backend_for(kCPU); }

View view(const Tensor& t) { return View{t.raw_data(), t.dtype(), t.shape(), t.strides()}; }

// A contiguous tensor of `shape` with standard normal values (plus `shift`), from `seed`.
Tensor normal(const Dims& shape, DType dtype, uint64_t seed, double shift = 0) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> dist;
  std::vector<double> v(static_cast<size_t>(numel_of(shape)));
  for (double& x : v) x = dist(gen) + shift;
  return tensor(v, shape, dtype);
}

// A contiguous tensor of `shape` with integers uniform in [low, high), converted to `dtype`.
Tensor integers(const Dims& shape, DType dtype, int64_t low, int64_t high, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_int_distribution<int64_t> dist(low, high - 1);
  std::vector<double> v(static_cast<size_t>(numel_of(shape)));
  for (double& x : v) x = static_cast<double>(dist(gen));
  return tensor(v, shape, dtype);
}

// `t` with NaN written at every `every`-th element (row-major), starting at `first`.
Tensor with_nans(const Tensor& t, int64_t first, int64_t every) {
  std::vector<double> v = t.to_vector<double>();
  for (size_t i = static_cast<size_t>(first); i < v.size(); i += static_cast<size_t>(every))
    v[i] = kNaN;
  return tensor(v, t.shape(), t.dtype());
}

double eps_of(DType dtype) {
  return dtype == kFloat32 ? std::numeric_limits<float>::epsilon() : kEpsD;
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (double x : t.to_vector<double>())
    if (x == x) m = std::max(m, std::abs(x));
  return m;
}

// Elementwise |got - want| <= tol(want), NaN matching NaN.
template <typename Tol>
void check_close(const Tensor& got, const Tensor& want, Tol&& tol) {
  if (got.dtype() == kInt64) {
    CHECK(got.to_vector<int64_t>() == want.to_vector<int64_t>());
    return;
  }
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  REQUIRE(g.size() == w.size());
  int bad = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const bool ok =
        (g[i] != g[i] && w[i] != w[i]) || g[i] == w[i] || std::abs(g[i] - w[i]) <= tol(w[i]);
    if (!ok && bad++ < 5) {
      INFO("element " << i << ": got " << g[i] << ", CPU " << w[i]);
      CHECK(ok);
    }
  }
  CHECK(bad == 0);
}

std::string op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
      return "sum";
    case ReduceOp::Prod:
      return "prod";
    case ReduceOp::Max:
      return "max";
    case ReduceOp::Min:
      return "min";
  }
  return "?";
}

// Reduces `in` over `dims` on the emulated CUDA backend and on the CPU and compares: max/min and
// integers exactly, float sums and products within a tolerance scaled by the reduction length.
// `out` (optional) is the output buffer to use on the CUDA side (any strides).
void check_reduce(ReduceOp op, const Tensor& in, const std::vector<int>& dims,
                  const Tensor& out = Tensor()) {
  Dims out_shape = in.shape();
  int64_t length = 1;
  for (int d : dims) {
    length *= out_shape[d];
    out_shape[d] = 1;
  }
  INFO(op_name(op) << " of " << dtype_name(in.dtype()) << " " << shape_str(in.shape())
                   << " strides " << shape_str(in.strides()) << " over " << dims.size()
                   << " dims (length " << length << ")");
  const Tensor want = empty(out_shape, in.dtype());
  const Tensor got = out.defined() ? out : full(out_shape, 7, in.dtype());
  REQUIRE(got.shape() == out_shape);
  cpu().reduce(op, view(in), view(want));
  emulated().reduce(op, view(in), view(got));
  const double eps = is_floating(in.dtype()) ? eps_of(in.dtype()) : 0;
  const double n = static_cast<double>(length), scale = max_abs(in);
  check_close(got, want, [&](double w) {
    if (op == ReduceOp::Sum) return 2 * eps * std::abs(w) + 4 * n * kEpsD * scale;
    if (op == ReduceOp::Prod) return (2 * eps + 4 * n * kEpsD) * std::abs(w);
    return 0.0;
  });
}

void check_all_ops(const Tensor& in, const std::vector<int>& dims) {
  for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Max, ReduceOp::Min})
    check_reduce(op, in, dims);
}

// The dim subsets of a 3-D tensor: none, each one, each pair, all.
const std::vector<std::vector<int>> kSubsets3 = {{},     {0},    {1},    {2},
                                                 {0, 1}, {0, 2}, {1, 2}, {0, 1, 2}};

// arg_reduce of `in` along dim on both backends: values and indices equal.
void check_arg_reduce(bool is_max, const Tensor& in, int dim) {
  INFO((is_max ? "argmax" : "argmin")
       << " of " << dtype_name(in.dtype()) << " " << shape_str(in.shape()) << " strides "
       << shape_str(in.strides()) << " along " << dim);
  Dims out_shape = in.shape();
  out_shape[dim] = 1;
  const Tensor want_v = empty(out_shape, in.dtype()), want_i = empty(out_shape, kInt64);
  // The indices' output in the reverse layout of the values' (its strides differ from theirs).
  std::vector<int64_t> reversed(out_shape.begin(), out_shape.end()), order;
  std::reverse(reversed.begin(), reversed.end());
  for (int d = out_shape.size() - 1; d >= 0; --d) order.push_back(d);
  const Tensor got_v = full(out_shape, 7, in.dtype()),
               got_i = full(Dims(reversed), -7, kInt64).permute(Dims(order));
  cpu().arg_reduce(is_max, view(in), dim, view(want_v), view(want_i));
  emulated().arg_reduce(is_max, view(in), dim, view(got_v), view(got_i));
  check_close(got_v, want_v, [](double) { return 0.0; });
  CHECK(got_i.to_vector<int64_t>() == want_i.to_vector<int64_t>());
}

// Throws unless fn throws a metagrad::Error whose message contains `text`.
template <typename F>
void check_error(F&& fn, const std::string& text) {
  try {
    fn();
    FAIL("expected an Error containing: " << text);
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find(text) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("cuda reduce: every op over inner, outer, middle, all and no dims", "[cuda][reduce]") {
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor x = normal({37, 53, 29}, dtype, 1);
    // Products of normals under- and overflow over long runs: use values near ±1.
    const Tensor near_one = normal({37, 53, 29}, dtype, 2) * 0.05 + 1.0;
    for (const auto& dims : kSubsets3) {
      check_reduce(ReduceOp::Sum, x, dims);
      check_reduce(ReduceOp::Max, x, dims);
      check_reduce(ReduceOp::Min, x, dims);
      check_reduce(ReduceOp::Prod, near_one, dims);
    }
  }
}

TEST_CASE("cuda reduce: permuted, broadcast and sliced inputs; a strided output",
          "[cuda][reduce]") {
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor permuted = normal({29, 37, 53}, dtype, 3).permute({2, 0, 1});
    const Tensor broadcast = normal({37, 1, 29}, dtype, 4).expand({37, 50, 29});
    const Tensor sliced = normal({37, 20, 58}, dtype, 5).slice(2, 1, std::nullopt, 2);
    for (const auto& dims : kSubsets3) {
      check_all_ops(permuted, dims);
      check_all_ops(broadcast, dims);
      check_all_ops(sliced, dims);
    }
  }
  // An output that is itself a permuted view.
  const Tensor x = normal({40, 30, 20}, kFloat64, 6);
  const Tensor out = full({20, 1, 40}, 7, kFloat64).permute({2, 1, 0});
  check_reduce(ReduceOp::Sum, x, {1}, out);
}

TEST_CASE("cuda reduce: long reductions split into chunks, many outputs in one stage",
          "[cuda][reduce]") {
  for (DType dtype : {kFloat32, kFloat64}) {
    check_all_ops(normal({100000}, dtype, 7) * 0.001 + 1.0, {0});
    const Tensor rows = normal({3, 100000}, dtype, 8);
    check_reduce(ReduceOp::Sum, rows, {1});
    check_reduce(ReduceOp::Max, rows, {1});
    check_reduce(ReduceOp::Sum, rows.permute({1, 0}), {0});
    const Tensor cols = normal({100000, 3}, dtype, 9);
    check_reduce(ReduceOp::Sum, cols, {0});
    check_reduce(ReduceOp::Min, cols, {0});
    check_reduce(ReduceOp::Sum, cols, {1});
    check_reduce(ReduceOp::Sum, cols, {0, 1});
    // Two reduced dims that do not merge: the chunk step has a digit in each.
    const Tensor two = normal({50, 7, 41}, dtype, 10);
    check_all_ops(two, {0, 2});
    check_reduce(ReduceOp::Sum, normal({1000, 1000}, dtype, 11), {0, 1});
    check_reduce(ReduceOp::Sum, normal({64, 3, 2000}, dtype, 12).permute({2, 1, 0}), {0, 2});
    // Three reduced dims that do not merge (kept dims between them): the general loop over a
    // multi-index, in one stage and split into chunks.
    const Tensor three = normal({6, 5, 4, 3, 50}, dtype, 14);
    check_all_ops(three, {0, 2, 4});
    check_all_ops(three.slice(4, 0, 2), {0, 2, 4});
    // A large mean: the sum is still accumulated in double.
    check_reduce(ReduceOp::Sum, normal({200000}, dtype, 13, 1000.0), {0});
  }
}

TEST_CASE("cuda reduce: NaN propagates through max/min and sums", "[cuda][reduce]") {
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor x = with_nans(normal({30, 40}, dtype, 14), 5, 97);
    for (int d : {0, 1}) check_all_ops(x, {d});
    check_all_ops(x, {0, 1});
    const Tensor long_nan = with_nans(normal({100000}, dtype, 15), 77777, 1000000);
    check_reduce(ReduceOp::Max, long_nan, {0});
    check_reduce(ReduceOp::Min, long_nan, {0});
    check_reduce(ReduceOp::Sum, long_nan, {0});
  }
}

TEST_CASE("cuda reduce: int64 and bool (any/all)", "[cuda][reduce]") {
  const Tensor ints = integers({23, 31, 17}, kInt64, -1000, 1000, 16);
  for (const auto& dims : kSubsets3) {
    check_reduce(ReduceOp::Sum, ints, dims);
    check_reduce(ReduceOp::Max, ints, dims);
    check_reduce(ReduceOp::Min, ints, dims);
  }
  check_reduce(ReduceOp::Prod, integers({6, 7, 5}, kInt64, -3, 4, 17), {0, 2});
  check_reduce(ReduceOp::Sum, integers({100000}, kInt64, -1000000, 1000000, 18), {0});
  // Mostly false (any is decided by a few) and mostly true (all by a few).
  const Tensor sparse = eq(integers({40, 700}, kInt64, 0, 500, 19), 0.0);
  const Tensor dense = gt(integers({40, 700}, kInt64, 0, 500, 20), 0.0);
  for (const Tensor& b : {sparse, dense}) {
    for (int d : {0, 1}) {
      check_reduce(ReduceOp::Max, b, {d});
      check_reduce(ReduceOp::Min, b, {d});
    }
    check_reduce(ReduceOp::Max, b.permute({1, 0}), {0, 1});
  }
  check_error(
      [&] {
        emulated().reduce(ReduceOp::Sum, view(sparse), view(empty({1, 700}, kBool)));
      },
      "reduce: sum/prod of a bool tensor needs an int64 conversion first");
}

TEST_CASE("cuda reduce: empty reductions give the identity, empty outputs nothing",
          "[cuda][reduce]") {
  for (DType dtype : {kFloat32, kFloat64, kInt64})
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Max, ReduceOp::Min})
      check_reduce(op, empty({4, 0, 3}, dtype), {1});
  check_reduce(ReduceOp::Max, empty({5, 0}, kBool), {1});
  check_reduce(ReduceOp::Min, empty({5, 0}, kBool), {1});
  check_reduce(ReduceOp::Sum, empty({0, 5}, kFloat32), {1});
}

TEST_CASE("cuda arg_reduce: ties keep the first index, along every dim and layout",
          "[cuda][reduce]") {
  for (DType dtype : {kFloat32, kFloat64, kInt64}) {
    // Few distinct values: ties everywhere.
    const Tensor x = integers({17, 23, 19}, dtype, 0, 4, 21);
    const Tensor permuted = integers({19, 17, 23}, dtype, 0, 4, 22).permute({1, 2, 0});
    for (bool is_max : {true, false}) {
      for (int d : {0, 1, 2}) {
        check_arg_reduce(is_max, x, d);
        check_arg_reduce(is_max, permuted, d);
      }
      // Long dims (chunked): the first of many equal extrema, inner and outer layouts.
      check_arg_reduce(is_max, integers({100000}, dtype, 0, 50, 23), 0);
      check_arg_reduce(is_max, integers({2, 60000}, dtype, -20, 20, 24), 1);
      check_arg_reduce(is_max, integers({60000, 3}, dtype, -20, 20, 25), 0);
      check_arg_reduce(is_max, normal({3, 50000}, kFloat64, 26).permute({1, 0}), 0);
      check_arg_reduce(is_max, full({5, 3000}, 2.0, dtype), 1);
      check_arg_reduce(is_max, normal({5, 1, 4}, kFloat32, 27), 1);
    }
  }
}

TEST_CASE("cuda arg_reduce: NaN wins, the first NaN", "[cuda][reduce]") {
  for (DType dtype : {kFloat32, kFloat64}) {
    const Tensor x = with_nans(normal({20, 300}, dtype, 28), 7, 113);
    const Tensor long_nan = with_nans(normal({100000}, dtype, 29), 31337, 20000);
    for (bool is_max : {true, false}) {
      check_arg_reduce(is_max, x, 0);
      check_arg_reduce(is_max, x, 1);
      check_arg_reduce(is_max, long_nan, 0);
    }
  }
}

TEST_CASE("cuda arg_reduce: the CPU's errors", "[cuda][reduce]") {
  const Tensor b = eq(integers({3, 4}, kInt64, 0, 2, 30), 0.0);
  check_error(
      [&] {
        emulated().arg_reduce(true, view(b), 1, view(empty({3, 1}, kBool)),
                              view(empty({3, 1}, kInt64)));
      },
      "max/min: not supported for bool tensors");
  const Tensor e = empty({3, 0}, kFloat32);
  check_error(
      [&] {
        emulated().arg_reduce(false, view(e), 1, view(empty({3, 1}, kFloat32)),
                              view(empty({3, 1}, kInt64)));
      },
      "max/min: reduction dim 1 has size 0");
}

namespace {

// A [N, C, S] view of `t` (shape [N, S, C], contiguous): channels innermost in memory.
View channels_last(const Tensor& t) {
  return View{t.raw_data(), t.dtype(), Dims{t.shape()[0], t.shape()[2], t.shape()[1]},
              Dims{t.strides()[0], t.strides()[2], t.strides()[1]}};
}

// mean, sum_sq of `in` on both backends, compared.
void check_moments(const View& in, double rtol) {
  const int64_t c = in.shape[1];
  INFO("channel_moments of " << shape_str(in.shape) << " strides " << shape_str(in.strides));
  const Tensor want_m = empty({c}, in.dtype), want_s = empty({c}, in.dtype);
  const Tensor got_m = full({c}, 7, in.dtype),
               got_s = full({2 * c}, 7, in.dtype).slice(0, 0, std::nullopt, 2);
  cpu().channel_moments(in, view(want_m), view(want_s));
  emulated().channel_moments(in, view(got_m), view(got_s));
  check_close(got_m, want_m, [&](double w) { return rtol * (std::abs(w) + 1e-30); });
  check_close(got_s, want_s, [&](double w) { return rtol * std::abs(w); });
}

void check_grad_sums(const View& grad, const View& in, const Tensor& mean, double rtol,
                     double atol) {
  const int64_t c = in.shape[1];
  INFO("channel_grad_sums of " << shape_str(in.shape) << " strides " << shape_str(in.strides)
                               << ", grad strides " << shape_str(grad.strides));
  const Tensor want_g = empty({c}, in.dtype), want_gx = empty({c}, in.dtype);
  const Tensor got_g = full({c}, 7, in.dtype),
               got_gx = full({2 * c}, 7, in.dtype).slice(0, 0, std::nullopt, 2);
  cpu().channel_grad_sums(grad, in, view(mean), view(want_g), view(want_gx));
  emulated().channel_grad_sums(grad, in, view(mean), view(got_g), view(got_gx));
  check_close(got_g, want_g, [&](double w) { return rtol * std::abs(w) + atol; });
  check_close(got_gx, want_gx, [&](double w) { return rtol * std::abs(w) + atol; });
}

}  // namespace

TEST_CASE("cuda channel_moments: contiguous, channels-last and [N, C, 1] views, a large mean",
          "[cuda][reduce][norm]") {
  for (DType dtype : {kFloat32, kFloat64}) {
    const double rtol = dtype == kFloat32 ? 1e-6 : 1e-12;
    const Tensor nchw = normal({8, 5, 37}, dtype, 31);
    check_moments(view(nchw), rtol);
    const Tensor nsc = normal({8, 37, 5}, dtype, 32);
    check_moments(channels_last(nsc), rtol);
    const Tensor nc1 = normal({100000, 3, 1}, dtype, 33);
    check_moments(view(nc1), rtol);
    const Tensor big = normal({16, 3, 4096}, dtype, 34);
    check_moments(view(big), rtol);
    check_moments(channels_last(normal({16, 4096, 3}, dtype, 35)), rtol);
    check_moments(view(normal({4, 1, 1000}, dtype, 36)), rtol);
    // Mean 1e4 against a spread of 1: the two passes keep sum_sq accurate.
    check_moments(view(normal({32, 4, 3000}, dtype, 37, 1e4)), rtol);
    check_moments(channels_last(normal({32, 3000, 4}, dtype, 38, 1e4)), rtol);
  }
}

TEST_CASE("cuda channel_grad_sums: grad and input in different layouts", "[cuda][reduce][norm]") {
  for (DType dtype : {kFloat32, kFloat64}) {
    const double rtol = dtype == kFloat32 ? 1e-6 : 1e-12;
    const Tensor x = normal({8, 37, 5}, dtype, 40, 100.0);
    const Tensor g = normal({8, 5, 37}, dtype, 41);
    const Tensor mean = normal({5}, dtype, 42, 100.0);
    // (sum_gx cancels: tolerate the double rounding of its terms.)
    const double atol = 1e-9;
    check_grad_sums(view(g), channels_last(x), mean, rtol, atol);
    check_grad_sums(channels_last(x), view(g), mean, rtol, atol);
    check_grad_sums(view(g), view(g), mean, rtol, atol);
    const Tensor x1 = normal({100000, 3, 1}, dtype, 43), g1 = normal({100000, 3, 1}, dtype, 44);
    check_grad_sums(view(g1), view(x1), normal({3}, dtype, 45), rtol, atol);
    const Tensor xl = normal({16, 4096, 3}, dtype, 46), gl = normal({16, 3, 4096}, dtype, 47);
    check_grad_sums(view(gl), channels_last(xl), normal({3}, dtype, 48), rtol, atol);
    // A grad with its own batch and channel strides (a slice of a longer spatial dim): no stride of
    // grad equals the input's.
    const Tensor gp = normal({16, 3, 4100}, dtype, 56).slice(2, 0, 4096);
    check_grad_sums(view(gp), channels_last(xl), normal({3}, dtype, 57), rtol, atol);
    // No elements per channel (N or S is 0): the sums are 0.
    for (const Dims& shape : {Dims{2, 3, 0}, Dims{0, 3, 4}}) {
      const Tensor none = empty(shape, dtype);
      check_grad_sums(view(none), view(none), normal({3}, dtype, 49), rtol, atol);
    }
  }
}

TEST_CASE("cuda channel_affine: with and without v, permuted operands", "[cuda][reduce][norm]") {
  for (DType dtype : {kFloat32, kFloat64}) {
    const double rtol = dtype == kFloat32 ? 1e-6 : 1e-14;
    const Tensor u = normal({6, 37, 4}, dtype, 50, 50.0);
    const Tensor v = normal({6, 4, 37}, dtype, 51);
    const Tensor m = normal({4}, dtype, 52, 50.0), a = normal({4}, dtype, 53);
    const Tensor b = normal({8}, dtype, 54).slice(0, 0, std::nullopt, 2),
                 d = normal({4}, dtype, 55);
    const View null_v{nullptr, dtype, Dims{6, 4, 37}, Dims{0, 0, 0}};
    for (bool out_last : {false, true}) {
      for (bool with_v : {true, false}) {
        INFO("out channels-last " << out_last << ", with v " << with_v);
        const Tensor want_buf = empty({6, 4, 37}, dtype);
        const Tensor got_buf = out_last ? full({6, 37, 4}, 7, dtype) : full({6, 4, 37}, 7, dtype);
        const View got = out_last ? channels_last(got_buf) : view(got_buf);
        const View vv = with_v ? view(v) : null_v;
        cpu().channel_affine(channels_last(u), view(m), vv, view(a), view(b), view(d),
                             view(want_buf));
        emulated().channel_affine(channels_last(u), view(m), vv, view(a), view(b), view(d), got);
        const Tensor got_ncs = out_last ? got_buf.permute({0, 2, 1}) : got_buf;
        // u - m cancels terms of size ~100: the rounding of the result is relative to those
        // (and differs with FMA contraction, which the CPU build may use and the kernels do not).
        const double atol = dtype == kFloat32 ? 2e-4 : 1e-11;
        check_close(got_ncs, want_buf, [&](double w) { return rtol * std::abs(w) + atol; });
      }
    }
  }
}

TEST_CASE("cuda norm kernels: the CPU's argument errors", "[cuda][reduce][norm]") {
  const Tensor x = normal({2, 3, 4}, kFloat32, 60);
  check_error(
      [&] {
        emulated().channel_moments(view(x), view(empty({4}, kFloat32)), view(empty({3}, kFloat32)));
      },
      "channel_moments kernel: expected mean to be a float32 view of shape [3], got float32 [4]");
  check_error(
      [&] {
        emulated().channel_moments(view(integers({2, 3, 4}, kInt64, 0, 2, 61)),
                                   view(empty({3}, kInt64)), view(empty({3}, kInt64)));
      },
      "channel_moments kernel: expected a float32 or float64 [N, C, S] view");
}
