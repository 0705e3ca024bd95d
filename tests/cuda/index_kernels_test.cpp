// The CUDA backend's matmul, index and sliding-window kernels against the CPU backend, called at
// the backend level on views over host buffers (the emulated backend runs its kernels on host
// memory), so each case chooses its strides freely.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "cuda/emulated_backend.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::allclose;

namespace {

Backend& cpu() { return backend_for(kCPU); }
Backend& gpu() { return emulated_cuda_backend(); }

// A view of `buffer`'s storage with the given shape and element strides.
View strided(const Tensor& buffer, const Dims& shape, const Dims& strides) {
  return View{buffer.raw_data(), buffer.dtype(), shape, strides};
}
View view_of(const Tensor& t) { return strided(t, t.shape(), t.strides()); }

Tensor normal(const Dims& shape, DType dtype, uint64_t seed) {
  manual_seed(seed);
  return randn(shape, TensorOptions(dtype));
}

// Runs `call(backend, out_view)` on both backends into fresh outputs of `shape` and checks they
// agree within `tol` (relative and absolute).
template <typename Call>
void same_as_cpu(const Dims& shape, DType dtype, double tol, Call&& call) {
  Tensor expected = full(shape, -7.0, TensorOptions(dtype));
  Tensor actual = full(shape, -7.0, TensorOptions(dtype));
  call(cpu(), view_of(expected));
  call(gpu(), view_of(actual));
  CHECK(allclose(actual, expected, tol, tol));
}

// The message of the Error `call(backend)` throws ("" when it throws none).
template <typename Call>
std::string message_of(Backend& backend, Call&& call) {
  try {
    call(backend);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Integers in [low, high) from a fixed sequence, as a tensor of `shape` and `dtype`: exact sums
// in any order, and ties.
Tensor integers(const Dims& shape, int64_t low, int64_t high, DType dtype, uint64_t seed) {
  std::vector<double> values(static_cast<size_t>(numel_of(shape)));
  uint64_t state = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (double& v : values) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<double>(
        low + static_cast<int64_t>((state >> 33) % static_cast<uint64_t>(high - low)));
  }
  return tensor(values, shape, TensorOptions(dtype));
}

ConvGeometry geometry(int64_t h, int64_t w, int64_t k, int64_t stride, int64_t pad,
                      int64_t dilation) {
  ConvGeometry g{k, k, stride, stride, pad, pad, dilation, dilation, 0, 0};
  g.out_h = (h + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
  g.out_w = (w + 2 * pad - dilation * (k - 1) - 1) / stride + 1;
  return g;
}

}  // namespace

// ---- matmul ---------------------------------------------------------------------------------

TEST_CASE("cuda matmul: contiguous, transposed and broadcast operands map onto the GEMM in place",
          "[cuda][matmul]") {
  for (DType dtype : {kFloat64, kFloat32}) {
    const double tol = dtype == kFloat64 ? 1e-12 : 1e-5;
    const int64_t batch = 3, m = 4, k = 5, n = 6;
    Tensor a = normal({batch, m, k}, dtype, 1);
    Tensor b = normal({batch, k, n}, dtype, 2);
    Tensor at = normal({batch, k, m}, dtype, 3);  // read as a transposed [batch, m, k]
    Tensor bt = normal({batch, n, k}, dtype, 4);  // read as a transposed [batch, k, n]
    const View va = view_of(a), vb = view_of(b);
    const View va_t = strided(at, {batch, m, k}, {k * m, 1, m});
    const View vb_t = strided(bt, {batch, k, n}, {n * k, 1, k});
    const Dims out{batch, m, n};
    SECTION("contiguous") {
      same_as_cpu(out, dtype, tol, [&](Backend& be, const View& o) { be.matmul(va, vb, o); });
    }
    SECTION("transposed a, b and both") {
      same_as_cpu(out, dtype, tol, [&](Backend& be, const View& o) { be.matmul(va_t, vb, o); });
      same_as_cpu(out, dtype, tol, [&](Backend& be, const View& o) { be.matmul(va, vb_t, o); });
      same_as_cpu(out, dtype, tol, [&](Backend& be, const View& o) { be.matmul(va_t, vb_t, o); });
    }
    SECTION("broadcast batch: size 1 and stride 0") {
      const View a1 = strided(a, {1, m, k}, {m * k, k, 1});
      const View b0 = strided(b, {batch, k, n}, {0, n, 1});
      const View b0_t = strided(bt, {batch, k, n}, {0, 1, k});
      same_as_cpu(out, dtype, tol, [&](Backend& be, const View& o) { be.matmul(a1, vb, o); });
      same_as_cpu(out, dtype, tol, [&](Backend& be, const View& o) { be.matmul(va, b0, o); });
      same_as_cpu(out, dtype, tol, [&](Backend& be, const View& o) { be.matmul(a1, b0_t, o); });
    }
    SECTION("row padding: a leading dimension above the matrix width") {
      Tensor wide = normal({batch, m, k + 3}, dtype, 5);
      const View a_pad = strided(wide, {batch, m, k}, {m * (k + 3), k + 3, 1});
      same_as_cpu(out, dtype, tol, [&](Backend& be, const View& o) { be.matmul(a_pad, vb, o); });
    }
  }
}

TEST_CASE("cuda matmul: size-1 dims may carry any stride", "[cuda][matmul]") {
  const double tol = 1e-12;
  Tensor buf = normal({400}, kFloat64, 6);
  SECTION("m = 1 with a zero or odd row stride; n = 1 with an odd column stride") {
    const View a_row0 = strided(buf, {2, 1, 5}, {7, 0, 1});      // m = 1, row stride 0
    const View a_row_odd = strided(buf, {2, 1, 5}, {50, 3, 1});  // m = 1, row stride below k
    const View b_col = strided(buf, {2, 5, 1}, {11, 1, 99});     // n = 1, column stride 99
    const View b = strided(buf, {2, 5, 4}, {20, 4, 1});
    const View a = strided(buf, {2, 3, 5}, {15, 5, 1});
    same_as_cpu({2, 1, 4}, kFloat64, tol,
                [&](Backend& be, const View& o) { be.matmul(a_row0, b, o); });
    same_as_cpu({2, 1, 4}, kFloat64, tol,
                [&](Backend& be, const View& o) { be.matmul(a_row_odd, b, o); });
    same_as_cpu({2, 3, 1}, kFloat64, tol,
                [&](Backend& be, const View& o) { be.matmul(a, b_col, o); });
    same_as_cpu({2, 1, 1}, kFloat64, tol,
                [&](Backend& be, const View& o) { be.matmul(a_row0, b_col, o); });
  }
  SECTION("a row vector with a non-unit column stride is used transposed, not copied") {
    const View a_strided_row = strided(buf, {2, 1, 5}, {40, 1, 3});  // m = 1, k stride 3
    const View b_strided_row = strided(buf, {1, 1, 6}, {0, 1, 4});   // k = 1, n stride 4
    const View a = strided(buf, {2, 3, 1}, {3, 1, 1});
    const View b = strided(buf, {2, 5, 4}, {20, 4, 1});
    same_as_cpu({2, 1, 4}, kFloat64, tol,
                [&](Backend& be, const View& o) { be.matmul(a_strided_row, b, o); });
    same_as_cpu({2, 3, 6}, kFloat64, tol,
                [&](Backend& be, const View& o) { be.matmul(a, b_strided_row, o); });
  }
  SECTION("k = 1") {
    const View a = strided(buf, {2, 3, 1}, {3, 1, 17});
    const View b = strided(buf, {2, 1, 4}, {4, 0, 1});
    same_as_cpu({2, 3, 4}, kFloat64, tol, [&](Backend& be, const View& o) { be.matmul(a, b, o); });
  }
}

// These need the copy (and fill) kernels of the memory family.
TEST_CASE(
    "cuda matmul: operands with no unit stride or an invalid leading dimension are copied; "
    "k = 0 gives zeros",
    "[cuda][matmul][copy]") {
  const double tol = 1e-12;
  Tensor buf = normal({600}, kFloat64, 7);
  const View a = strided(buf, {2, 3, 4}, {12, 4, 1});
  const View b = strided(buf, {2, 4, 5}, {20, 5, 1});
  SECTION("sliced: non-unit inner strides") {
    const View a_sliced = strided(buf, {2, 3, 4}, {40, 10, 2});
    const View b_sliced = strided(buf, {2, 4, 5}, {60, 15, 3});
    same_as_cpu({2, 3, 5}, kFloat64, tol,
                [&](Backend& be, const View& o) { be.matmul(a_sliced, b, o); });
    same_as_cpu({2, 3, 5}, kFloat64, tol,
                [&](Backend& be, const View& o) { be.matmul(a, b_sliced, o); });
    const View b_sliced_bcast = strided(buf, {2, 4, 5}, {0, 15, 3});
    same_as_cpu({2, 3, 5}, kFloat64, tol,
                [&](Backend& be, const View& o) { be.matmul(a_sliced, b_sliced_bcast, o); });
  }
  SECTION("unit stride but overlapping rows (a broadcast row) cannot be a leading dimension") {
    const View a_bcast_rows = strided(buf, {2, 3, 4}, {4, 0, 1});
    const View b_bcast_cols = strided(buf, {2, 4, 5}, {4, 1, 0});
    same_as_cpu({2, 3, 5}, kFloat64, tol,
                [&](Backend& be, const View& o) { be.matmul(a_bcast_rows, b, o); });
    same_as_cpu({2, 3, 5}, kFloat64, tol,
                [&](Backend& be, const View& o) { be.matmul(a, b_bcast_cols, o); });
  }
  SECTION("k = 0") {
    const View a0 = strided(buf, {2, 3, 0}, {0, 0, 1});
    const View b0 = strided(buf, {2, 0, 5}, {0, 5, 1});
    same_as_cpu({2, 3, 5}, kFloat64, 0.0,
                [&](Backend& be, const View& o) { be.matmul(a0, b0, o); });
  }
}

TEST_CASE("cuda matmul: the CPU's errors", "[cuda][matmul]") {
  Tensor a = normal({2, 3, 4}, kFloat64, 8), b = normal({2, 5, 5}, kFloat64, 9);
  Tensor o = empty({2, 3, 5}, kFloat64);
  auto bad_shapes = [&](Backend& be) { be.matmul(view_of(a), view_of(b), view_of(o)); };
  const std::string expected = message_of(cpu(), bad_shapes);
  CHECK(expected.find("do not form a batched matrix product") != std::string::npos);
  CHECK(message_of(gpu(), bad_shapes) == expected);
  Tensor ai = zeros({2, 3, 4}, kInt64), bi = zeros({2, 4, 5}, kInt64),
         oi = empty({2, 3, 5}, kInt64);
  auto ints = [&](Backend& be) { be.matmul(view_of(ai), view_of(bi), view_of(oi)); };
  CHECK(message_of(gpu(), ints) == message_of(cpu(), ints));
}

// ---- gather / scatter_add / index_select / index_add -------------------------------------

TEST_CASE("cuda gather and index_select: every dim, non-contiguous input, every dtype",
          "[cuda][index]") {
  Tensor base = normal({4, 5, 6}, kFloat64, 10);
  const View in = strided(base, {4, 5, 3}, {30, 6, 2});  // every other column
  for (int dim = 0; dim < 3; ++dim) {
    const int64_t size = in.shape[dim];
    Tensor index = integers({3, 4, 2}, 0, size, kInt64, 30 + dim);
    same_as_cpu({3, 4, 2}, kFloat64, 0.0,
                [&](Backend& be, const View& o) { be.gather(in, dim, view_of(index), o); });
    // A permuted index and output.
    Tensor index_t = index.transpose(0, 2).contiguous().transpose(0, 2);
    Tensor out_cpu = empty({2, 4, 3}, kFloat64).transpose(0, 2);
    Tensor out_gpu = empty({2, 4, 3}, kFloat64).transpose(0, 2);
    cpu().gather(in, dim, view_of(index_t), view_of(out_cpu));
    gpu().gather(in, dim, view_of(index_t), view_of(out_gpu));
    CHECK(allclose(out_gpu, out_cpu, 0.0, 0.0));

    Tensor sel = tensor({static_cast<double>(size - 1), 0, 1, 0}, kInt64);
    Dims out_shape = in.shape;
    out_shape[dim] = 4;
    same_as_cpu(out_shape, kFloat64, 0.0,
                [&](Backend& be, const View& o) { be.index_select(in, dim, view_of(sel), o); });
    // A strided 1-D index.
    Tensor sel_wide = tensor({2, 9, 0, 9, 1, 9, 0, 9}, kInt64);
    const View sel_strided = strided(sel_wide, {4}, {2});
    same_as_cpu(out_shape, kFloat64, 0.0,
                [&](Backend& be, const View& o) { be.index_select(in, dim, sel_strided, o); });
  }
  for (DType dtype : {kFloat32, kInt64, kBool}) {
    Tensor x = integers({3, 4}, -3, 4, dtype, 11);
    Tensor index = tensor({3, 0, 0, 2, 1, 1}, {3, 2}, kInt64);
    same_as_cpu({3, 2}, dtype, 0.0,
                [&](Backend& be, const View& o) { be.gather(view_of(x), 1, view_of(index), o); });
    same_as_cpu({3, 6}, dtype, 0.0, [&](Backend& be, const View& o) {
      be.index_select(view_of(x), 1, view_of(index.reshape({6})), o);
    });
  }
}

TEST_CASE("cuda scatter_add and index_add: repeated indices accumulate", "[cuda][index]") {
  for (DType dtype : {kFloat64, kFloat32, kInt64, kBool}) {
    // Integer values: sums are exact whatever order the atomics take.
    Tensor src = integers({4, 3}, -4, 5, dtype, 12);
    Tensor index = tensor({0, 2, 0, 0, 2, 0, 1, 1, 1, 0, 0, 0}, {4, 3}, kInt64);
    Tensor init = integers({3, 3}, -4, 5, dtype, 13);
    if (dtype == kBool) init = zeros({3, 3}, kBool);
    for (int dim = 0; dim < 2; ++dim) {
      Tensor dim_index = dim == 0 ? index : index.slice(0, 0, 3);
      Tensor out_cpu = init.clone(), out_gpu = init.clone();
      const View s = dim == 0 ? view_of(src) : strided(src, {3, 3}, {3, 1});
      cpu().scatter_add(view_of(out_cpu), dim, view_of(dim_index), s);
      gpu().scatter_add(view_of(out_gpu), dim, view_of(dim_index), s);
      CHECK(allclose(out_gpu, out_cpu, 0.0, 0.0));
    }
    Tensor sel = tensor({1, 1, 0, 1}, kInt64);
    Tensor out_cpu = init.slice(0, 0, 2).clone(), out_gpu = out_cpu.clone();
    // src [4, 3] added into rows 1, 1, 0, 1 of a [2, 3] output (dim 0), then along dim 1.
    cpu().index_add(view_of(out_cpu), 0, view_of(sel), view_of(src));
    gpu().index_add(view_of(out_gpu), 0, view_of(sel), view_of(src));
    CHECK(allclose(out_gpu, out_cpu, 0.0, 0.0));
    Tensor cols_cpu = init.clone(), cols_gpu = init.clone();
    const View src_t = strided(src, {3, 4}, {1, 3});  // src transposed: [3, 4]
    cpu().index_add(view_of(cols_cpu), 1, view_of(sel), src_t);
    gpu().index_add(view_of(cols_gpu), 1, view_of(sel), src_t);
    CHECK(allclose(cols_gpu, cols_cpu, 0.0, 0.0));
  }
  SECTION("float sums in any order agree within rounding") {
    Tensor src = normal({1000}, kFloat64, 14);
    Tensor index = integers({1000}, 0, 7, kInt64, 31);
    Tensor out_cpu = zeros({7}, kFloat64), out_gpu = zeros({7}, kFloat64);
    cpu().scatter_add(view_of(out_cpu), 0, view_of(index), view_of(src));
    gpu().scatter_add(view_of(out_gpu), 0, view_of(index), view_of(src));
    CHECK(allclose(out_gpu, out_cpu, 1e-12, 1e-12));
  }
}

TEST_CASE("cuda index ops: an index out of bounds throws the CPU's message", "[cuda][index]") {
  Tensor x = normal({3, 4}, kFloat64, 15);
  Tensor out = zeros({3, 4}, kFloat64);
  for (double bad : {4.0, -1.0}) {
    Tensor index = tensor({0, 1, bad, 2}, {1, 4}, kInt64);
    Tensor sel = tensor({0, bad}, kInt64);
    Tensor src = ones({1, 4}, kFloat64);
    Tensor src2 = ones({3, 2}, kFloat64);
    Tensor good = tensor({0, 1, 3, 2}, {1, 4}, kInt64);
    Tensor got = empty({1, 4}, kFloat64), got2 = empty({3, 2}, kFloat64);
    const std::vector<std::function<void(Backend&)>> calls = {
        [&](Backend& be) { be.gather(view_of(x), 1, view_of(index), view_of(got)); },
        [&](Backend& be) { be.scatter_add(view_of(out), 1, view_of(index), view_of(src)); },
        [&](Backend& be) { be.index_select(view_of(x), 1, view_of(sel), view_of(got2)); },
        [&](Backend& be) { be.index_add(view_of(out), 1, view_of(sel), view_of(src2)); },
    };
    for (const auto& call : calls) {
      const std::string expected = message_of(cpu(), call);
      CHECK(expected.find("is out of bounds for dimension 1 with size 4") != std::string::npos);
      // A kernel's error surfaces at the backend's next synchronisation point, naming the op.
      const std::string reported = message_of(gpu(), [&](Backend& be) {
        call(be);
        be.synchronize();
      });
      INFO(reported << " vs " << expected);
      CHECK(reported.rfind(expected, 0) == 0);
      CHECK(reported.find("found by a CUDA kernel") != std::string::npos);
      CHECK(message_of(gpu(), [&](Backend& be) {
              be.gather(view_of(x), 1, view_of(good), view_of(got));
            }) == "");  // the error slot was cleared
    }
  }
  SECTION("an index is validated even when nothing is selected") {
    Tensor empty_rows = zeros({0, 4}, kFloat64);
    Tensor sel = tensor({5}, kInt64);
    Tensor got = empty({0, 1}, kFloat64);
    auto call = [&](Backend& be) {
      be.index_select(view_of(empty_rows), 1, view_of(sel), view_of(got));
    };
    auto synchronized_call = [&](Backend& be) {
      call(be);
      be.synchronize();
    };
    const std::string expected = message_of(cpu(), call);
    CHECK(expected != "");
    CHECK(message_of(gpu(), synchronized_call).rfind(expected, 0) == 0);
  }
  SECTION("a non-int64 index") {
    Tensor index = zeros({1, 4}, kFloat64);
    Tensor got = empty({1, 4}, kFloat64);
    auto call = [&](Backend& be) { be.gather(view_of(x), 1, view_of(index), view_of(got)); };
    CHECK(message_of(gpu(), call) == message_of(cpu(), call));
  }
}

// ---- unfold / fold / max_pool2d_indices --------------------------------------------------

TEST_CASE("cuda unfold and fold: stride, padding, dilation, non-contiguous views", "[cuda][conv]") {
  const int64_t n = 2, c = 3, h = 7, w = 6;
  for (DType dtype : {kFloat64, kFloat32}) {
    Tensor base = normal({n, h, w, c}, dtype, 16);  // channels last: a permuted image
    const View image = strided(base, {n, c, h, w}, {h * w * c, 1, w * c, c});
    for (const ConvGeometry& g : {geometry(h, w, 3, 2, 1, 1), geometry(h, w, 2, 1, 1, 2),
                                  geometry(h, w, 3, 2, 1, 2), geometry(h, w, 1, 1, 0, 1)}) {
      const Dims cols{n, c * g.kernel_h * g.kernel_w, g.out_h * g.out_w};
      same_as_cpu(cols, dtype, 0.0,
                  [&](Backend& be, const View& o) { be.unfold(image, o, g, -2.5); });
      // fold from a transposed column buffer into a permuted image.
      Tensor col_base = normal({n, cols[2], cols[1]}, dtype, 17);
      const View columns = strided(col_base, cols, {cols[1] * cols[2], 1, cols[1]});
      Tensor out_cpu = full({n, h, w, c}, 9.0, TensorOptions(dtype));
      Tensor out_gpu = full({n, h, w, c}, 9.0, TensorOptions(dtype));
      cpu().fold(columns, strided(out_cpu, {n, c, h, w}, image.strides), g);
      gpu().fold(columns, strided(out_gpu, {n, c, h, w}, image.strides), g);
      CHECK(allclose(out_gpu, out_cpu, 0.0, 0.0));  // same order of additions
    }
  }
}

TEST_CASE("cuda fold is the adjoint of unfold", "[cuda][conv]") {
  const int64_t n = 2, c = 2, h = 6, w = 7;
  for (const ConvGeometry& g : {geometry(h, w, 3, 2, 1, 2), geometry(h, w, 3, 1, 2, 1)}) {
    Tensor x = normal({n, c, h, w}, kFloat64, 18);
    Tensor y = normal({n, c * g.kernel_h * g.kernel_w, g.out_h * g.out_w}, kFloat64, 19);
    Tensor ux = empty(y.shape(), kFloat64), fy = empty(x.shape(), kFloat64);
    gpu().unfold(view_of(x), view_of(ux), g, 0.0);
    gpu().fold(view_of(y), view_of(fy), g);
    const double lhs = (ux * y).sum().item<double>(), rhs = (x * fy).sum().item<double>();
    CHECK(std::abs(lhs - rhs) <= 1e-10 * (1 + std::abs(lhs)));
  }
}

TEST_CASE("cuda unfold and fold: the CPU's errors", "[cuda][conv]") {
  Tensor x = normal({1, 2, 5, 5}, kFloat64, 20);
  const ConvGeometry g = geometry(5, 5, 3, 1, 0, 1);
  Tensor wrong = empty({1, 17, 9}, kFloat64);
  auto call = [&](Backend& be) { be.unfold(view_of(x), view_of(wrong), g, 0.0); };
  CHECK(message_of(gpu(), call) == message_of(cpu(), call));
  CHECK(message_of(gpu(), call) != "");
}

TEST_CASE("cuda max_pool2d_indices: ties keep the first, NaN wins, padding never wins",
          "[cuda][conv]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (DType dtype : {kFloat64, kFloat32}) {
    // Negative values with padding 1: a padded zero would win if padding took part.
    Tensor ties = tensor({-3, -1, -1, -2,  //
                          -1, -5, -4, -1,  //
                          -2, -1, -9, -7,  //
                          -8, -6, -6, -6},
                         {1, 1, 4, 4}, TensorOptions(dtype));
    Tensor with_nan = tensor({1, nan, 3, 0,  //
                              5, 9, nan, 2,  //
                              7, 7, 1, 1,    //
                              0, 8, 8, nan},
                             {1, 1, 4, 4}, TensorOptions(dtype));
    for (const Tensor& x : {ties, with_nan}) {
      for (const ConvGeometry& g : {geometry(4, 4, 2, 2, 0, 1), geometry(4, 4, 3, 1, 1, 1),
                                    geometry(4, 4, 2, 1, 1, 2), geometry(4, 4, 3, 2, 1, 1)}) {
        same_as_cpu({1, 1, g.out_h * g.out_w}, kInt64, 0.0,
                    [&](Backend& be, const View& o) { be.max_pool2d_indices(view_of(x), o, g); });
      }
    }
  }
  SECTION("a non-contiguous batch of random images") {
    Tensor base = integers({2, 9, 8, 3}, -3, 3, kFloat32, 21);  // many ties
    const View image = strided(base, {2, 3, 9, 8}, {9 * 8 * 3, 1, 8 * 3, 3});
    const ConvGeometry g = geometry(9, 8, 3, 2, 1, 1);
    same_as_cpu({2, 3, g.out_h * g.out_w}, kInt64, 0.0,
                [&](Backend& be, const View& o) { be.max_pool2d_indices(image, o, g); });
  }
}
