// The CUDA backend's fill, copy, unary, binary, where, random and fused Adam kernels against the
// CPU backend: the same entry called on both with the same inputs, over contiguous, permuted,
// broadcast (0-stride) and sliced views of every dtype the CPU allows.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "engine/backend/backend.hpp"
#include "engine/ops.hpp"
#include "tests/cuda/cuda_test_device.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;
using metagrad::testing::CudaTestDevice;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

View view_of(const Tensor& t) { return {t.raw_data(), t.dtype(), t.shape(), t.strides()}; }

Backend& cpu() { return backend_for(kCPU); }

// The shape every layout below produces.
const Dims kShape = {3, 4, 5};

// A strided layout of kShape: the shape of the buffer it is cut from and how it is cut.
struct Layout {
  const char* name;
  Dims base;
  std::function<Tensor(const Tensor&)> cut;
};

std::vector<Layout> layouts() {
  return {
      {"contiguous", {3, 4, 5}, [](const Tensor& t) { return t; }},
      {"permuted",
       {5, 3, 4},
       [](const Tensor& t) {
         return t.permute({1, 2, 0});
       }},
      {"sliced", {3, 7, 6}, [](const Tensor& t) { return t.slice(1, 2, 6).slice(2, 1, 6); }},
      {"broadcast",
       {1, 4, 1},
       [](const Tensor& t) {
         return t.expand({3, 4, 5});
       }},
      {"scalar",
       {1, 1, 1},
       [](const Tensor& t) {
         return t.expand({3, 4, 5});
       }},
  };
}

// Deterministic values for a buffer of n elements of `dtype`: floats in [-3, 3) with NaN, ±inf,
// ±0 and exact integers mixed in when `specials`; int64 in [-9, 9]; bool both ways.
std::vector<double> values(int64_t n, DType dtype, uint64_t seed, bool specials = true) {
  std::vector<double> v(static_cast<size_t>(n));
  uint64_t state = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  const double special[] = {kNaN, kInf, -kInf, 0.0, -0.0, 1.0, -2.0, 0.5};
  for (int64_t i = 0; i < n; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u = static_cast<double>(state >> 11) / 9007199254740992.0;
    double x;
    if (dtype == kInt64) {
      x = std::floor(u * 19) - 9;
    } else if (dtype == kBool) {
      x = u < 0.5 ? 0 : 1;
    } else if (specials && (state >> 7) % 5 == 0) {
      x = special[(state >> 13) % 8];
    } else {
      x = 6 * u - 3;
    }
    v[static_cast<size_t>(i)] = x;
  }
  return v;
}

// A CPU buffer for `layout` and the same values on the CUDA device, both cut by the layout.
struct Operand {
  Tensor cpu, cuda;
};

Operand operand(const Layout& layout, DType dtype, Device device, uint64_t seed,
                bool specials = true) {
  const Tensor base =
      tensor(values(numel_of(layout.base), dtype, seed, specials), layout.base, dtype);
  return {layout.cut(base), layout.cut(base.to(device))};
}

bool same_bits(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
}

// How check_same compares: bit for bit (NaN matching NaN) when rtol and atol are 0, else within
// rtol relative plus atol; `signed_zero` false lets 0 match -0.
struct Tolerance {
  double rtol = 0, atol = 0;
  bool signed_zero = true;
};

// Every element of `got` (any device) matches `want`'s.
void check_same(const Tensor& got, const Tensor& want, Tolerance tol = {}) {
  REQUIRE(got.dtype() == want.dtype());
  REQUIRE(got.shape() == want.shape());
  const std::vector<double> g = got.to(kCPU).to_vector<double>(), w = want.to_vector<double>();
  int bad = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const bool ok = same_bits(g[i], w[i]) || (!tol.signed_zero && g[i] == w[i]) ||
                    std::abs(g[i] - w[i]) <= tol.atol + tol.rtol * std::abs(w[i]);
    if (!ok && bad++ < 5) {
      INFO("element " << i << ": got " << g[i] << ", want " << w[i]);
      CHECK(ok);
    }
  }
  CHECK(bad == 0);
}

// For results of a math library (a few ulp between the host's, Eigen's vectorised functions and
// the device's) in `dtype`.
Tolerance libm(DType dtype) {
  return dtype == kFloat32 ? Tolerance{2e-6, 1e-6} : Tolerance{1e-14, 1e-15};
}

}  // namespace

TEST_CASE("cuda fill: every dtype, strided outputs, values converted as the CPU does",
          "[cuda][elementwise]") {
  CudaTestDevice device;
  for (DType dtype : {kFloat32, kFloat64, kInt64, kBool}) {
    for (const Layout& layout : layouts()) {
      if (std::string(layout.name) == "broadcast" || std::string(layout.name) == "scalar")
        continue;  // outputs never broadcast
      for (double value : {1.5, -2.0, 0.0, kNaN, -kInf}) {
        if (dtype == kInt64 && !std::isfinite(value)) continue;  // undefined conversion
        INFO(dtype_name(dtype) << " " << layout.name << " " << value);
        const Tensor cpu_base = zeros(layout.base, dtype);
        const Tensor cuda_base = zeros(layout.base, TensorOptions(dtype, device.device()));
        cpu().fill(view_of(layout.cut(cpu_base)), value);
        device.backend().fill(view_of(layout.cut(cuda_base)), value);
        check_same(cuda_base, cpu_base);  // the elements outside the view stay zero
      }
    }
  }
}

TEST_CASE("cuda copy: every dtype pair, strided and broadcast sources, strided outputs",
          "[cuda][elementwise]") {
  CudaTestDevice device;
  const DType dtypes[] = {kFloat32, kFloat64, kInt64, kBool};
  for (DType from : dtypes) {
    for (DType to : dtypes) {
      for (const Layout& in : layouts()) {
        for (const Layout& out : {layouts()[0], layouts()[1], layouts()[2]}) {
          INFO(dtype_name(from) << " -> " << dtype_name(to) << ", " << in.name << " into "
                                << out.name);
          // No NaN or inf: their conversion to int64 is undefined.
          const Operand src = operand(in, from, device.device(), 7, false);
          const Tensor cpu_base = zeros(out.base, to);
          const Tensor cuda_base = zeros(out.base, TensorOptions(to, device.device()));
          cpu().copy(view_of(src.cpu), view_of(out.cut(cpu_base)));
          device.backend().copy(view_of(src.cuda), view_of(out.cut(cuda_base)));
          check_same(cuda_base, cpu_base);
        }
      }
    }
  }
  SECTION("NaN, inf and signed zeros between float dtypes and to bool") {
    for (DType from : {kFloat32, kFloat64}) {
      for (DType to : {kFloat32, kFloat64, kBool}) {
        const Operand src = operand(layouts()[1], from, device.device(), 3);
        const Tensor want = empty(kShape, to),
                     got = empty(kShape, TensorOptions(to, device.device()));
        cpu().copy(view_of(src.cpu), view_of(want));
        device.backend().copy(view_of(src.cuda), view_of(got));
        check_same(got, want);
      }
    }
  }
}

TEST_CASE("cuda copy: dense copies between host and device memory (cross-device moves)",
          "[cuda][elementwise]") {
  CudaTestDevice device;
  for (DType dtype : {kFloat32, kFloat64, kInt64, kBool}) {
    const std::vector<double> v = values(1000, dtype, 11);
    const Tensor host = tensor(v, {10, 100}, dtype);
    // Host -> device -> host through the backend entry, with a size-1 dim of odd stride.
    const Tensor on_device = empty({10, 100}, TensorOptions(dtype, device.device()));
    View src = view_of(host);
    device.backend().copy(src, view_of(on_device));
    const Tensor back = empty({10, 1, 100}, dtype);
    View dst = view_of(back);
    dst.strides[1] = 12345;
    View dense_src = view_of(on_device);
    dense_src.shape = {10, 1, 100};
    dense_src.strides = {100, 7, 1};
    device.backend().copy(dense_src, dst);
    check_same(back.reshape({10, 100}), host);
    // And through Tensor::to, which the engine's moves use.
    check_same(host.to(device.device()), host);
  }
}

TEST_CASE("cuda unary: every op on float views, as the CPU computes it", "[cuda][elementwise]") {
  CudaTestDevice device;
  // How a case compares: plain IEEE arithmetic is bit-identical on every device; math-library
  // functions are within a few ulp.
  enum Compare { kExact, kLibm, kUnsignedZero, kSqrt };
  struct Case {
    UnaryOp op;
    UnaryParams params;
    Compare compare;
  };
  const Case cases[] = {
      // The CPU's vectorised negation is 0 - x, so its contiguous rows give 0 for -(0), its
      // strided ones -0; the kernel gives IEEE's -0 everywhere.
      {UnaryOp::Neg, {}, kUnsignedZero},
      {UnaryOp::Abs, {}, kExact},
      {UnaryOp::Sign, {}, kExact},
      {UnaryOp::Exp, {}, kLibm},
      {UnaryOp::Log, {}, kLibm},
      {UnaryOp::Log1p, {}, kLibm},
      // Correctly rounded on the device; the CPU's float32 rows use Eigen's fast-math sqrt (an
      // rsqrt estimate and a Newton step, up to an ulp off, and sqrt(-0) = 0).
      {UnaryOp::Sqrt, {}, kSqrt},
      {UnaryOp::Rsqrt, {}, kLibm},
      {UnaryOp::Square, {}, kExact},
      {UnaryOp::Sin, {}, kLibm},
      {UnaryOp::Cos, {}, kLibm},
      {UnaryOp::Tanh, {}, kLibm},
      {UnaryOp::Sigmoid, {}, kLibm},
      {UnaryOp::Relu, {}, kExact},
      {UnaryOp::Clamp, {-0.5, 0.7, 0}, kExact},
      {UnaryOp::Clamp, {-kInf, 0.25, 0}, kExact},
      {UnaryOp::Clamp, {-1.0, kInf, 0}, kExact},
      {UnaryOp::Clamp, {1.0, -1.0, 0}, kExact},  // lo > hi: hi everywhere but NaN
      {UnaryOp::PowScalar, {2.0, 0, 0}, kExact},
      {UnaryOp::PowScalar, {2.5, 0, 0}, kLibm},
      {UnaryOp::PowScalar, {-1.0, 0, 0}, kLibm},
      {UnaryOp::PowScalar, {3.0, 0, 0}, kLibm},
      {UnaryOp::ScalarPow, {1.7, 0, 0}, kLibm},
      {UnaryOp::ScalarPow, {-2.0, 0, 0}, kLibm},
      {UnaryOp::NanToNum, {0.0, 100.0, -100.0}, kExact},
      {UnaryOp::NanToNum, {-1.0, 3.4e38, -3.4e38}, kExact},
      {UnaryOp::Erf, {}, kLibm},
      {UnaryOp::Expm1, {}, kLibm},
      {UnaryOp::Floor, {}, kExact},
      {UnaryOp::Ceil, {}, kExact},
      {UnaryOp::Round, {}, kExact},
      {UnaryOp::Trunc, {}, kExact},
      {UnaryOp::Tan, {}, kLibm},
      {UnaryOp::Asin, {}, kLibm},
      {UnaryOp::Acos, {}, kLibm},
      {UnaryOp::Atan, {}, kLibm},
      {UnaryOp::Sinh, {}, kLibm},
      {UnaryOp::Cosh, {}, kLibm},
      {UnaryOp::Asinh, {}, kLibm},
      {UnaryOp::Acosh, {}, kLibm},
      {UnaryOp::Atanh, {}, kLibm},
      {UnaryOp::Log2, {}, kLibm},
      {UnaryOp::Log10, {}, kLibm},
      {UnaryOp::Erfc, {}, kLibm},
      {UnaryOp::Erfinv, {}, kLibm},
      {UnaryOp::Lgamma, {}, kLibm},
      {UnaryOp::Digamma, {}, kLibm},
      {UnaryOp::Polygamma, {1.0, 0, 0}, kLibm},
      {UnaryOp::Polygamma, {3.0, 0, 0}, kLibm},
      {UnaryOp::I0, {}, kLibm},
      {UnaryOp::I0e, {}, kLibm},
      {UnaryOp::I1, {}, kLibm},
      {UnaryOp::I1e, {}, kLibm},
      {UnaryOp::K0, {}, kLibm},
      {UnaryOp::K0e, {}, kLibm},
      {UnaryOp::K1, {}, kLibm},
      {UnaryOp::K1e, {}, kLibm},
      {UnaryOp::J0, {}, kLibm},
      {UnaryOp::J1, {}, kLibm},
      {UnaryOp::Y0, {}, kLibm},
      {UnaryOp::Y1, {}, kLibm},
      {UnaryOp::Erfcx, {}, kLibm},
      {UnaryOp::Ndtri, {}, kLibm},
      {UnaryOp::Softplus, {}, kLibm},
      {UnaryOp::Gelu, {}, kLibm},
      {UnaryOp::GeluDerivative, {}, kLibm},
      {UnaryOp::Elu, {0.7, 0, 0}, kLibm},
      {UnaryOp::EluDerivative, {1.3, 0, 0}, kLibm},
      {UnaryOp::LogicalNot, {}, kExact},
  };
  for (DType dtype : {kFloat32, kFloat64}) {
    for (const Case& c : cases) {
      for (const Layout& layout : layouts()) {
        INFO(dtype_name(dtype) << " op " << static_cast<int>(c.op) << " alpha " << c.params.alpha
                               << " " << layout.name);
        const Operand in = operand(layout, dtype, device.device(), 5);
        const DType out_dtype = c.op == UnaryOp::LogicalNot ? kBool : dtype;
        const Tensor want = empty(kShape, out_dtype);
        const Tensor got = empty(kShape, TensorOptions(out_dtype, device.device()));
        // The CPU's Relu keeps NaN on contiguous rows (Eigen's max) but gives 0 on strided ones;
        // the kernel keeps it everywhere, so compare strided Relu against a contiguous input.
        const Tensor cpu_in = c.op == UnaryOp::Relu ? in.cpu.contiguous() : in.cpu;
        cpu().unary(c.op, view_of(cpu_in), view_of(want), c.params);
        device.backend().unary(c.op, view_of(in.cuda), view_of(got), c.params);
        Tolerance tol;
        if (c.compare == kLibm || (c.compare == kSqrt && dtype == kFloat32)) tol = libm(dtype);
        tol.signed_zero = c.compare == kExact || (c.compare == kSqrt && dtype == kFloat64);
        check_same(got, want, tol);
      }
    }
  }
}

TEST_CASE("cuda unary: permuted outputs and in place", "[cuda][elementwise]") {
  CudaTestDevice device;
  const Layout permuted = layouts()[1];
  const Operand in = operand(layouts()[2], kFloat64, device.device(), 9);
  const Tensor want_base = zeros(permuted.base, kFloat64);
  const Tensor got_base = zeros(permuted.base, TensorOptions(kFloat64, device.device()));
  cpu().unary(UnaryOp::Square, view_of(in.cpu), view_of(permuted.cut(want_base)), {});
  device.backend().unary(UnaryOp::Square, view_of(in.cuda), view_of(permuted.cut(got_base)), {});
  check_same(got_base, want_base);
  // out == in.
  cpu().unary(UnaryOp::Neg, view_of(want_base), view_of(want_base), {});
  device.backend().unary(UnaryOp::Neg, view_of(got_base), view_of(got_base), {});
  check_same(got_base, want_base);
}

TEST_CASE("cuda unary: int64 and bool take Neg, Abs, Sign, Square, LogicalNot; others throw",
          "[cuda][elementwise]") {
  CudaTestDevice device;
  for (DType dtype : {kInt64, kBool}) {
    for (UnaryOp op :
         {UnaryOp::Neg, UnaryOp::Abs, UnaryOp::Sign, UnaryOp::Square, UnaryOp::LogicalNot}) {
      for (const Layout& layout : layouts()) {
        INFO(dtype_name(dtype) << " op " << static_cast<int>(op) << " " << layout.name);
        const Operand in = operand(layout, dtype, device.device(), 13);
        const DType out_dtype = op == UnaryOp::LogicalNot ? kBool : dtype;
        const Tensor want = empty(kShape, out_dtype);
        const Tensor got = empty(kShape, TensorOptions(out_dtype, device.device()));
        cpu().unary(op, view_of(in.cpu), view_of(want), {});
        device.backend().unary(op, view_of(in.cuda), view_of(got), {});
        check_same(got, want);
      }
    }
    const Operand in = operand(layouts()[0], dtype, device.device(), 13);
    const Tensor got = empty(kShape, TensorOptions(dtype, device.device()));
    for (UnaryOp op : {UnaryOp::Exp, UnaryOp::Relu, UnaryOp::Clamp, UnaryOp::PowScalar}) {
      const UnaryParams two{2.0, 3.0, 0};  // x ^ 2 is Square on floats only
      REQUIRE_THROWS_WITH(device.backend().unary(op, view_of(in.cuda), view_of(got), two),
                          MG_CONTAINS("is not defined for integer tensors"));
    }
  }
}

TEST_CASE("cuda binary: every op and dtype, broadcast and strided operands",
          "[cuda][elementwise]") {
  CudaTestDevice device;
  const std::vector<Layout> all = layouts();
  for (DType dtype : {kFloat32, kFloat64, kInt64, kBool}) {
    for (int o = 0; o <= static_cast<int>(BinaryOp::LogicalXor); ++o) {
      const auto op = static_cast<BinaryOp>(o);
      const bool integral = dtype == kInt64 || dtype == kBool;
      if (dtype == kBool && !is_predicate(op)) continue;
      const bool special =
          op == BinaryOp::Igamma || op == BinaryOp::Igammac || op == BinaryOp::Zeta;
      const bool float_only = op == BinaryOp::Div || op == BinaryOp::Pow || op == BinaryOp::Atan2 ||
                              op == BinaryOp::Hypot || special;
      if (integral && float_only) continue;
      for (size_t i = 0; i < all.size(); ++i) {
        for (size_t j = 0; j < all.size(); ++j) {
          INFO(dtype_name(dtype) << " op " << o << " " << all[i].name << " x " << all[j].name);
          const Operand a = operand(all[i], dtype, device.device(), 17 + i);
          const Operand b = operand(all[j], dtype, device.device(), 31 + j);
          const DType out_dtype = is_predicate(op) ? kBool : dtype;
          const Tensor want = empty(kShape, out_dtype);
          const Tensor got = empty(kShape, TensorOptions(out_dtype, device.device()));
          cpu().binary(op, view_of(a.cpu), view_of(b.cpu), view_of(want));
          device.backend().binary(op, view_of(a.cuda), view_of(b.cuda), view_of(got));
          if (special) {
            // Series of tens of libm calls: their last-bit differences add up on a GPU.
            check_same(got, want, dtype == kFloat32 ? libm(dtype) : Tolerance{1e-12, 1e-15});
          } else if (op == BinaryOp::Pow || op == BinaryOp::Atan2 || op == BinaryOp::Hypot) {
            check_same(got, want, libm(dtype));
          } else {
            check_same(got, want);
          }
        }
      }
    }
  }
}

TEST_CASE("cuda elementwise: large tensors (many blocks of the grid-stride loop)",
          "[cuda][elementwise]") {
  CudaTestDevice device;
  const Dims shape = {1000, 1100};
  const Tensor a = tensor(values(1000 * 1100, kFloat32, 61), shape, kFloat32);
  const Tensor b = tensor(values(1100, kFloat32, 67), {1, 1100}, kFloat32).expand(shape);
  const Tensor a_dev = a.to(device.device()), b_dev = b.to(device.device());
  const Tensor want = empty(shape, kFloat32),
               got = empty(shape, TensorOptions(kFloat32, device.device()));
  cpu().binary(BinaryOp::Mul, view_of(a), view_of(b), view_of(want));
  device.backend().binary(BinaryOp::Mul, view_of(a_dev), view_of(b_dev), view_of(got));
  check_same(got, want);
  const Tensor want64 = empty({1100, 1000}, kFloat64);
  const Tensor got64 = empty({1100, 1000}, TensorOptions(kFloat64, device.device()));
  cpu().copy(view_of(a.transpose(0, 1)), view_of(want64));
  device.backend().copy(view_of(a_dev.transpose(0, 1)), view_of(got64));
  check_same(got64, want64);
}

TEST_CASE(
    "cuda binary: the CPU's errors for bool arithmetic and integer div, pow, atan2, hypot, "
    "gammainc, gammaincc, zeta",
    "[cuda][elementwise]") {
  CudaTestDevice device;
  const Tensor i64 = zeros(kShape, TensorOptions(kInt64, device.device()));
  const Tensor b = zeros(kShape, TensorOptions(kBool, device.device()));
  REQUIRE_THROWS_WITH(
      device.backend().binary(BinaryOp::Div, view_of(i64), view_of(i64), view_of(i64)),
      "div: integer division is not supported; convert to a float dtype first");
  REQUIRE_THROWS_WITH(
      device.backend().binary(BinaryOp::Pow, view_of(i64), view_of(i64), view_of(i64)),
      "pow: not supported for integer tensors; convert to a float dtype first");
  REQUIRE_THROWS_WITH(
      device.backend().binary(BinaryOp::Atan2, view_of(i64), view_of(i64), view_of(i64)),
      "atan2: not supported for integer tensors; convert to a float dtype first");
  REQUIRE_THROWS_WITH(
      device.backend().binary(BinaryOp::Hypot, view_of(i64), view_of(i64), view_of(i64)),
      "hypot: not supported for integer tensors; convert to a float dtype first");
  REQUIRE_THROWS_WITH(
      device.backend().binary(BinaryOp::Igamma, view_of(i64), view_of(i64), view_of(i64)),
      "gammainc: not supported for integer tensors; convert to a float dtype first");
  REQUIRE_THROWS_WITH(
      device.backend().binary(BinaryOp::Igammac, view_of(i64), view_of(i64), view_of(i64)),
      "gammaincc: not supported for integer tensors; convert to a float dtype first");
  REQUIRE_THROWS_WITH(
      device.backend().binary(BinaryOp::Zeta, view_of(i64), view_of(i64), view_of(i64)),
      "zeta: not supported for integer tensors; convert to a float dtype first");
  REQUIRE_THROWS_WITH(
      device.backend().binary(BinaryOp::Add, view_of(b), view_of(b), view_of(b)),
      "arithmetic on bool tensors is not supported; convert to a numeric dtype first");
  // An int64 remainder by 0 (which the ops reject first) gives 0 on both, never a trap.
  const Tensor want = empty(kShape, kInt64);
  cpu().binary(BinaryOp::Remainder, view_of(zeros(kShape, kInt64)), view_of(zeros(kShape, kInt64)),
               view_of(want));
  device.backend().binary(BinaryOp::Fmod, view_of(i64), view_of(i64), view_of(i64));
  check_same(i64, want);
}

TEST_CASE("cuda where: every dtype, broadcast condition and operands", "[cuda][elementwise]") {
  CudaTestDevice device;
  const std::vector<Layout> all = layouts();
  for (DType dtype : {kFloat32, kFloat64, kInt64, kBool}) {
    for (size_t c = 0; c < all.size(); ++c) {
      for (size_t i = 0; i < all.size(); i += 2) {
        for (size_t j = 1; j < all.size(); j += 2) {
          INFO(dtype_name(dtype) << " cond " << all[c].name << ", " << all[i].name << " : "
                                 << all[j].name);
          const Operand cond = operand(all[c], kBool, device.device(), 41 + c);
          const Operand a = operand(all[i], dtype, device.device(), 43 + i);
          const Operand b = operand(all[j], dtype, device.device(), 47 + j);
          const Tensor want = empty(kShape, dtype);
          const Tensor got = empty(kShape, TensorOptions(dtype, device.device()));
          cpu().where(view_of(cond.cpu), view_of(a.cpu), view_of(b.cpu), view_of(want));
          device.backend().where(view_of(cond.cuda), view_of(a.cuda), view_of(b.cuda),
                                 view_of(got));
          check_same(got, want);
        }
      }
    }
  }
}

TEST_CASE("cuda random: a seed draws the CPU's numbers (uniform and integer bit for bit)",
          "[cuda][elementwise][random]") {
  CudaTestDevice device;
  struct Case {
    RandomKind kind;
    DType dtype;
    double low, high;
  };
  const Case cases[] = {
      {RandomKind::Uniform, kFloat32, -1.0, 3.0}, {RandomKind::Uniform, kFloat64, -1.0, 3.0},
      {RandomKind::Normal, kFloat32, 0.5, 2.0},   {RandomKind::Normal, kFloat64, 0.5, 2.0},
      {RandomKind::Integer, kInt64, -5, 1000003}, {RandomKind::Integer, kFloat64, 0, 10},
      {RandomKind::Integer, kFloat32, 3, 9},      {RandomKind::Uniform, kInt64, 0, 100},
  };
  for (const Case& c : cases) {
    for (uint64_t offset : {uint64_t{0}, uint64_t{12345}, (uint64_t{1} << 32) - 3}) {
      INFO(static_cast<int>(c.kind) << " " << dtype_name(c.dtype) << " offset " << offset);
      const Dims shape = {1001};  // not a multiple of the 4 (or 2) values of a Philox block
      const Tensor want = empty(shape, c.dtype);
      const Tensor got = empty(shape, TensorOptions(c.dtype, device.device()));
      cpu().random(c.kind, view_of(want), 0x5eedULL, offset, c.low, c.high);
      device.backend().random(c.kind, view_of(got), 0x5eedULL, offset, c.low, c.high);
      if (c.kind == RandomKind::Normal) {
        check_same(got, want,
                   c.dtype == kFloat32 ? Tolerance{1e-5, 1e-5} : Tolerance{1e-13, 1e-13});
      } else {
        check_same(got, want);
      }
    }
  }
  // Through the public factories: the same generator state draws the same tensor.
  Generator g_cpu(99), g_cuda(99);
  check_same(rand({7, 9}, TensorOptions(kFloat64, device.device()), &g_cuda),
             rand({7, 9}, kFloat64, &g_cpu));
  check_same(randint(-3, 40, {50}, TensorOptions(kInt64, device.device()), &g_cuda),
             randint(-3, 40, {50}, kInt64, &g_cpu));
}

namespace {

// One tensor of a fused Adam test: host values of g, mu, nu (mu, nu >= 0 where it matters).
struct AdamData {
  DType dtype;
  int64_t n;
  Tensor g, mu, nu;  // on the CPU
};

AdamData adam_data(DType dtype, int64_t n, uint64_t seed) {
  std::vector<double> g = values(n, kFloat64, seed, false),
                      mu = values(n, kFloat64, seed + 1, false),
                      nu = values(n, kFloat64, seed + 2, false);
  for (double& x : nu) x = std::abs(x) * 0.1;
  return {dtype, n, tensor(g, {n}, dtype), tensor(mu, {n}, dtype), tensor(nu, {n}, dtype)};
}

const AdamCoefficients kAdam{
    0.9, 0.999, 1e-8, 1e-10, 1.0 - 0.9 * 0.9 * 0.9, 1.0 - 0.999 * 0.999 * 0.999};

// The fused step in scalar code, operation by operation as Note [fused adam] writes it (no FMA
// contraction, correctly rounded sqrt): what the kernels compute bit for bit in both dtypes. The
// CPU backend matches it bit for bit in float64 only: its float32 rows take Eigen's fast-math
// sqrt (an rsqrt estimate and a Newton step), which may be an ulp off.
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif
template <typename T>
struct AdamReferenceCoef {
  T b1 = static_cast<T>(kAdam.b1), c1 = static_cast<T>(1.0 - kAdam.b1),
    b2 = static_cast<T>(kAdam.b2), c2 = static_cast<T>(1.0 - kAdam.b2),
    bc1 = static_cast<T>(kAdam.bc1), bc2 = static_cast<T>(kAdam.bc2),
    eps_root = static_cast<T>(kAdam.eps_root), eps = static_cast<T>(kAdam.eps),
    two_c2 = static_cast<T>(2.0 * (1.0 - kAdam.b2)),
    two_bc1_bc2 = static_cast<T>(2.0 * kAdam.bc1 * kAdam.bc2);
};

// (mu', nu', u) from (g, mu, nu).
template <typename T>
TensorList adam_forward_reference(const Tensor& g, const Tensor& mu, const Tensor& nu) {
  const AdamReferenceCoef<T> k;
  const std::vector<T> gv = g.to_vector<T>(), mv = mu.to_vector<T>(), vv = nu.to_vector<T>();
  std::vector<double> mo(gv.size()), vo(gv.size()), uo(gv.size());
  for (size_t j = 0; j < gv.size(); ++j) {
    const T m = mv[j] * k.b1 + gv[j] * k.c1;
    const T v = vv[j] * k.b2 + gv[j] * gv[j] * k.c2;
    const T root = std::sqrt(v / k.bc2 + k.eps_root);
    mo[j] = m;
    vo[j] = v;
    uo[j] = m / k.bc1 / (root + k.eps);
  }
  const Dims shape = {static_cast<int64_t>(gv.size())};
  const DType dtype = g.dtype();
  return {tensor(mo, shape, dtype), tensor(vo, shape, dtype), tensor(uo, shape, dtype)};
}

// (dg, dmu, dnu) from (grad_mu, grad_nu, grad_u, g, mu', nu').
template <typename T>
TensorList adam_backward_reference(const TensorList& in) {
  const AdamReferenceCoef<T> k;
  std::vector<std::vector<T>> v;
  for (const Tensor& t : in) v.push_back(t.to_vector<T>());
  const size_t n = v[0].size();
  std::vector<double> dg(n), dm(n), dv(n);
  for (size_t j = 0; j < n; ++j) {
    const T root = std::sqrt(v[5][j] / k.bc2 + k.eps_root);
    const T d = root + k.eps;
    const T total_m = v[0][j] + v[2][j] / (d * k.bc1);
    const T total_n = v[1][j] - v[2][j] * v[4][j] / (d * d * root * k.two_bc1_bc2);
    dg[j] = k.c1 * total_m + k.two_c2 * v[3][j] * total_n;
    dm[j] = k.b1 * total_m;
    dv[j] = k.b2 * total_n;
  }
  const Dims shape = {static_cast<int64_t>(n)};
  const DType dtype = in[0].dtype();
  return {tensor(dg, shape, dtype), tensor(dm, shape, dtype), tensor(dv, shape, dtype)};
}
#if !defined(__clang__) && defined(__GNUC__)
#pragma GCC pop_options
#endif

}  // namespace

TEST_CASE("cuda fused adam forward: one call over many slots of both dtypes, bit for bit",
          "[cuda][elementwise][adam]") {
  CudaTestDevice device;
  const Device dev = device.device();
  std::vector<AdamData> data;
  const int64_t sizes[] = {1000, 0, 1, 7, 4099, 33, 0, 512};
  for (size_t i = 0; i < std::size(sizes); ++i)
    data.push_back(adam_data(i % 3 == 1 ? kFloat32 : kFloat64, sizes[i], 100 + 3 * i));
  const bool in_place = GENERATE(false, true);
  INFO((in_place ? "in place" : "out of place"));
  // Per slot: CPU and device copies of (g, mu, nu) and, out of place, of the three outputs.
  std::vector<TensorList> host(data.size()), dev_t(data.size());
  std::vector<AdamForwardSlot> host_slots, dev_slots;
  for (size_t i = 0; i < data.size(); ++i) {
    const AdamData& d = data[i];
    for (const Tensor& t : {d.g, d.mu, d.nu}) {
      host[i].push_back(t.clone());
      dev_t[i].push_back(t.to(dev));
    }
    for (int k = 0; k < 3 && !in_place; ++k) {
      host[i].push_back(empty({d.n}, d.dtype));
      dev_t[i].push_back(empty({d.n}, TensorOptions(d.dtype, dev)));
    }
    // Outputs (mu_out, nu_out, u_out): in place into (mu, nu, g), else the three new buffers.
    auto slot = [&](const TensorList& t) {
      const Tensor& mu_out = in_place ? t[1] : t[3];
      const Tensor& nu_out = in_place ? t[2] : t[4];
      const Tensor& u_out = in_place ? t[0] : t[5];
      return AdamForwardSlot{d.dtype,           d.n,
                             t[0].raw_data(),   t[1].raw_data(),
                             t[2].raw_data(),   mu_out.raw_data(),
                             nu_out.raw_data(), u_out.raw_data()};
    };
    host_slots.push_back(slot(host[i]));
    dev_slots.push_back(slot(dev_t[i]));
  }
  cpu().adam_forward(kAdam, host_slots.data(), host_slots.size());
  device.backend().adam_forward(kAdam, dev_slots.data(), dev_slots.size());
  for (size_t i = 0; i < data.size(); ++i) {
    INFO("slot " << i << " " << dtype_name(data[i].dtype));
    const AdamData& d = data[i];
    const TensorList want = d.dtype == kFloat32 ? adam_forward_reference<float>(d.g, d.mu, d.nu)
                                                : adam_forward_reference<double>(d.g, d.mu, d.nu);
    // The slot's buffers now hold (u, mu', nu') in place, else (g, mu, nu, mu', nu', u).
    const TensorList got = in_place ? TensorList{dev_t[i][1], dev_t[i][2], dev_t[i][0]}
                                    : TensorList{dev_t[i][3], dev_t[i][4], dev_t[i][5]};
    const TensorList cpu_out = in_place ? TensorList{host[i][1], host[i][2], host[i][0]}
                                        : TensorList{host[i][3], host[i][4], host[i][5]};
    for (size_t k = 0; k < 3; ++k) {
      check_same(got[k], want[k]);
      if (d.dtype == kFloat64) check_same(got[k], cpu_out[k]);
    }
    if (!in_place)
      for (size_t k = 0; k < 3; ++k) check_same(dev_t[i][k], host[i][k]);  // inputs untouched
  }
}

TEST_CASE("cuda fused adam backward: one call over many slots of both dtypes, bit for bit",
          "[cuda][elementwise][adam]") {
  CudaTestDevice device;
  const Device dev = device.device();
  const int64_t sizes[] = {3, 2000, 0, 129, 1};
  std::vector<TensorList> host(std::size(sizes)), dev_t(std::size(sizes));
  std::vector<AdamBackwardSlot> host_slots, dev_slots;
  for (size_t i = 0; i < std::size(sizes); ++i) {
    const DType dtype = i % 2 == 0 ? kFloat64 : kFloat32;
    const int64_t n = sizes[i];
    const AdamData a = adam_data(dtype, n, 200 + 5 * i), b = adam_data(dtype, n, 300 + 5 * i);
    // grad_mu, grad_nu, grad_u, g, mu', nu', then the outputs dg, dmu, dnu.
    for (const Tensor& t : {b.g, b.mu, b.nu, a.g, a.mu, a.nu}) {
      host[i].push_back(t);
      dev_t[i].push_back(t.to(dev));
    }
    for (int k = 0; k < 3; ++k) {
      host[i].push_back(empty({n}, dtype));
      dev_t[i].push_back(empty({n}, TensorOptions(dtype, dev)));
    }
    auto slot = [&](const TensorList& t) {
      return AdamBackwardSlot{dtype,           n,
                              t[0].raw_data(), t[1].raw_data(),
                              t[2].raw_data(), t[3].raw_data(),
                              t[4].raw_data(), t[5].raw_data(),
                              t[6].raw_data(), t[7].raw_data(),
                              t[8].raw_data()};
    };
    host_slots.push_back(slot(host[i]));
    dev_slots.push_back(slot(dev_t[i]));
  }
  cpu().adam_backward(kAdam, host_slots.data(), host_slots.size());
  device.backend().adam_backward(kAdam, dev_slots.data(), dev_slots.size());
  for (size_t i = 0; i < host.size(); ++i) {
    const DType dtype = host[i][0].dtype();
    INFO("slot " << i << " " << dtype_name(dtype));
    const TensorList in(host[i].begin(), host[i].begin() + 6);
    const TensorList want = dtype == kFloat32 ? adam_backward_reference<float>(in)
                                              : adam_backward_reference<double>(in);
    for (size_t k = 0; k < 3; ++k) {
      check_same(dev_t[i][6 + k], want[k]);
      if (dtype == kFloat64) check_same(dev_t[i][6 + k], host[i][6 + k]);
    }
  }
}

TEST_CASE("cuda fused adam: a slot that is not float throws the CPU's message",
          "[cuda][elementwise][adam]") {
  CudaTestDevice device;
  const Tensor t = zeros({4}, TensorOptions(kInt64, device.device()));
  const AdamForwardSlot slot{
      kInt64,       4,           t.raw_data(), t.raw_data(), t.raw_data(), t.raw_data(),
      t.raw_data(), t.raw_data()};
  REQUIRE_THROWS_WITH(device.backend().adam_forward(kAdam, &slot, 1),
                      "fused adam: slot 0 has dtype int64 and 4 elements; expected "
                      "float32/float64 buffers");
}
