#include <Eigen/Core>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "engine/backend/bessel_functions.hpp"
#include "engine/backend/bessel_jy_functions.hpp"
#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/float_atan.hpp"
#include "engine/backend/cpu/float_erf.hpp"
#include "engine/backend/cpu/float_exp_family.hpp"
#include "engine/backend/cpu/float_log1p.hpp"
#include "engine/backend/cpu/float_tan.hpp"
#include "engine/backend/cpu/loop.hpp"
#include "engine/backend/gamma_functions.hpp"
#include "engine/backend/normal_functions.hpp"
#include "engine/backend/special_functions.hpp"

namespace metagrad::cpu {
namespace {

template <typename T>
using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <typename T>
using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// Runs `f` elementwise: out = f(in). `vectorized(o, a)` handles a contiguous row when given.
template <typename O, typename I, typename F>
void unary_loop(const View& in, const View& out, F f) {
  StridedLoop<2>({&out, &in}).run([&](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(O) && s[1] == sizeof(I)) {
      O* o = reinterpret_cast<O*>(p[0]);
      const I* a = reinterpret_cast<const I*>(p[1]);
      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<O*>(p[0] + i * s[0]) = f(*reinterpret_cast<const I*>(p[1] + i * s[1]));
    }
  });
}

// Float tensors take kFloatFn, straight-line code in double (engine/backend/cpu/float_atan.hpp,
// float_erf.hpp, float_exp_family.hpp, float_log1p.hpp) forced inline so that GCC vectorizes it
// along contiguous rows; double tensors take `fallback`.
template <typename T, float (*kFloatFn)(float), typename Fallback>
void unary_float_in_double(const View& in, const View& out, Fallback fallback) {
  if constexpr (std::is_same_v<T, float>)
    unary_loop<T, T>(
        in, out, [](float x) __attribute__((always_inline)) { return kFloatFn(x); });
  else
    unary_loop<T, T>(in, out, fallback);
}

// unary_float_in_double for a function of x and the op's alpha.
template <typename T, float (*kFloatFn)(float, double), typename Fallback>
void unary_float_in_double_with_alpha(const View& in, const View& out, T alpha, Fallback fallback) {
  if constexpr (std::is_same_v<T, float>)
    unary_loop<T, T>(
        in, out, [alpha](float x) __attribute__((always_inline)) { return kFloatFn(x, alpha); });
  else
    unary_loop<T, T>(in, out, fallback);
}

// Contiguous rows go through an Eigen array expression (vectorized exp/log/tanh/...).
template <typename T, typename Scalar, typename Expr>
void eigen_unary(const View& in, const View& out, Scalar scalar, Expr expr) {
  StridedLoop<2>({&out, &in}).run([&](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
      ArrayMap<T> o(reinterpret_cast<T*>(p[0]), n);
      ConstArrayMap<T> a(reinterpret_cast<const T*>(p[1]), n);
      o = expr(a);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<T*>(p[0] + i * s[0]) =
            scalar(*reinterpret_cast<const T*>(p[1] + i * s[1]));
    }
  });
}

// Eigen's vectorized exp clamps its argument from below (about -709.4 for double, -88.4 for float)
// and gives ~5.6e-309 / ~2.9e-39 for anything under that, so exp(-inf) would not be 0. A kernel
// that exponentiates `exponent(x)` therefore runs `vectorized` on a contiguous row only when no
// exponent is below the smallest normal number's log, and `scalar` element by element otherwise.
// The check is made before writing, so an in-place op (out aliasing in) is handled too; the
// NaN-ignoring min is vectorized, and a row of NaNs stays on the fast path.
template <typename T, typename Exponent, typename Vectorized, typename Scalar>
void unary_with_exp(const View& in, const View& out, Exponent exponent, Vectorized vectorized,
                    Scalar scalar) {
  const T normal_floor = std::log(std::numeric_limits<T>::min());
  StridedLoop<2>({&out, &in}).run([&](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(T) && s[1] == sizeof(T)) {
      ArrayMap<T> o(reinterpret_cast<T*>(p[0]), n);
      ConstArrayMap<T> a(reinterpret_cast<const T*>(p[1]), n);
      if (!(n > 0 && exponent(a).template minCoeff<Eigen::PropagateNumbers>() < normal_floor)) {
        o = vectorized(a);
        return;
      }
    }
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<T*>(p[0] + i * s[0]) = scalar(*reinterpret_cast<const T*>(p[1] + i * s[1]));
  });
}

// exp.
template <typename T>
void exp_kernel(const View& in, const View& out) {
  unary_with_exp<T>(
      in, out, [](const auto& a) { return a; }, [](const auto& a) { return a.exp(); },
      [](T x) { return std::exp(x); });
}

// log(1 + e^x) = max(x, 0) + log1p(e^-|x|), with Eigen's vectorized exp and log1p; NaN stays NaN.
template <typename T>
void softplus_kernel(const View& in, const View& out) {
  unary_with_exp<T>(
      in, out, [](const auto& a) { return -a.abs(); },
      [](const auto& a) { return a.max(T(0)) + (-a.abs()).exp().log1p(); },
      [](T x) { return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::abs(x))); });
}

// tan. A float row whose arguments all lie within kFloatTanReducedBound (or are NaN) takes the
// vectorized float_tan_in_double; other rows, strided elements and double take std::tan element by
// element.
template <typename T>
void tan_kernel(const View& in, const View& out) {
  if constexpr (!std::is_same_v<T, float>) {
    unary_loop<T, T>(in, out, [](T x) { return std::tan(x); });
  } else {
    StridedLoop<2>({&out, &in}).run([&](char** p, const int64_t* s, int64_t n) {
      float* o = reinterpret_cast<float*>(p[0]);
      const float* a = reinterpret_cast<const float*>(p[1]);
      if (s[0] == sizeof(float) && s[1] == sizeof(float)) {
        int64_t unreduced = 0;  // (a count, as GCC vectorizes no bool reduction; NaN passes)
        for (int64_t i = 0; i < n; ++i) unreduced += std::fabs(a[i]) > kFloatTanReducedBound;
        if (unreduced == 0) {
          for (int64_t i = 0; i < n; ++i) o[i] = float_tan_in_double(a[i]);
          return;
        }
      }
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<float*>(p[0] + i * s[0]) =
            std::tan(*reinterpret_cast<const float*>(p[1] + i * s[1]));
    });
  }
}

template <typename T>
void unary_floating(UnaryOp op, const View& in, const View& out, UnaryParams prm) {
  const T alpha = static_cast<T>(prm.alpha), beta = static_cast<T>(prm.beta),
          gamma = static_cast<T>(prm.gamma);
  switch (op) {
    case UnaryOp::Neg:
      return eigen_unary<T>(
          in, out, [](T x) { return -x; }, [](const auto& a) { return -a; });
    case UnaryOp::Abs:
      return eigen_unary<T>(
          in, out, [](T x) { return std::abs(x); }, [](const auto& a) { return a.abs(); });
    case UnaryOp::Sign:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>((T(0) < x) - (x < T(0))); });
    case UnaryOp::Exp:
      return exp_kernel<T>(in, out);
    case UnaryOp::Log:
      return eigen_unary<T>(
          in, out, [](T x) { return std::log(x); }, [](const auto& a) { return a.log(); });
    case UnaryOp::Log1p:
      return unary_float_in_double<T, float_log1p_in_double>(in, out,
                                                             [](T x) { return std::log1p(x); });
    case UnaryOp::Sqrt:
      return eigen_unary<T>(
          in, out, [](T x) { return std::sqrt(x); }, [](const auto& a) { return a.sqrt(); });
    case UnaryOp::Rsqrt:
      return eigen_unary<T>(
          in, out, [](T x) { return T(1) / std::sqrt(x); },
          [](const auto& a) { return a.rsqrt(); });
    case UnaryOp::Square:
      return eigen_unary<T>(
          in, out, [](T x) { return x * x; }, [](const auto& a) { return a.square(); });
    case UnaryOp::Sin:
      return eigen_unary<T>(
          in, out, [](T x) { return std::sin(x); }, [](const auto& a) { return a.sin(); });
    case UnaryOp::Cos:
      return eigen_unary<T>(
          in, out, [](T x) { return std::cos(x); }, [](const auto& a) { return a.cos(); });
    case UnaryOp::Tanh:
      return eigen_unary<T>(
          in, out, [](T x) { return std::tanh(x); }, [](const auto& a) { return a.tanh(); });
    case UnaryOp::Sigmoid:
      return unary_float_in_double<T, float_sigmoid_in_double>(
          in, out, [](T x) { return T(1) / (T(1) + std::exp(-x)); });
    case UnaryOp::Relu:
      return eigen_unary<T>(
          in, out, [](T x) { return x > T(0) ? x : T(0); },
          [](const auto& a) { return a.max(T(0)); });
    case UnaryOp::Clamp:
      return unary_loop<T, T>(in, out, [=](T x) {
        // min(max(x, lo), hi) as PyTorch: every value is hi when lo > hi; NaN stays NaN.
        if (std::isnan(x)) return x;
        const T y = x < alpha ? alpha : x;
        return y > beta ? beta : y;
      });
    case UnaryOp::PowScalar:
      if (alpha == T(2)) return unary_loop<T, T>(in, out, [](T x) { return x * x; });
      return unary_loop<T, T>(in, out, [=](T x) { return std::pow(x, alpha); });
    case UnaryOp::ScalarPow:
      return unary_loop<T, T>(in, out, [=](T x) { return std::pow(alpha, x); });
    case UnaryOp::NanToNum:
      return unary_loop<T, T>(in, out, [=](T x) {
        if (std::isnan(x)) return alpha;
        if (std::isinf(x)) return x > 0 ? beta : gamma;
        return x;
      });
    case UnaryOp::Erf:
      return unary_float_in_double<T, float_erf_in_double>(in, out,
                                                           [](T x) { return std::erf(x); });
    case UnaryOp::Expm1:
      return unary_float_in_double<T, float_expm1_in_double>(in, out,
                                                             [](T x) { return std::expm1(x); });
    case UnaryOp::Floor:
      return unary_loop<T, T>(in, out, [](T x) { return std::floor(x); });
    case UnaryOp::Ceil:
      return unary_loop<T, T>(in, out, [](T x) { return std::ceil(x); });
    case UnaryOp::Round:
      // The default rounding mode rounds ties to even, as PyTorch's round.
      return unary_loop<T, T>(in, out, [](T x) { return std::nearbyint(x); });
    case UnaryOp::Trunc:
      return unary_loop<T, T>(in, out, [](T x) { return std::trunc(x); });
    case UnaryOp::Tan:
      return tan_kernel<T>(in, out);
    case UnaryOp::Softplus:
      return softplus_kernel<T>(in, out);
    case UnaryOp::Gelu:
      return unary_float_in_double<T, float_gelu_in_double>(
          in, out, [](T x) { return static_cast<T>(special::gelu(x)); });
    case UnaryOp::GeluDerivative:
      return unary_float_in_double<T, float_gelu_derivative_in_double>(
          in, out, [](T x) { return static_cast<T>(special::gelu_derivative(x)); });
    case UnaryOp::Asin:
      return unary_loop<T, T>(in, out, [](T x) { return std::asin(x); });
    case UnaryOp::Acos:
      return unary_loop<T, T>(in, out, [](T x) { return std::acos(x); });
    case UnaryOp::Atan:
      return unary_float_in_double<T, float_atan_in_double>(in, out,
                                                            [](T x) { return std::atan(x); });
    case UnaryOp::Elu:
      return unary_float_in_double_with_alpha<T, float_elu_in_double>(
          in, out, alpha, [alpha](T x) { return x > T(0) ? x : alpha * std::expm1(x); });
    case UnaryOp::EluDerivative:
      return unary_float_in_double_with_alpha<T, float_elu_derivative_in_double>(
          in, out, alpha, [alpha](T x) { return x > T(0) ? T(1) : alpha * std::exp(x); });
    case UnaryOp::Sinh:
      return unary_float_in_double<T, float_sinh_in_double>(in, out,
                                                            [](T x) { return std::sinh(x); });
    case UnaryOp::Cosh:
      return unary_float_in_double<T, float_cosh_in_double>(in, out,
                                                            [](T x) { return std::cosh(x); });
    case UnaryOp::Asinh:
      return unary_loop<T, T>(in, out, [](T x) { return std::asinh(x); });
    case UnaryOp::Acosh:
      return unary_loop<T, T>(in, out, [](T x) { return std::acosh(x); });
    case UnaryOp::Atanh:
      return unary_loop<T, T>(in, out, [](T x) { return std::atanh(x); });
    case UnaryOp::Log2:
      return unary_loop<T, T>(in, out, [](T x) { return std::log2(x); });
    case UnaryOp::Log10:
      return unary_loop<T, T>(in, out, [](T x) { return std::log10(x); });
    case UnaryOp::Erfc:
      return unary_loop<T, T>(in, out, [](T x) { return std::erfc(x); });
    case UnaryOp::Erfinv:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::erfinv(x)); });
    case UnaryOp::Lgamma:
      return unary_loop<T, T>(in, out, [](T x) { return special::lgamma(x); });
    case UnaryOp::Digamma:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::digamma(x)); });
    case UnaryOp::Polygamma: {
      const int order = static_cast<int>(alpha);
      return unary_loop<T, T>(
          in, out, [order](T x) { return static_cast<T>(special::polygamma(order, x)); });
    }
    case UnaryOp::I0:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::bessel_i0(x)); });
    case UnaryOp::I0e:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::bessel_i0e(x)); });
    case UnaryOp::I1:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::bessel_i1(x)); });
    case UnaryOp::I1e:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::bessel_i1e(x)); });
    case UnaryOp::K0:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::bessel_k0(x)); });
    case UnaryOp::K0e:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::bessel_k0e(x)); });
    case UnaryOp::K1:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::bessel_k1(x)); });
    case UnaryOp::K1e:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::bessel_k1e(x)); });
    case UnaryOp::J0:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::bessel_j0(x)); });
    case UnaryOp::J1:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::bessel_j1(x)); });
    case UnaryOp::Y0:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::bessel_y0(x)); });
    case UnaryOp::Y1:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::bessel_y1(x)); });
    case UnaryOp::Erfcx:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::erfcx(x)); });
    case UnaryOp::Ndtri:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(special::ndtri(x)); });
    case UnaryOp::LogicalNot:
      return unary_loop<bool, T>(in, out, [](T x) { return x == T(0); });
  }
}

template <typename T>
void unary_integral(UnaryOp op, const View& in, const View& out) {
  switch (op) {
    case UnaryOp::Neg:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(-x); });
    case UnaryOp::Abs:
      if constexpr (std::is_same_v<T, bool>) {
        return unary_loop<T, T>(in, out, [](T x) { return x; });
      } else {
        return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(x < 0 ? -x : x); });
      }
    case UnaryOp::Sign:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>((T(0) < x) - (x < T(0))); });
    case UnaryOp::Square:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(x * x); });
    case UnaryOp::LogicalNot:
      return unary_loop<bool, T>(in, out, [](T x) { return x == T(0); });
    default:
      MG_FAIL("unary op {} is not defined for integer tensors", static_cast<int>(op));
  }
}

// out = f(a, b) with inputs of type T and output of type O (bool for predicates); contiguous rows
// and rows against a broadcast scalar get plain indexed loops that the compiler vectorizes.
template <typename T, typename O = T, typename F>
void binary_loop(const View& a, const View& b, const View& out, F f) {
  StridedLoop<3>({&out, &a, &b}).run([&](char** p, const int64_t* s, int64_t n) {
    O* o = reinterpret_cast<O*>(p[0]);
    if (s[0] == sizeof(O) && s[1] == sizeof(T) && s[2] == sizeof(T)) {
      const T* x = reinterpret_cast<const T*>(p[1]);
      const T* y = reinterpret_cast<const T*>(p[2]);
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (s[0] == sizeof(O) && s[1] == sizeof(T) && s[2] == 0) {
      const T* x = reinterpret_cast<const T*>(p[1]);
      const T y = *reinterpret_cast<const T*>(p[2]);
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y);
    } else if (s[0] == sizeof(O) && s[1] == 0 && s[2] == sizeof(T)) {
      const T x = *reinterpret_cast<const T*>(p[1]);
      const T* y = reinterpret_cast<const T*>(p[2]);
      for (int64_t i = 0; i < n; ++i) o[i] = f(x, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<O*>(p[0] + i * s[0]) = f(*reinterpret_cast<const T*>(p[1] + i * s[1]),
                                                   *reinterpret_cast<const T*>(p[2] + i * s[2]));
    }
  });
}

// f(a, b) computed in double and rounded to T, for the special functions of float operands only.
template <typename T>
void double_binary_loop(const View& a, const View& b, const View& out, const char* name,
                        double (*f)(double, double)) {
  if constexpr (std::is_integral_v<T>) {
    MG_FAIL("{}: not supported for integer tensors; convert to a float dtype first", name);
  } else {
    binary_loop<T>(a, b, out, [f](T x, T y) { return static_cast<T>(f(x, y)); });
  }
}

// Comparisons and logic (bool output); the op is dispatched once, outside the loop.
template <typename T>
void predicate(BinaryOp op, const View& a, const View& b, const View& out) {
  switch (op) {
    case BinaryOp::Eq:
      return binary_loop<T, bool>(a, b, out, [](T x, T y) { return x == y; });
    case BinaryOp::Ne:
      return binary_loop<T, bool>(a, b, out, [](T x, T y) { return x != y; });
    case BinaryOp::Lt:
      return binary_loop<T, bool>(a, b, out, [](T x, T y) { return x < y; });
    case BinaryOp::Le:
      return binary_loop<T, bool>(a, b, out, [](T x, T y) { return x <= y; });
    case BinaryOp::Gt:
      return binary_loop<T, bool>(a, b, out, [](T x, T y) { return x > y; });
    case BinaryOp::Ge:
      return binary_loop<T, bool>(a, b, out, [](T x, T y) { return x >= y; });
    case BinaryOp::LogicalAnd:
      return binary_loop<T, bool>(a, b, out, [](T x, T y) { return (x != T(0)) & (y != T(0)); });
    case BinaryOp::LogicalOr:
      return binary_loop<T, bool>(a, b, out, [](T x, T y) { return (x != T(0)) | (y != T(0)); });
    case BinaryOp::LogicalXor:
      return binary_loop<T, bool>(a, b, out, [](T x, T y) { return (x != T(0)) != (y != T(0)); });
    default:
      break;
  }
}

// cond ? x : y through a bit mask, so that the loops below have no data-dependent branch (a mask
// of random signs, as relu's backward has, would mispredict half the time). The condition is read
// as the byte (0 or 1) that stores a bool: GCC does not vectorize loads of bool itself.
template <typename T>
T select(uint8_t cond, T x, T y) {
  if constexpr (std::is_same_v<T, bool>) {
    return static_cast<bool>((cond & x) | ((cond ^ 1) & y));
  } else {
    using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
    const Bits mask = Bits(0) - static_cast<Bits>(cond);
    return std::bit_cast<T>((std::bit_cast<Bits>(x) & mask) | (std::bit_cast<Bits>(y) & ~mask));
  }
}

// out = cond ? a : b, with contiguous fast paths (also against a broadcast scalar).
template <typename T>
void where_loop(const View& cond, const View& a, const View& b, const View& out) {
  StridedLoop<4>({&out, &cond, &a, &b}).run([&](char** p, const int64_t* s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    const uint8_t* c = reinterpret_cast<const uint8_t*>(p[1]);
    const T* x = reinterpret_cast<const T*>(p[2]);
    const T* y = reinterpret_cast<const T*>(p[3]);
    if (s[0] == sizeof(T) && s[1] == 1 && s[2] == sizeof(T) && s[3] == sizeof(T)) {
      for (int64_t i = 0; i < n; ++i) o[i] = select(c[i], x[i], y[i]);
    } else if (s[0] == sizeof(T) && s[1] == 1 && s[2] == sizeof(T) && s[3] == 0) {
      const T yv = *y;
      for (int64_t i = 0; i < n; ++i) o[i] = select(c[i], x[i], yv);
    } else if (s[0] == sizeof(T) && s[1] == 1 && s[2] == 0 && s[3] == sizeof(T)) {
      const T xv = *x;
      for (int64_t i = 0; i < n; ++i) o[i] = select(c[i], xv, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<T*>(p[0] + i * s[0]) =
            select(c[i * s[1]], *reinterpret_cast<const T*>(p[2] + i * s[2]),
                   *reinterpret_cast<const T*>(p[3] + i * s[3]));
    }
  });
}

// remainder and fmod. Rows that are contiguous, or contiguous against one broadcast divisor, and
// whose quotients all allow it take the vectorized special::truncated_remainder_in_double; other
// rows go element by element, with fmod where the quotient is large.
template <typename T, bool kFloored>
void remainder_kernel(const View& a, const View& b, const View& out) {
  const auto exact = [](T x, T y) {
    return kFloored ? special::floored_remainder(x, y) : special::truncated_remainder(x, y);
  };
  if constexpr (!special::kRemainderInDouble<T>) {
    binary_loop<T>(a, b, out, exact);
  } else {
    const auto fast = [](T x, T y) __attribute__((always_inline)) {
      return kFloored ? special::floored_remainder_in_double(x, y)
                      : special::truncated_remainder_in_double(x, y);
    };
    StridedLoop<3>({&out, &a, &b}).run([&](char** p, const int64_t* s, int64_t n) {
      T* o = reinterpret_cast<T*>(p[0]);
      const T* x = reinterpret_cast<const T*>(p[1]);
      const T* y = reinterpret_cast<const T*>(p[2]);
      if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == sizeof(T)) {
        int64_t exceptions = 0;  // a count, as GCC vectorizes no bool reduction
        for (int64_t i = 0; i < n; ++i)
          exceptions += !special::remainder_in_double_applies(x[i], y[i]);
        if (exceptions == 0) {
          for (int64_t i = 0; i < n; ++i) o[i] = fast(x[i], y[i]);
          return;
        }
      } else if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == 0) {
        const T divisor = *y;
        int64_t exceptions = 0;
        for (int64_t i = 0; i < n; ++i)
          exceptions += !special::remainder_in_double_applies(x[i], divisor);
        if (exceptions == 0) {
          for (int64_t i = 0; i < n; ++i) o[i] = fast(x[i], divisor);
          return;
        }
      }
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<T*>(p[0] + i * s[0]) =
            exact(*reinterpret_cast<const T*>(p[1] + i * s[1]),
                  *reinterpret_cast<const T*>(p[2] + i * s[2]));
    });
  }
}

template <typename T>
void arithmetic(BinaryOp op, const View& a, const View& b, const View& out) {
  switch (op) {
    case BinaryOp::Add:
      return binary_loop<T>(a, b, out, [](T x, T y) { return static_cast<T>(x + y); });
    case BinaryOp::Sub:
      return binary_loop<T>(a, b, out, [](T x, T y) { return static_cast<T>(x - y); });
    case BinaryOp::Mul:
      return binary_loop<T>(a, b, out, [](T x, T y) { return static_cast<T>(x * y); });
    case BinaryOp::Div:
      if constexpr (std::is_integral_v<T>) {
        MG_FAIL("div: integer division is not supported; convert to a float dtype first");
      } else {
        return binary_loop<T>(a, b, out, [](T x, T y) { return x / y; });
      }
    case BinaryOp::Pow:
      if constexpr (std::is_integral_v<T>) {
        MG_FAIL("pow: not supported for integer tensors; convert to a float dtype first");
      } else {
        return binary_loop<T>(a, b, out, [](T x, T y) { return std::pow(x, y); });
      }
    case BinaryOp::Atan2:
      if constexpr (std::is_integral_v<T>) {
        MG_FAIL("atan2: not supported for integer tensors; convert to a float dtype first");
      } else {
        return binary_loop<T>(a, b, out, [](T x, T y) { return std::atan2(x, y); });
      }
    case BinaryOp::Hypot:
      if constexpr (std::is_integral_v<T>) {
        MG_FAIL("hypot: not supported for integer tensors; convert to a float dtype first");
      } else {
        return binary_loop<T>(a, b, out, [](T x, T y) { return std::hypot(x, y); });
      }
    case BinaryOp::Igamma:
      return double_binary_loop<T>(a, b, out, "gammainc", special::gammainc);
    case BinaryOp::Igammac:
      return double_binary_loop<T>(a, b, out, "gammaincc", special::gammaincc);
    case BinaryOp::Zeta:
      return double_binary_loop<T>(a, b, out, "zeta", special::zeta);
    case BinaryOp::Remainder:
      return remainder_kernel<T, true>(a, b, out);
    case BinaryOp::Fmod:
      return remainder_kernel<T, false>(a, b, out);
    case BinaryOp::Maximum:
      return binary_loop<T>(a, b, out, [](T x, T y) {
        if constexpr (std::is_floating_point_v<T>)
          if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<T>::quiet_NaN();
        return x > y ? x : y;
      });
    case BinaryOp::Minimum:
      return binary_loop<T>(a, b, out, [](T x, T y) {
        if constexpr (std::is_floating_point_v<T>)
          if (std::isnan(x) || std::isnan(y)) return std::numeric_limits<T>::quiet_NaN();
        return x < y ? x : y;
      });
    default:
      break;
  }
}

}  // namespace

void CpuBackend::unary(UnaryOp op, const View& in, const View& out, UnaryParams params) {
  switch (in.dtype) {
    case DType::Float32:
      return unary_floating<float>(op, in, out, params);
    case DType::Float64:
      return unary_floating<double>(op, in, out, params);
    case DType::Int64:
      return unary_integral<int64_t>(op, in, out);
    case DType::Bool:
      return unary_integral<bool>(op, in, out);
  }
}

void CpuBackend::binary(BinaryOp op, const View& a, const View& b, const View& out) {
  MG_DISPATCH_ALL(a.dtype, [&](auto tag) {
    using T = decltype(tag);
    if (is_predicate(op)) {
      predicate<T>(op, a, b, out);
    } else if constexpr (std::is_same_v<T, bool>) {
      MG_FAIL("arithmetic on bool tensors is not supported; convert to a numeric dtype first");
    } else {
      arithmetic<T>(op, a, b, out);
    }
  });
}

void CpuBackend::where(const View& cond, const View& a, const View& b, const View& out) {
  MG_DISPATCH_ALL(out.dtype, [&](auto tag) { where_loop<decltype(tag)>(cond, a, b, out); });
}

}  // namespace metagrad::cpu
