#include <Eigen/Core>
#include <cmath>
#include <limits>
#include <type_traits>

#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"

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
        *reinterpret_cast<T*>(p[0] + i * s[0]) = scalar(*reinterpret_cast<const T*>(p[1] + i * s[1]));
    }
  });
}

template <typename T>
void unary_floating(UnaryOp op, const View& in, const View& out, UnaryParams prm) {
  const T alpha = static_cast<T>(prm.alpha), beta = static_cast<T>(prm.beta),
          gamma = static_cast<T>(prm.gamma);
  switch (op) {
    case UnaryOp::Neg:
      return eigen_unary<T>(in, out, [](T x) { return -x; }, [](const auto& a) { return -a; });
    case UnaryOp::Abs:
      return eigen_unary<T>(in, out, [](T x) { return std::abs(x); },
                            [](const auto& a) { return a.abs(); });
    case UnaryOp::Sign:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>((T(0) < x) - (x < T(0))); });
    case UnaryOp::Exp:
      return eigen_unary<T>(in, out, [](T x) { return std::exp(x); },
                            [](const auto& a) { return a.exp(); });
    case UnaryOp::Log:
      return eigen_unary<T>(in, out, [](T x) { return std::log(x); },
                            [](const auto& a) { return a.log(); });
    case UnaryOp::Log1p:
      return unary_loop<T, T>(in, out, [](T x) { return std::log1p(x); });
    case UnaryOp::Sqrt:
      return eigen_unary<T>(in, out, [](T x) { return std::sqrt(x); },
                            [](const auto& a) { return a.sqrt(); });
    case UnaryOp::Rsqrt:
      return eigen_unary<T>(in, out, [](T x) { return T(1) / std::sqrt(x); },
                            [](const auto& a) { return a.rsqrt(); });
    case UnaryOp::Square:
      return eigen_unary<T>(in, out, [](T x) { return x * x; },
                            [](const auto& a) { return a.square(); });
    case UnaryOp::Sin:
      return eigen_unary<T>(in, out, [](T x) { return std::sin(x); },
                            [](const auto& a) { return a.sin(); });
    case UnaryOp::Cos:
      return eigen_unary<T>(in, out, [](T x) { return std::cos(x); },
                            [](const auto& a) { return a.cos(); });
    case UnaryOp::Tanh:
      return eigen_unary<T>(in, out, [](T x) { return std::tanh(x); },
                            [](const auto& a) { return a.tanh(); });
    case UnaryOp::Sigmoid:
      return unary_loop<T, T>(in, out, [](T x) { return T(1) / (T(1) + std::exp(-x)); });
    case UnaryOp::Relu:
      return eigen_unary<T>(in, out, [](T x) { return x > T(0) ? x : T(0); },
                            [](const auto& a) { return a.max(T(0)); });
    case UnaryOp::Clamp:
      return unary_loop<T, T>(in, out, [=](T x) {
        if (std::isnan(x)) return x;
        return x < alpha ? alpha : (x > beta ? beta : x);
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
    case UnaryOp::LogicalNot:
      return unary_loop<bool, T>(in, out, [](T x) { return x == T(0); });
  }
}

template <typename T>
void unary_integral(UnaryOp op, const View& in, const View& out) {
  switch (op) {
    case UnaryOp::Neg: return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(-x); });
    case UnaryOp::Abs:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(x < 0 ? -x : x); });
    case UnaryOp::Sign:
      return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>((T(0) < x) - (x < T(0))); });
    case UnaryOp::Square: return unary_loop<T, T>(in, out, [](T x) { return static_cast<T>(x * x); });
    case UnaryOp::LogicalNot: return unary_loop<bool, T>(in, out, [](T x) { return x == T(0); });
    default: MG_FAIL("unary op {} is not defined for integer tensors", static_cast<int>(op));
  }
}

template <typename T>
bool pred(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Eq: return a == b;
    case BinaryOp::Ne: return a != b;
    case BinaryOp::Lt: return a < b;
    case BinaryOp::Le: return a <= b;
    case BinaryOp::Gt: return a > b;
    case BinaryOp::Ge: return a >= b;
    case BinaryOp::LogicalAnd: return (a != T(0)) && (b != T(0));
    case BinaryOp::LogicalOr: return (a != T(0)) || (b != T(0));
    case BinaryOp::LogicalXor: return (a != T(0)) != (b != T(0));
    default: return false;
  }
}

template <typename T, typename F>
void binary_loop(const View& a, const View& b, const View& out, F f) {
  StridedLoop<3>({&out, &a, &b}).run([&](char** p, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == sizeof(T)) {
      T* o = reinterpret_cast<T*>(p[0]);
      const T* x = reinterpret_cast<const T*>(p[1]);
      const T* y = reinterpret_cast<const T*>(p[2]);
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == 0) {
      T* o = reinterpret_cast<T*>(p[0]);
      const T* x = reinterpret_cast<const T*>(p[1]);
      const T y = *reinterpret_cast<const T*>(p[2]);
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y);
    } else if (s[0] == sizeof(T) && s[1] == 0 && s[2] == sizeof(T)) {
      T* o = reinterpret_cast<T*>(p[0]);
      const T x = *reinterpret_cast<const T*>(p[1]);
      const T* y = reinterpret_cast<const T*>(p[2]);
      for (int64_t i = 0; i < n; ++i) o[i] = f(x, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<T*>(p[0] + i * s[0]) = f(*reinterpret_cast<const T*>(p[1] + i * s[1]),
                                                   *reinterpret_cast<const T*>(p[2] + i * s[2]));
    }
  });
}

template <typename T>
void arithmetic(BinaryOp op, const View& a, const View& b, const View& out) {
  switch (op) {
    case BinaryOp::Add: return binary_loop<T>(a, b, out, [](T x, T y) { return static_cast<T>(x + y); });
    case BinaryOp::Sub: return binary_loop<T>(a, b, out, [](T x, T y) { return static_cast<T>(x - y); });
    case BinaryOp::Mul: return binary_loop<T>(a, b, out, [](T x, T y) { return static_cast<T>(x * y); });
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
    default: break;
  }
}

}  // namespace

void CpuBackend::unary(UnaryOp op, const View& in, const View& out, UnaryParams params) {
  switch (in.dtype) {
    case DType::Float32: return unary_floating<float>(op, in, out, params);
    case DType::Float64: return unary_floating<double>(op, in, out, params);
    case DType::Int64: return unary_integral<int64_t>(op, in, out);
    case DType::Bool: return unary_integral<bool>(op, in, out);
  }
}

void CpuBackend::binary(BinaryOp op, const View& a, const View& b, const View& out) {
  MG_DISPATCH_ALL(a.dtype, [&](auto tag) {
    using T = decltype(tag);
    if (is_predicate(op)) {
      StridedLoop<3>({&out, &a, &b}).run([&](char** p, const int64_t* s, int64_t n) {
        for (int64_t i = 0; i < n; ++i)
          *reinterpret_cast<bool*>(p[0] + i * s[0]) =
              pred<T>(op, *reinterpret_cast<const T*>(p[1] + i * s[1]),
                      *reinterpret_cast<const T*>(p[2] + i * s[2]));
      });
    } else if constexpr (std::is_same_v<T, bool>) {
      MG_FAIL("arithmetic on bool tensors is not supported; convert to a numeric dtype first");
    } else {
      arithmetic<T>(op, a, b, out);
    }
  });
}

void CpuBackend::where(const View& cond, const View& a, const View& b, const View& out) {
  MG_DISPATCH_ALL(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    StridedLoop<4>({&out, &cond, &a, &b}).run([&](char** p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<T*>(p[0] + i * s[0]) =
            *reinterpret_cast<const bool*>(p[1] + i * s[1])
                ? *reinterpret_cast<const T*>(p[2] + i * s[2])
                : *reinterpret_cast<const T*>(p[3] + i * s[3]);
    });
  });
}

}  // namespace metagrad::cpu
