#pragma once

// Functions of e^x for float arguments (expm1, sinh, cosh, sigmoid, and elu with its derivative)
// evaluated
// in double with straight-line code that the compiler vectorizes (glibc's expm1f, sinhf and coshf
// are scalar calls, and PyTorch's CPU versions vectorized ones). The double evaluation errs by a
// few 1e-16 relatively, so the result is almost always the correctly rounded one.
#include <cmath>

#include "engine/backend/cpu/straight_line_math.hpp"

namespace metagrad::cpu {

/// Beyond this |x| e^x, sinh and cosh overflow float (they do past 88.73 and 89.42), so e^|x| is
/// taken at it, finite in double, and the cast to float gives the infinity.
inline constexpr double kFloatHyperbolicClamp = 90.0;

/// e^x - 1 for a double x that holds a float, or NaN (which gives NaN), without branches: x times
/// the Taylor series of (e^x - 1) / x to x^13 / 14! below |x| = 1/2 (truncation under 5e-17), and
/// e^x - 1 beyond, where the subtraction loses under a bit; x is clamped to [-708, 90] (where the
/// float result is -1 or +inf).
MG_FORCE_INLINE double expm1_of_float(double x) {
  const double near_zero =
      x * horner(x, 1.0 / 87178291200.0, 1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0,
                 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0,
                 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 1.0 / 2.0, 1.0);
  // (NaN fails both comparisons and stays NaN.)
  const double clamped =
      x > kFloatHyperbolicClamp ? kFloatHyperbolicClamp : (x < -708.0 ? -708.0 : x);
  const double far = exp_in_double(clamped) - 1.0;
  return std::fabs(x) < 0.5 ? near_zero : far;
}

/// expm1(x) for any float x.
MG_FORCE_INLINE float float_expm1_in_double(float x) {
  return static_cast<float>(expm1_of_float(x));
}

/// sigmoid(x) = 1 / (1 + e^-x) for any float x (NaN gives NaN), without branches; -x is clamped
/// to exp_in_double's range, past which the float result is 0 or 1 anyway.
MG_FORCE_INLINE float float_sigmoid_in_double(float x) {
  // (NaN fails both comparisons and stays NaN.)
  const double minus_x = -static_cast<double>(x);
  const double clamped = minus_x > 709.0 ? 709.0 : (minus_x < -708.0 ? -708.0 : minus_x);
  return static_cast<float>(1.0 / (1.0 + exp_in_double(clamped)));
}

/// elu(x) = x for x > 0, alpha (e^x - 1) otherwise, for any float x and a float alpha.
MG_FORCE_INLINE float float_elu_in_double(float x, double alpha) {
  return x > 0.0f ? x : static_cast<float>(alpha * expm1_of_float(x));
}

/// elu'(x) = 1 for x > 0, alpha e^x otherwise (alpha at the kink, as PyTorch's), for any float x.
MG_FORCE_INLINE float float_elu_derivative_in_double(float x, double alpha) {
  // (e^x taken at min(x, 0), clamped to exp_in_double's range; NaN fails both comparisons and
  // gives alpha e^NaN = NaN.)
  const double exp_x =
      exp_in_double(x > 0.0f ? 0.0 : (x < -708.0f ? -708.0 : static_cast<double>(x)));
  return x > 0.0f ? 1.0f : static_cast<float>(alpha * exp_x);
}

/// sinh(x) for any float x (NaN gives NaN, +-inf gives +-inf), without branches: x times the
/// Taylor series of sinh(x) / x to x^18 / 19! below |x| = 1 (truncation under 1e-17), and
/// (e^|x| - e^-|x|) / 2 with the sign of x beyond, where the difference loses under a bit.
MG_FORCE_INLINE float float_sinh_in_double(float xf) {
  const double x = xf;
  const double a = std::fabs(x);
  const double near_zero = x * horner(x * x, 1.0 / 121645100408832000.0, 1.0 / 355687428096000.0,
                                      1.0 / 1307674368000.0, 1.0 / 6227020800.0, 1.0 / 39916800.0,
                                      1.0 / 362880.0, 1.0 / 5040.0, 1.0 / 120.0, 1.0 / 6.0, 1.0);
  const double e = exp_in_double(a < kFloatHyperbolicClamp ? a : kFloatHyperbolicClamp);
  const double far = std::copysign(0.5 * e - 0.5 / e, x);
  // NaN fails a >= 1 and takes the series, which gives NaN.
  return static_cast<float>(a >= 1.0 ? far : near_zero);
}

/// cosh(x) = (e^|x| + e^-|x|) / 2 for any float x (NaN gives NaN, +-inf gives +inf), without
/// branches.
MG_FORCE_INLINE float float_cosh_in_double(float xf) {
  const double a = std::fabs(static_cast<double>(xf));
  // (NaN fails the comparison and stays NaN.)
  const double e = exp_in_double(a > kFloatHyperbolicClamp ? kFloatHyperbolicClamp : a);
  return static_cast<float>(0.5 * e + 0.5 / e);
}

}  // namespace metagrad::cpu
