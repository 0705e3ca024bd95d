// The CPU backend's vectorized remainder, fmod and float tan, erf, gelu, expm1, sinh, cosh,
// sigmoid, elu and log1p (engine/backend/remainder_functions.hpp, engine/backend/cpu/float_tan.hpp,
// float_erf.hpp, float_exp_family.hpp, float_log1p.hpp):
// remainders bit for bit what the C library's fmod gives (and PyTorch's remainder built on it),
// signed zeros included, on the exact double path, the fmod fallback for large quotients and the
// strided path; each float32 function within one unit in the last place of
// the correctly rounded value (and equal to it nearly everywhere), near the poles, in the tails and
// past the reduction bound too.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::noncontiguous;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor of(const std::vector<double>& values, DType dtype) {
  return tensor(values, {static_cast<int64_t>(values.size())}, kFloat64).to(dtype);
}

// C's fmod in T, and PyTorch's remainder kernel on top of it (the fmod moved by b when the signs
// differ).
template <typename T>
T c_fmod(T a, T b) {
  return std::fmod(a, b);
}
template <typename T>
T torch_remainder(T a, T b) {
  T r = std::fmod(a, b);
  if (r != 0 && ((b < 0) != (r < 0))) r += b;
  return r;
}

// Bit-identical, or both NaN.
template <typename T>
bool same_bits(T got, T want) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  return (std::isnan(got) && std::isnan(want)) ||
         std::bit_cast<Bits>(got) == std::bit_cast<Bits>(want);
}

// Dividends and divisors whose quotients sit on, next to and between integers, from 0 to about a
// million, over divisors of every sign and many binades; then edges: zero dividends of both
// signs, a zero divisor, infinities, NaN.
template <typename T>
void remainder_operands(std::vector<double>& a, std::vector<double>& b) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> exponent(-40, 40);
  std::uniform_real_distribution<double> mantissa(0.5, 1.0), fraction(-4.0, 4.0);
  std::uniform_int_distribution<int64_t> multiple(-1000000, 1000000);
  for (int i = 0; i < 6000; ++i) {
    const T divisor = static_cast<T>(std::ldexp(mantissa(rng), exponent(rng)) * (i % 2 ? 1 : -1));
    T dividend = i % 3 == 0 ? static_cast<T>(divisor * fraction(rng))
                            : static_cast<T>(divisor * static_cast<T>(multiple(rng)));
    if (i % 3 == 1) dividend = std::nextafter(dividend, T(i % 4 < 2 ? 1e30 : -1e30));
    a.push_back(dividend);
    b.push_back(divisor);
  }
  for (double x : {0.0, -0.0, 3.5, -3.5, 7.0, -7.0, kInf, -kInf, kNaN, 1e-30, -2.5e-30}) {
    for (double y : {0.7, -0.7, 0.5, -1.75, 0.0, kInf, kNaN}) {
      a.push_back(x);
      b.push_back(y);
    }
  }
}

template <typename T>
void check_remainders(const Tensor& a, const Tensor& b) {
  const std::vector<T> x = a.to_vector<T>(), y = b.expand(a.shape()).to_vector<T>();
  const std::vector<T> floored = remainder(a, b).template to_vector<T>();
  const std::vector<T> truncated = fmod(a, b).template to_vector<T>();
  int64_t mismatches = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const bool ok = same_bits(floored[i], torch_remainder(x[i], y[i])) &&
                    same_bits(truncated[i], c_fmod(x[i], y[i]));
    if (!ok && ++mismatches <= 5) {
      INFO("remainder(" << x[i] << ", " << y[i] << ") = " << floored[i] << " (want "
                        << torch_remainder(x[i], y[i]) << "), fmod = " << truncated[i] << " (want "
                        << c_fmod(x[i], y[i]) << ")");
      CHECK(ok);
    }
  }
  CHECK(mismatches == 0);
}

// The distance in units in the last place between two finite floats of the same sign.
int64_t ulps_apart(float got, float want) {
  return std::abs(int64_t(std::bit_cast<int32_t>(got)) - int64_t(std::bit_cast<int32_t>(want)));
}

// Every path of the remainder kernels in T: contiguous rows, strided operands, a broadcast
// divisor, and a row where one large quotient sends the whole row to fmod.
template <typename T>
void check_remainder_paths(DType dtype) {
  std::vector<double> a, b;
  remainder_operands<T>(a, b);
  const Tensor x = of(a, dtype), y = of(b, dtype);
  check_remainders<T>(x, y);
  check_remainders<T>(noncontiguous(x), noncontiguous(y));
  std::vector<double> rows(a.begin(), a.begin() + 4000);
  rows[1234] = 1e30;
  check_remainders<T>(of(rows, dtype).reshape({2, 2000}), of({0.7}, dtype));
  check_remainders<T>(of(rows, dtype).reshape({2, 2000}), of({-0.3}, dtype));
}

// tan of float32 `args` within one ulp of the correctly rounded value (tan in double, rounded),
// and equal to it for all but one in `exact_share_missed` of them.
void check_float_tan(const Tensor& args, int64_t exact_share_missed) {
  const std::vector<float> in = args.to_vector<float>();
  const std::vector<float> got = tan(args).to_vector<float>();
  int64_t exact = 0, finite = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!std::isfinite(in[i])) {
      CHECK(std::isnan(got[i]));
      continue;
    }
    if (in[i] == 0.0f) {
      CHECK(same_bits(got[i], in[i]));  // tan(±0) = ±0
      continue;
    }
    const float want = static_cast<float>(std::tan(static_cast<double>(in[i])));
    ++finite;
    exact += got[i] == want;
    const bool close = std::signbit(got[i]) == std::signbit(want) && ulps_apart(got[i], want) <= 1;
    if (!close) {
      INFO("tan(" << in[i] << ") = " << got[i] << ", want " << want);
      CHECK(close);
    }
  }
  CHECK(exact >= finite - finite / exact_share_missed);
}

// float32 results `got` of a function whose correctly rounded values are `want` (the function in
// long double, rounded): the same bits at zeros, infinities and NaNs, elsewhere within one ulp and
// equal for all but one in `exact_share_missed`.
void check_float_rounding(const std::vector<float>& in, const std::vector<float>& got,
                          const std::vector<float>& want, int64_t exact_share_missed) {
  REQUIRE(got.size() == want.size());
  int64_t exact = 0, finite = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("x = " << in[i] << ": " << got[i] << ", want " << want[i]);
    if (!std::isfinite(want[i]) || want[i] == 0.0f) {
      CHECK((same_bits(got[i], want[i]) || (std::isnan(got[i]) && std::isnan(want[i]))));
      continue;
    }
    ++finite;
    exact += got[i] == want[i];
    CHECK((std::signbit(got[i]) == std::signbit(want[i]) && ulps_apart(got[i], want[i]) <= 1));
  }
  CHECK(exact >= finite - finite / exact_share_missed);
}

// op of float32 `args`, contiguous and strided, against `reference` in long double rounded to
// float, as check_float_rounding.
template <typename Op, typename Reference>
void check_float_unary(const std::vector<double>& args, Op op, Reference reference) {
  const Tensor x = of(args, kFloat32);
  const std::vector<float> in = x.to_vector<float>();
  std::vector<float> want;
  for (float f : in) want.push_back(static_cast<float>(reference(static_cast<long double>(f))));
  for (const Tensor& input : {x, noncontiguous(x)}) {
    const Tensor y = op(input);
    check_float_rounding(in, y.to_vector<float>(), want, 10000);
  }
}

}  // namespace

TEST_CASE("float32 remainder and fmod give fmod's bits on every path", "[vectorized_kernels]") {
  check_remainder_paths<float>(kFloat32);
}

TEST_CASE("float64 remainder and fmod give fmod's bits on every path", "[vectorized_kernels]") {
  check_remainder_paths<double>(kFloat64);
}

TEST_CASE("float32 tan is within one ulp of the correctly rounded value", "[vectorized_kernels]") {
  // Nearest floats to multiples of pi/2 (where tan has a pole or a zero and the reduction loses
  // the most digits) and their neighbours, and a sweep over (-100, 100).
  std::vector<double> args;
  for (int64_t k = -200000; k <= 200000; k += 37) {
    float x = static_cast<float>(static_cast<double>(k) * (std::numbers::pi / 2));
    x = std::nextafter(std::nextafter(x, -INFINITY), -INFINITY);
    for (int step = 0; step < 5; ++step, x = std::nextafter(x, INFINITY)) args.push_back(x);
  }
  for (int i = 0; i < 20000; ++i) args.push_back(-100.0 + 0.01 * i + 1e-4);
  for (double x : {0.0, -0.0, 1e-40, -3e-39, kNaN}) args.push_back(x);
  const Tensor x = of(args, kFloat32);
  // The vectorized kernel: correctly rounded but for a few in a hundred thousand.
  check_float_tan(x, 10000);
  // A strided tensor, and rows with arguments past the reduction bound of 2^20 or infinite, take
  // tanf (within one ulp, and about one in a hundred of these near poles off the rounded value).
  check_float_tan(noncontiguous(x), 20);
  check_float_tan(of({0.5, 3e6, -7.5e7, 1e30, 1.0, kInf, -kInf, 1e6, -1e6}, kFloat32), 1);
}

TEST_CASE("log(1 + e^x) is one exact pass at every magnitude, with gradient sigmoid(x)",
          "[vectorized_kernels]") {
  // softplus with no threshold is -log_sigmoid(-x). Against log1p(exp(x)) in long double, over
  // the range where e^-|x| is normal and past it (subnormal, 0), both signs, and the edges.
  std::vector<double> args;
  for (int i = 0; i < 4000; ++i) args.push_back(-60.0 + 0.03 * i + 1e-3);
  for (double x :
       {-1000.0, -745.5, -120.0, -90.0, 0.0, -0.0, 88.0, 710.0, 1e300, kInf, -kInf, kNaN})
    args.push_back(x);
  for (const DType dtype : {kFloat32, kFloat64}) {
    // Relative tolerances; values exact down to a few subnormal units (Eigen's clamped exp would
    // leave 2.9e-39 or 5.6e-309 where e^-|x| underflows), slopes down to the smallest normal
    // number (sigmoid's 1 / (1 + e^-x) is 0 once e^-x overflows, as PyTorch's).
    const double tolerance = dtype == kFloat32 ? 3e-7 : 4e-16;
    const double tiny_value = dtype == kFloat32 ? 1e-44 : 1e-322;
    const double tiny_slope = dtype == kFloat32 ? 1.2e-38 : 2.3e-308;
    const Tensor x = of(args, dtype);
    for (const bool contiguous : {true, false}) {
      const Tensor input = (contiguous ? x : noncontiguous(x)).detach().requires_grad_();
      const Tensor y = -log_sigmoid(-input);
      const Tensor g = grad({y.sum()}, {input})[0];
      const std::vector<double> in = x.to(kFloat64).to_vector<double>();
      const std::vector<double> got = y.to(kFloat64).to_vector<double>();
      const std::vector<double> slope = g.to(kFloat64).to_vector<double>();
      for (size_t i = 0; i < in.size(); ++i) {
        const long double v = in[i];
        const double want =
            static_cast<double>(v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)));
        const double want_slope = static_cast<double>(1 / (1 + std::exp(-v)));
        INFO("x = " << in[i] << (contiguous ? "" : " (strided)") << ": " << got[i] << " vs " << want
                    << ", slope " << slope[i] << " vs " << want_slope);
        if (std::isnan(in[i])) {
          CHECK((std::isnan(got[i]) && std::isnan(slope[i])));
        } else if (std::isinf(want)) {
          CHECK((got[i] == want && slope[i] == want_slope));
        } else {
          CHECK(std::abs(got[i] - want) <= tolerance * std::abs(want) + tiny_value);
          CHECK(std::abs(slope[i] - want_slope) <= tolerance * std::abs(want_slope) + tiny_slope);
        }
      }
    }
  }
}

TEST_CASE("float32 erf, gelu and gelu' are within one ulp of the correctly rounded value",
          "[vectorized_kernels]") {
  // A sweep over (-40, 40), through both tails of gelu (its float32 value underflows below about
  // -14, gelu' where e^(-x^2 / 2) underflows in double past 37.6) and the polynomial joins at
  // |x| = 1 and 4 (sqrt 2 and 4 sqrt 2 for gelu), tiny and subnormal arguments, and the edges.
  std::vector<double> args;
  for (int i = 0; i < 80000; ++i) args.push_back(-40.0 + 0.001 * i + 1e-5);
  for (double x : {1.0, -1.0, 4.0, std::numbers::sqrt2, -4 * std::numbers::sqrt2, 3.92, 1e-30,
                   -3e-39, 1e-45, 0.0, -0.0, 1e30, -1e30, kInf, -kInf, kNaN})
    args.push_back(x);
  const Tensor x = of(args, kFloat32);
  const std::vector<float> in = x.to_vector<float>();
  std::vector<float> want_erf, want_gelu, want_slope;
  for (float f : in) {
    const long double v = f;
    const long double cdf = 0.5L * std::erfc(-v / std::sqrt(2.0L));
    const long double density =
        std::exp(-v * v / 2) / std::sqrt(2 * std::numbers::pi_v<long double>);
    want_erf.push_back(static_cast<float>(std::erf(v)));
    // gelu and gelu' at +-inf are NaN as PyTorch's x (1 + erf(x / sqrt 2)) / 2 and Phi + x phi.
    want_gelu.push_back(v == -kInf ? NAN : static_cast<float>(v * cdf));
    // (gelu' < 0 below -0.75, so an underflowed one is -0.)
    const float slope = static_cast<float>(cdf + v * density);
    want_slope.push_back(std::isinf(v) ? NAN : slope == 0.0f ? std::copysign(0.0f, f) : slope);
  }
  for (const bool contiguous : {true, false}) {
    INFO((contiguous ? "contiguous" : "strided"));
    const Tensor input = (contiguous ? x : noncontiguous(x)).detach().requires_grad_();
    const Tensor y = gelu(input);
    const Tensor slope = grad({y.sum()}, {input})[0];
    check_float_rounding(in, erf(input.detach()).to_vector<float>(), want_erf, 10000);
    check_float_rounding(in, y.to_vector<float>(), want_gelu, 10000);
    check_float_rounding(in, slope.to_vector<float>(), want_slope, 10000);
  }
}

TEST_CASE("float64 gelu keeps its relative accuracy in the negative tail", "[vectorized_kernels]") {
  // x (1 + erf(x / sqrt 2)) / 2 loses every digit below about -8; x erfc(-x / sqrt 2) / 2 keeps
  // all but those that the rounding of x / sqrt 2 costs (a relative x^2 ulps).
  for (double v : {-5.0, -9.0, -20.0, -37.0}) {
    const long double lv = v;
    const long double want = lv * 0.5L * std::erfc(-lv / std::sqrt(2.0L));
    const double got = gelu(of({v}, kFloat64)).item<double>();
    INFO("x = " << v << ": " << got << ", want " << static_cast<double>(want));
    CHECK(std::abs(got - want) <= (1e-15 + 2.5e-16 * v * v) * std::abs(want));
  }
}

TEST_CASE(
    "float32 expm1, sinh, cosh, sigmoid, elu and elu' are within one ulp of the correctly rounded "
    "value",
    "[vectorized_kernels]") {
  // A sweep over (-100, 100), through the series' joins at |x| = 1/2 and 1 and the overflows past
  // 88.7 and 89.4, tiny and subnormal arguments, and the edges.
  std::vector<double> args;
  for (int i = 0; i < 100000; ++i) args.push_back(-100.0 + 0.002 * i + 1e-5);
  for (double x : {1.0, -1.0, 89.41, 89.42, -89.42, 1e-30, -3e-39, 1e-45, 0.0, -0.0, 1e30, -1e30,
                   kInf, -kInf, kNaN})
    args.push_back(x);
  const Tensor x = of(args, kFloat32);
  const std::vector<float> in = x.to_vector<float>();
  // elu's alpha rounded to float, as PyTorch's kernel takes it.
  const long double alpha = 0.7f;
  std::vector<float> want_expm1, want_sinh, want_cosh, want_sigmoid, want_elu, want_elu_slope;
  for (float f : in) {
    const long double v = f;
    want_sigmoid.push_back(static_cast<float>(1 / (1 + std::exp(-v))));
    want_expm1.push_back(static_cast<float>(std::expm1(v)));
    want_sinh.push_back(static_cast<float>(std::sinh(v)));
    want_cosh.push_back(static_cast<float>(std::cosh(v)));
    want_elu.push_back(v > 0 ? f : static_cast<float>(alpha * std::expm1(v)));
    want_elu_slope.push_back(v > 0 ? 1.0f : static_cast<float>(alpha * std::exp(v)));
  }
  for (const bool contiguous : {true, false}) {
    INFO((contiguous ? "contiguous" : "strided"));
    const Tensor input = (contiguous ? x : noncontiguous(x)).detach().requires_grad_();
    check_float_rounding(in, expm1(input.detach()).to_vector<float>(), want_expm1, 10000);
    check_float_rounding(in, sigmoid(input.detach()).to_vector<float>(), want_sigmoid, 10000);
    const Tensor y = sinh(input);
    check_float_rounding(in, y.to_vector<float>(), want_sinh, 10000);
    check_float_rounding(in, grad({y.sum()}, {input})[0].to_vector<float>(), want_cosh, 10000);
    const Tensor z = elu(input, 0.7);
    check_float_rounding(in, z.to_vector<float>(), want_elu, 10000);
    check_float_rounding(in, grad({z.sum()}, {input})[0].to_vector<float>(), want_elu_slope, 10000);
  }
}

TEST_CASE("float32 log1p is within one ulp of the correctly rounded value",
          "[vectorized_kernels]") {
  // Arguments near -1 (where 1 + x is smallest), a sweep over (-1, 3), tiny arguments whose 1 + x
  // rounds in double, large ones whose 1 + x rounds too, and the edges.
  std::vector<double> args;
  for (int i = 1; i < 20000; ++i) args.push_back(-1.0 + i * 0x1p-24);
  for (int i = 0; i < 40000; ++i) args.push_back(-0.99995 + 1e-4 * i);
  for (int e = -149; e <= 127; ++e)
    for (double sign : {1.0, -1.0}) args.push_back(sign * std::ldexp(1.3, e));
  for (double x : {-1.0, -2.0, 1e30, 3.4e38, 0x1p53, 0.0, -0.0, kInf, -kInf, kNaN})
    args.push_back(x);
  check_float_unary(
      args, [](const Tensor& t) { return log1p(t); }, [](long double v) { return std::log1p(v); });
}

TEST_CASE("float32 atan is within one ulp of the correctly rounded value", "[vectorized_kernels]") {
  // A sweep over (-50, 50) through the reduction's joins at tan(pi/8) and tan(3 pi/8), every
  // binade of both signs, and the edges.
  std::vector<double> args;
  for (int i = 0; i < 100000; ++i) args.push_back(-50.0 + 0.001 * i + 1e-6);
  for (int e = -149; e <= 127; ++e)
    for (double sign : {1.0, -1.0}) args.push_back(sign * std::ldexp(1.7, e));
  for (double x : {0.41421356, 0.41421357, 2.4142135, 2.4142137, 1.0, -1.0, 0.0, -0.0, 3.4e38, kInf,
                   -kInf, kNaN})
    args.push_back(x);
  check_float_unary(
      args, [](const Tensor& t) { return atan(t); }, [](long double v) { return std::atan(v); });
}
