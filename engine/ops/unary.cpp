#include "engine/ops/unary.hpp"

#include <cmath>
#include <limits>
#include <numbers>

#include "engine/ops/unary_support.hpp"

namespace metagrad {

using detail::unary_forward;
using detail::unary_with_input;
using detail::unary_with_output;

Tensor neg(const Tensor& x) {
  detail::check_defined(x, "neg");
  MG_CHECK(x.dtype() != kBool,
           "neg: negation (the - operator) on a bool tensor is not supported (shape {}); use "
           "logical_not() instead",
           shape_str(x.shape()));
  Tensor out = unary_forward(UnaryOp::Neg, x, "neg", {}, false);
  // d(-x) = -dx
  if (is_floating(x.dtype()) && needs_grad(x))
    record("NegBackward", {x}, {out},
           [](const TensorList& g, Node&) -> TensorList { return {neg(g[0])}; });
  return out;
}

Tensor operator-(const Tensor& x) { return neg(x); }

Tensor abs(const Tensor& x) {
  // d|x| = sign(x) dx
  return unary_with_input(UnaryOp::Abs, x, "abs", "AbsBackward",
                          [](const Tensor& g, const Tensor& in) { return g * sign(in); });
}

Tensor sign(const Tensor& x) {
  detail::check_defined(x, "sign");
  Tensor out = unary_forward(UnaryOp::Sign, x, "sign", {}, false);
  // d sign(x) = 0
  if (is_floating(x.dtype()) && needs_grad(x))
    record("SignBackward", {x}, {out},
           [](const TensorList& g, Node&) -> TensorList { return {zeros_like(g[0])}; });
  return out;
}

Tensor exp(const Tensor& x) {
  // d e^x = e^x dx
  return unary_with_output(UnaryOp::Exp, x, "exp", "ExpBackward",
                           [](const Tensor& g, const Tensor& y) { return g * y; });
}

Tensor log(const Tensor& x) {
  // d log x = dx / x
  return unary_with_input(UnaryOp::Log, x, "log", "LogBackward",
                          [](const Tensor& g, const Tensor& in) { return g / in; });
}

Tensor log1p(const Tensor& x) {
  // d log(1+x) = dx / (1 + x)
  return unary_with_input(UnaryOp::Log1p, x, "log1p", "Log1pBackward",
                          [](const Tensor& g, const Tensor& in) { return g / (in + 1.0); });
}

Tensor sqrt(const Tensor& x) {
  // d sqrt(x) = dx / (2 sqrt(x))
  return unary_with_output(UnaryOp::Sqrt, x, "sqrt", "SqrtBackward",
                           [](const Tensor& g, const Tensor& y) { return g / (y * 2.0); });
}

Tensor rsqrt(const Tensor& x) {
  // d x^(-1/2) = -1/2 x^(-3/2) dx = -0.5 y^3 dx
  return unary_with_output(UnaryOp::Rsqrt, x, "rsqrt", "RsqrtBackward",
                           [](const Tensor& g, const Tensor& y) { return g * (y * y * y) * -0.5; });
}

Tensor square(const Tensor& x) {
  // d x^2 = 2x dx
  return unary_with_input(UnaryOp::Square, x, "square", "SquareBackward",
                          [](const Tensor& g, const Tensor& in) { return g * in * 2.0; });
}

Tensor sin(const Tensor& x) {
  // d sin x = cos x dx
  return unary_with_input(UnaryOp::Sin, x, "sin", "SinBackward",
                          [](const Tensor& g, const Tensor& in) { return g * cos(in); });
}

Tensor cos(const Tensor& x) {
  // d cos x = -sin x dx
  return unary_with_input(UnaryOp::Cos, x, "cos", "CosBackward",
                          [](const Tensor& g, const Tensor& in) { return g * -sin(in); });
}

Tensor tanh(const Tensor& x) {
  // d tanh x = (1 - tanh^2 x) dx
  return unary_with_output(UnaryOp::Tanh, x, "tanh", "TanhBackward",
                           [](const Tensor& g, const Tensor& y) { return g * (1.0 - y * y); });
}

Tensor sigmoid(const Tensor& x) {
  // d s(x) = s(x) (1 - s(x)) dx
  return unary_with_output(UnaryOp::Sigmoid, x, "sigmoid", "SigmoidBackward",
                           [](const Tensor& g, const Tensor& y) { return g * y * (1.0 - y); });
}

Tensor relu(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::Relu, x, "relu");
  if (needs_grad(x)) {
    // The bool mask [y > 0] is saved, not y: a quarter of float32 y's bytes, and the same mask
    // serves the backward's own backward (where's).
    Tensor mask;
    {
      NoGradGuard no_grad;
      mask = gt(out, 0.0);
    }
    const SavedTensor saved_mask(mask, false);
    // d relu(x) = [x > 0] dx
    record("ReluBackward", {x}, {out},
           [saved_mask](const TensorList& g, Node& self) -> TensorList {
             return {where(saved_mask.unpack(self), g[0], 0.0)};
           },
           {{"mask", saved_mask}});
  }
  return out;
}

Tensor clamp(const Tensor& x, std::optional<double> min, std::optional<double> max) {
  const double inf = std::numeric_limits<double>::infinity();
  const double lo = min.value_or(-inf), hi = max.value_or(inf);
  // d clamp(x) = [lo <= x <= hi] dx
  return unary_with_input(
      UnaryOp::Clamp, x, "clamp", "ClampBackward",
      [lo, hi](const Tensor& g, const Tensor& in) {
        return where(logical_and(ge(in, lo), le(in, hi)), g, 0.0);
      },
      UnaryParams{lo, hi, 0});
}

Tensor pow(const Tensor& x, double exponent) {
  if (exponent == 1.0) return x.clone();
  // d x^p = p x^(p-1) dx
  return unary_with_input(
      UnaryOp::PowScalar, x, "pow", "PowBackward",
      [exponent](const Tensor& g, const Tensor& in) {
        if (exponent == 0.0) return zeros_like(g);
        if (exponent == 2.0) return g * in * 2.0;
        return g * pow(in, exponent - 1.0) * exponent;
      },
      UnaryParams{exponent, 0, 0});
}

Tensor pow(double base, const Tensor& x) {
  // d b^x = b^x log(b) dx
  Tensor out = unary_forward(UnaryOp::ScalarPow, x, "pow", UnaryParams{base, 0, 0});
  if (needs_grad(x)) {
    record("PowBackward", {x}, {out},
           [saved = SavedTensor(out, true), base](const TensorList& g, Node& self) -> TensorList {
             return {g[0] * saved.unpack(self) * std::log(base)};
           });
  }
  return out;
}

Tensor nan_to_num(const Tensor& x, double nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
  detail::check_floating(x, "nan_to_num");
  const bool is_f32 = x.dtype() == kFloat32;
  const double big =
      is_f32 ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
  // d nan_to_num(x) = [x finite] dx
  return unary_with_input(
      UnaryOp::NanToNum, x, "nan_to_num", "NanToNumBackward",
      [](const Tensor& g, const Tensor& in) { return where(isfinite(in), g, 0.0); },
      UnaryParams{nan, posinf.value_or(big), neginf.value_or(-big)});
}

Tensor erf(const Tensor& x) {
  // d erf(x) = 2 / sqrt(pi) exp(-x^2) dx
  return unary_with_input(UnaryOp::Erf, x, "erf", "ErfBackward",
                          [](const Tensor& g, const Tensor& in) {
                            return g * exp(-square(in)) * (2.0 / std::sqrt(std::numbers::pi));
                          });
}

Tensor expm1(const Tensor& x) {
  // d (e^x - 1) = e^x dx = (y + 1) dx
  return unary_with_output(UnaryOp::Expm1, x, "expm1", "Expm1Backward",
                           [](const Tensor& g, const Tensor& y) { return g * (y + 1.0); });
}

namespace {

// floor, ceil, round and trunc: integer tensors are returned as copies (they are integral
// already, as in PyTorch); the gradient is zero almost everywhere, so none is recorded beyond
// a zero one.
Tensor rounding(UnaryOp op, const Tensor& x, const char* name, const char* node) {
  detail::check_defined(x, name);
  MG_CHECK(x.dtype() != kBool,
           "{}: not defined for bool tensors (shape {}); convert to a numeric "
           "dtype first",
           name, shape_str(x.shape()));
  if (!is_floating(x.dtype())) return clone(x);
  Tensor out = unary_forward(op, x, name);
  // d round(x) = 0
  if (needs_grad(x))
    record(node, {x}, {out},
           [](const TensorList& g, Node&) -> TensorList { return {zeros_like(g[0])}; });
  return out;
}

}  // namespace

Tensor floor(const Tensor& x) { return rounding(UnaryOp::Floor, x, "floor", "FloorBackward"); }

Tensor ceil(const Tensor& x) { return rounding(UnaryOp::Ceil, x, "ceil", "CeilBackward"); }

Tensor round(const Tensor& x) { return rounding(UnaryOp::Round, x, "round", "RoundBackward"); }

Tensor trunc(const Tensor& x) { return rounding(UnaryOp::Trunc, x, "trunc", "TruncBackward"); }

Tensor isfinite(const Tensor& x) {
  detail::check_defined(x, "isfinite");
  if (!is_floating(x.dtype())) return ones(x.shape(), TensorOptions(kBool, x.device()));
  NoGradGuard no_grad;
  return logical_not(isnan(x - x));  // inf - inf and nan - nan are nan
}

Tensor isnan(const Tensor& x) {
  detail::check_defined(x, "isnan");
  if (!is_floating(x.dtype())) return zeros(x.shape(), TensorOptions(kBool, x.device()));
  NoGradGuard no_grad;
  return ne(x, x);
}

Tensor logical_not(const Tensor& x) {
  return unary_forward(UnaryOp::LogicalNot, x, "logical_not", {}, false);
}

}  // namespace metagrad
