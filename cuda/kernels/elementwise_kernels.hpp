#pragma once

// KernelBackend::unary, ::binary and ::where: one kernel per (op, dtype), the op a template
// argument so each kernel is a plain loop body. Semantics are the CPU backend's
// (engine/backend/cpu/cpu_elementwise.cpp): NaN handling, bool outputs, the ops integers allow
// and the errors for the others.
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "cuda/kernel_backend.hpp"
#include "cuda/kernels/memory_kernels.hpp"
#include "engine/backend/bessel_functions.hpp"
#include "engine/backend/bessel_jy_functions.hpp"
#include "engine/backend/gamma_functions.hpp"
#include "engine/backend/normal_functions.hpp"
#include "engine/backend/special_functions.hpp"

namespace metagrad {
namespace kernels {

/// The math functions kernels use, for float and double, callable from host and device code.
namespace math {
MG_HD inline float abs(float x) { return ::fabsf(x); }
MG_HD inline double abs(double x) { return ::fabs(x); }
MG_HD inline float exp(float x) { return ::expf(x); }
MG_HD inline double exp(double x) { return ::exp(x); }
MG_HD inline float log(float x) { return ::logf(x); }
MG_HD inline double log(double x) { return ::log(x); }
MG_HD inline float log1p(float x) { return ::log1pf(x); }
MG_HD inline double log1p(double x) { return ::log1p(x); }
MG_HD inline float sqrt(float x) { return ::sqrtf(x); }
MG_HD inline double sqrt(double x) { return ::sqrt(x); }
MG_HD inline float sin(float x) { return ::sinf(x); }
MG_HD inline double sin(double x) { return ::sin(x); }
MG_HD inline float cos(float x) { return ::cosf(x); }
MG_HD inline double cos(double x) { return ::cos(x); }
MG_HD inline float tanh(float x) { return ::tanhf(x); }
MG_HD inline double tanh(double x) { return ::tanh(x); }
MG_HD inline float pow(float x, float y) { return ::powf(x, y); }
MG_HD inline double pow(double x, double y) { return ::pow(x, y); }
MG_HD inline float erf(float x) { return ::erff(x); }
MG_HD inline double erf(double x) { return ::erf(x); }
MG_HD inline float expm1(float x) { return ::expm1f(x); }
MG_HD inline double expm1(double x) { return ::expm1(x); }
MG_HD inline float floor(float x) { return ::floorf(x); }
MG_HD inline double floor(double x) { return ::floor(x); }
MG_HD inline float ceil(float x) { return ::ceilf(x); }
MG_HD inline double ceil(double x) { return ::ceil(x); }
MG_HD inline float tan(float x) { return ::tanf(x); }
MG_HD inline double tan(double x) { return ::tan(x); }
MG_HD inline float asin(float x) { return ::asinf(x); }
MG_HD inline double asin(double x) { return ::asin(x); }
MG_HD inline float acos(float x) { return ::acosf(x); }
MG_HD inline double acos(double x) { return ::acos(x); }
MG_HD inline float atan(float x) { return ::atanf(x); }
MG_HD inline double atan(double x) { return ::atan(x); }
MG_HD inline float sinh(float x) { return ::sinhf(x); }
MG_HD inline double sinh(double x) { return ::sinh(x); }
MG_HD inline float cosh(float x) { return ::coshf(x); }
MG_HD inline double cosh(double x) { return ::cosh(x); }
MG_HD inline float asinh(float x) { return ::asinhf(x); }
MG_HD inline double asinh(double x) { return ::asinh(x); }
MG_HD inline float acosh(float x) { return ::acoshf(x); }
MG_HD inline double acosh(double x) { return ::acosh(x); }
MG_HD inline float atanh(float x) { return ::atanhf(x); }
MG_HD inline double atanh(double x) { return ::atanh(x); }
MG_HD inline float log2(float x) { return ::log2f(x); }
MG_HD inline double log2(double x) { return ::log2(x); }
MG_HD inline float log10(float x) { return ::log10f(x); }
MG_HD inline double log10(double x) { return ::log10(x); }
MG_HD inline float erfc(float x) { return ::erfcf(x); }
MG_HD inline double erfc(double x) { return ::erfc(x); }
MG_HD inline float atan2(float y, float x) { return ::atan2f(y, x); }
MG_HD inline double atan2(double y, double x) { return ::atan2(y, x); }
MG_HD inline float hypot(float x, float y) { return ::hypotf(x, y); }
MG_HD inline double hypot(double x, double y) { return ::hypot(x, y); }
/// Round to nearest, ties to even (rint in the default rounding mode; device code has no other).
MG_HD inline float round_even(float x) { return ::rintf(x); }
MG_HD inline double round_even(double x) { return ::rint(x); }
MG_HD inline float trunc(float x) { return ::truncf(x); }
MG_HD inline double trunc(double x) { return ::trunc(x); }
/// The positive quiet NaN (std::numeric_limits<T>::quiet_NaN(), which device code cannot call).
template <typename T>
MG_HD inline T quiet_nan() {
  return static_cast<T>(NAN);
}
/// +infinity.
template <typename T>
MG_HD inline T infinity() {
  return static_cast<T>(INFINITY);
}
}  // namespace math

/// True for the unary ops the CPU backend defines on int64 and bool tensors.
constexpr bool unary_defined_for_integers(UnaryOp op) {
  return op == UnaryOp::Neg || op == UnaryOp::Abs || op == UnaryOp::Sign || op == UnaryOp::Square ||
         op == UnaryOp::LogicalNot;
}

/// The output type of unary op kOp on T: bool for LogicalNot, else T.
template <UnaryOp kOp, typename T>
using UnaryOut = std::conditional_t<kOp == UnaryOp::LogicalNot, bool, T>;

/// op(x) with the scalars alpha, beta, gamma (UnaryOp), as the CPU backend computes it.
template <UnaryOp kOp, typename T>
MG_HD inline UnaryOut<kOp, T> unary_value(T x, T alpha, T beta, T gamma) {
  if constexpr (kOp == UnaryOp::Neg) {
    return static_cast<T>(-x);  // -(0) = -0, as the CPU's strided rows (its Eigen rows give 0)
  } else if constexpr (kOp == UnaryOp::Abs) {
    if constexpr (std::is_floating_point_v<T>) {
      return math::abs(x);
    } else if constexpr (std::is_same_v<T, bool>) {
      return x;
    } else {
      return static_cast<T>(x < 0 ? -x : x);
    }
  } else if constexpr (kOp == UnaryOp::Sign) {
    return static_cast<T>((T(0) < x) - (x < T(0)));  // NaN -> 0
  } else if constexpr (kOp == UnaryOp::Exp) {
    return math::exp(x);
  } else if constexpr (kOp == UnaryOp::Log) {
    return math::log(x);
  } else if constexpr (kOp == UnaryOp::Log1p) {
    return math::log1p(x);
  } else if constexpr (kOp == UnaryOp::Sqrt) {
    return math::sqrt(x);
  } else if constexpr (kOp == UnaryOp::Rsqrt) {
    return T(1) / math::sqrt(x);
  } else if constexpr (kOp == UnaryOp::Square) {
    return static_cast<T>(x * x);
  } else if constexpr (kOp == UnaryOp::Sin) {
    return math::sin(x);
  } else if constexpr (kOp == UnaryOp::Cos) {
    return math::cos(x);
  } else if constexpr (kOp == UnaryOp::Tanh) {
    return math::tanh(x);
  } else if constexpr (kOp == UnaryOp::Sigmoid) {
    // In double, rounded once, as the CPU backend's float kernel: float32 compositions such as
    // 1 - sigmoid(x) then agree between the backends.
    return static_cast<T>(1.0 / (1.0 + ::exp(-static_cast<double>(x))));
  } else if constexpr (kOp == UnaryOp::Relu) {
    // NaN and -0 stay, as in the CPU's contiguous rows (Eigen's max(x, 0); its strided rows,
    // x > 0 ? x : 0, give 0 for both) and in PyTorch.
    return x < T(0) ? T(0) : x;
  } else if constexpr (kOp == UnaryOp::Clamp) {
    if (x != x) return x;  // min(max(x, lo), hi) as PyTorch: hi when lo > hi; NaN stays NaN
    const T y = x < alpha ? alpha : x;
    return y > beta ? beta : y;
  } else if constexpr (kOp == UnaryOp::PowScalar) {
    return math::pow(x, alpha);
  } else if constexpr (kOp == UnaryOp::ScalarPow) {
    return math::pow(alpha, x);
  } else if constexpr (kOp == UnaryOp::NanToNum) {
    if (x != x) return alpha;
    if (x == math::infinity<T>()) return beta;
    if (x == -math::infinity<T>()) return gamma;
    return x;
  } else if constexpr (kOp == UnaryOp::Erf) {
    return math::erf(x);
  } else if constexpr (kOp == UnaryOp::Expm1) {
    return math::expm1(x);
  } else if constexpr (kOp == UnaryOp::Floor) {
    return math::floor(x);
  } else if constexpr (kOp == UnaryOp::Ceil) {
    return math::ceil(x);
  } else if constexpr (kOp == UnaryOp::Round) {
    return math::round_even(x);
  } else if constexpr (kOp == UnaryOp::Trunc) {
    return math::trunc(x);
  } else if constexpr (kOp == UnaryOp::Tan) {
    return math::tan(x);
  } else if constexpr (kOp == UnaryOp::Asin) {
    return math::asin(x);
  } else if constexpr (kOp == UnaryOp::Acos) {
    return math::acos(x);
  } else if constexpr (kOp == UnaryOp::Atan) {
    return math::atan(x);
  } else if constexpr (kOp == UnaryOp::Sinh) {
    return math::sinh(x);
  } else if constexpr (kOp == UnaryOp::Cosh) {
    return math::cosh(x);
  } else if constexpr (kOp == UnaryOp::Asinh) {
    return math::asinh(x);
  } else if constexpr (kOp == UnaryOp::Acosh) {
    return math::acosh(x);
  } else if constexpr (kOp == UnaryOp::Atanh) {
    return math::atanh(x);
  } else if constexpr (kOp == UnaryOp::Log2) {
    return math::log2(x);
  } else if constexpr (kOp == UnaryOp::Log10) {
    return math::log10(x);
  } else if constexpr (kOp == UnaryOp::Erfc) {
    return math::erfc(x);
  } else if constexpr (kOp == UnaryOp::Erfinv) {
    return static_cast<T>(special::erfinv(x));
  } else if constexpr (kOp == UnaryOp::Lgamma) {
    return special::lgamma(x);
  } else if constexpr (kOp == UnaryOp::Digamma) {
    return static_cast<T>(special::digamma(x));
  } else if constexpr (kOp == UnaryOp::Polygamma) {
    return static_cast<T>(special::polygamma(static_cast<int>(alpha), x));
  } else if constexpr (kOp == UnaryOp::I0) {
    return static_cast<T>(special::bessel_i0(x));
  } else if constexpr (kOp == UnaryOp::I0e) {
    return static_cast<T>(special::bessel_i0e(x));
  } else if constexpr (kOp == UnaryOp::I1) {
    return static_cast<T>(special::bessel_i1(x));
  } else if constexpr (kOp == UnaryOp::I1e) {
    return static_cast<T>(special::bessel_i1e(x));
  } else if constexpr (kOp == UnaryOp::K0) {
    return static_cast<T>(special::bessel_k0(x));
  } else if constexpr (kOp == UnaryOp::K0e) {
    return static_cast<T>(special::bessel_k0e(x));
  } else if constexpr (kOp == UnaryOp::K1) {
    return static_cast<T>(special::bessel_k1(x));
  } else if constexpr (kOp == UnaryOp::K1e) {
    return static_cast<T>(special::bessel_k1e(x));
  } else if constexpr (kOp == UnaryOp::J0) {
    return static_cast<T>(special::bessel_j0(x));
  } else if constexpr (kOp == UnaryOp::J1) {
    return static_cast<T>(special::bessel_j1(x));
  } else if constexpr (kOp == UnaryOp::Y0) {
    return static_cast<T>(special::bessel_y0(x));
  } else if constexpr (kOp == UnaryOp::Y1) {
    return static_cast<T>(special::bessel_y1(x));
  } else if constexpr (kOp == UnaryOp::Erfcx) {
    return static_cast<T>(special::erfcx(x));
  } else if constexpr (kOp == UnaryOp::Softplus) {
    return static_cast<T>((x > T(0) ? x : T(0)) + math::log1p(math::exp(-math::abs(x))));
  } else if constexpr (kOp == UnaryOp::Gelu) {
    return static_cast<T>(special::gelu(x));
  } else if constexpr (kOp == UnaryOp::GeluDerivative) {
    return static_cast<T>(special::gelu_derivative(x));
  } else if constexpr (kOp == UnaryOp::Elu) {
    return x > T(0) ? x : alpha * math::expm1(x);
  } else if constexpr (kOp == UnaryOp::EluDerivative) {
    return x > T(0) ? T(1) : alpha * math::exp(x);
  } else if constexpr (kOp == UnaryOp::Ndtri) {
    return static_cast<T>(special::ndtri(x));
  } else {
    static_assert(kOp == UnaryOp::LogicalNot);
    return x == T(0);
  }
}

// out[i] = op(in[i]).
template <UnaryOp kOp, typename T>
struct UnaryKernel {
  UnaryOut<kOp, T>* out;
  const T* in;
  Indexer<2> ix;
  T alpha, beta, gamma;
  MG_HD void operator()(int64_t i) const {
    int64_t off[2];
    ix.offsets(i, off);
    out[off[0]] = unary_value<kOp>(in[off[1]], alpha, beta, gamma);
  }
};

/// The output type of binary op kOp on T: bool for predicates, else T.
template <BinaryOp kOp, typename T>
using BinaryOut = std::conditional_t<is_predicate(kOp), bool, T>;

/// op(x, y) as the CPU backend computes it.
template <BinaryOp kOp, typename T>
MG_HD inline BinaryOut<kOp, T> binary_value(T x, T y) {
  if constexpr (kOp == BinaryOp::Add) {
    return static_cast<T>(x + y);
  } else if constexpr (kOp == BinaryOp::Sub) {
    return static_cast<T>(x - y);
  } else if constexpr (kOp == BinaryOp::Mul) {
    return static_cast<T>(x * y);
  } else if constexpr (kOp == BinaryOp::Div) {
    return x / y;
  } else if constexpr (kOp == BinaryOp::Pow) {
    return math::pow(x, y);
  } else if constexpr (kOp == BinaryOp::Atan2) {
    return math::atan2(x, y);
  } else if constexpr (kOp == BinaryOp::Hypot) {
    return math::hypot(x, y);
  } else if constexpr (kOp == BinaryOp::Igamma) {
    return static_cast<T>(special::gammainc(x, y));
  } else if constexpr (kOp == BinaryOp::Igammac) {
    return static_cast<T>(special::gammaincc(x, y));
  } else if constexpr (kOp == BinaryOp::Zeta) {
    return static_cast<T>(special::zeta(x, y));
  } else if constexpr (kOp == BinaryOp::Remainder) {
    return special::floored_remainder(x, y);
  } else if constexpr (kOp == BinaryOp::Fmod) {
    return special::truncated_remainder(x, y);
  } else if constexpr (kOp == BinaryOp::Maximum || kOp == BinaryOp::Minimum) {
    if constexpr (std::is_floating_point_v<T>)
      if (x != x || y != y) return math::quiet_nan<T>();
    if constexpr (kOp == BinaryOp::Maximum) {
      return x > y ? x : y;
    } else {
      return x < y ? x : y;
    }
  } else if constexpr (kOp == BinaryOp::Eq) {
    return x == y;
  } else if constexpr (kOp == BinaryOp::Ne) {
    return x != y;
  } else if constexpr (kOp == BinaryOp::Lt) {
    return x < y;
  } else if constexpr (kOp == BinaryOp::Le) {
    return x <= y;
  } else if constexpr (kOp == BinaryOp::Gt) {
    return x > y;
  } else if constexpr (kOp == BinaryOp::Ge) {
    return x >= y;
  } else if constexpr (kOp == BinaryOp::LogicalAnd) {
    return (x != T(0)) && (y != T(0));
  } else if constexpr (kOp == BinaryOp::LogicalOr) {
    return (x != T(0)) || (y != T(0));
  } else {
    static_assert(kOp == BinaryOp::LogicalXor);
    return (x != T(0)) != (y != T(0));
  }
}

// out[i] = op(a[i], b[i]).
template <BinaryOp kOp, typename T>
struct BinaryKernel {
  BinaryOut<kOp, T>* out;
  const T* a;
  const T* b;
  Indexer<3> ix;
  MG_HD void operator()(int64_t i) const {
    int64_t off[3];
    ix.offsets(i, off);
    out[off[0]] = binary_value<kOp>(a[off[1]], b[off[2]]);
  }
};

// out[i] = cond[i] ? a[i] : b[i].
template <typename T>
struct WhereKernel {
  T* out;
  const bool* cond;
  const T* a;
  const T* b;
  Indexer<4> ix;
  MG_HD void operator()(int64_t i) const {
    int64_t off[4];
    ix.offsets(i, off);
    out[off[0]] = cond[off[1]] ? a[off[2]] : b[off[3]];
  }
};

/// Calls f(std::integral_constant<E, op>{}) for a runtime value `op` of an enum E whose values
/// are 0 .. kCount - 1.
template <typename E, int kCount, int kI = 0, typename F>
void dispatch_op(E op, F&& f) {
  if constexpr (kI < kCount) {
    if (static_cast<int>(op) == kI) return f(std::integral_constant<E, static_cast<E>(kI)>{});
    return dispatch_op<E, kCount, kI + 1>(op, std::forward<F>(f));
  } else {
    MG_FAIL("elementwise (CUDA): unknown op {}", static_cast<int>(op));
  }
}

}  // namespace kernels

template <typename Executor>
void KernelBackend<Executor>::unary(UnaryOp op, const View& in, const View& out,
                                    UnaryParams params) {
  constexpr int kOps = static_cast<int>(UnaryOp::LogicalNot) + 1;
  kernels::dispatch_all(in.dtype, [&](auto tag) {
    using T = std::decay_t<decltype(tag)>;  // decay: GCC sees a reference in the inner lambda
    const T alpha = static_cast<T>(params.alpha), beta = static_cast<T>(params.beta),
            gamma = static_cast<T>(params.gamma);
    // x ^ 2 is x * x, as on the CPU.
    const UnaryOp run = std::is_floating_point_v<T> && op == UnaryOp::PowScalar && alpha == T(2)
                            ? UnaryOp::Square
                            : op;
    kernels::dispatch_op<UnaryOp, kOps>(run, [&](auto op_tag) {
      constexpr UnaryOp kOp = decltype(op_tag)::value;
      if constexpr (std::is_floating_point_v<T> || kernels::unary_defined_for_integers(kOp)) {
        const int64_t n = out.numel();
        if (n == 0) return;
        const View* views[2] = {&out, &in};
        executor_.for_each(
            n, kernels::UnaryKernel<kOp, T>{static_cast<kernels::UnaryOut<kOp, T>*>(out.data),
                                            static_cast<const T*>(in.data),
                                            kernels::make_indexer<2>(views), alpha, beta, gamma});
      } else {
        MG_FAIL("unary op {} is not defined for integer tensors", static_cast<int>(op));
      }
    });
  });
}

template <typename Executor>
void KernelBackend<Executor>::binary(BinaryOp op, const View& a, const View& b, const View& out) {
  constexpr int kOps = static_cast<int>(BinaryOp::LogicalXor) + 1;
  kernels::dispatch_all(a.dtype, [&](auto tag) {
    using T = std::decay_t<decltype(tag)>;  // decay: GCC sees a reference in the inner lambda
    kernels::dispatch_op<BinaryOp, kOps>(op, [&](auto op_tag) {
      constexpr BinaryOp kOp = decltype(op_tag)::value;
      if constexpr (!is_predicate(kOp) && std::is_same_v<T, bool>) {
        MG_FAIL("arithmetic on bool tensors is not supported; convert to a numeric dtype first");
      } else if constexpr (kOp == BinaryOp::Div && std::is_integral_v<T>) {
        MG_FAIL("div: integer division is not supported; convert to a float dtype first");
      } else if constexpr (kOp == BinaryOp::Pow && std::is_integral_v<T>) {
        MG_FAIL("pow: not supported for integer tensors; convert to a float dtype first");
      } else if constexpr (kOp == BinaryOp::Atan2 && std::is_integral_v<T>) {
        MG_FAIL("atan2: not supported for integer tensors; convert to a float dtype first");
      } else if constexpr (kOp == BinaryOp::Hypot && std::is_integral_v<T>) {
        MG_FAIL("hypot: not supported for integer tensors; convert to a float dtype first");
      } else if constexpr ((kOp == BinaryOp::Igamma || kOp == BinaryOp::Igammac ||
                            kOp == BinaryOp::Zeta) &&
                           std::is_integral_v<T>) {
        MG_FAIL("{}: not supported for integer tensors; convert to a float dtype first",
                kOp == BinaryOp::Igamma    ? "gammainc"
                : kOp == BinaryOp::Igammac ? "gammaincc"
                                           : "zeta");
      } else {
        const int64_t n = out.numel();
        if (n == 0) return;
        const View* views[3] = {&out, &a, &b};
        executor_.for_each(n, kernels::BinaryKernel<kOp, T>{
                                  static_cast<kernels::BinaryOut<kOp, T>*>(out.data),
                                  static_cast<const T*>(a.data), static_cast<const T*>(b.data),
                                  kernels::make_indexer<3>(views)});
      }
    });
  });
}

template <typename Executor>
void KernelBackend<Executor>::where(const View& cond, const View& a, const View& b,
                                    const View& out) {
  const int64_t n = out.numel();
  if (n == 0) return;
  kernels::dispatch_all(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    const View* views[4] = {&out, &cond, &a, &b};
    executor_.for_each(
        n, kernels::WhereKernel<T>{static_cast<T*>(out.data), static_cast<const bool*>(cond.data),
                                   static_cast<const T*>(a.data), static_cast<const T*>(b.data),
                                   kernels::make_indexer<4>(views)});
  });
}

}  // namespace metagrad
