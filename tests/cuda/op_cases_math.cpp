// The elementwise, reduction and matrix-product rows of the CUDA op table (op_cases.hpp).
#include <cmath>
#include <limits>

#include "tests/cuda/op_cases.hpp"

namespace metagrad::testing {
namespace {

using Inputs = std::function<TensorList(DType)>;
using Fn = std::function<TensorList(const TensorList&)>;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One uniform float input of `shape` in [low, high).
Inputs one(const Dims& shape, double low = -2.0, double high = 2.0) {
  return [=](DType d) { return TensorList{uniform(shape, d, 11, low, high)}; };
}
// Two uniform float inputs.
Inputs two(const Dims& a, const Dims& b, double low = -2.0, double high = 2.0) {
  return [=](DType d) {
    return TensorList{uniform(a, d, 21, low, high), uniform(b, d, 22, low, high)};
  };
}
// Float values with many ties (multiples of 0.5 in [-1, 1]), not requiring grad.
Tensor ties(const Dims& shape, DType d, uint64_t seed) {
  return (integers(shape, -2, 3, seed).to(d) * 0.5).detach();
}
// Float values with ties, requiring grad (tie-breaking of gradients).
Tensor tied_leaf(const Dims& shape, DType d, uint64_t seed) {
  return ties(shape, d, seed).requires_grad_(true);
}

OpCase unary(const std::string& name, Tensor (*f)(const Tensor&), double low = -2.0,
             double high = 2.0) {
  return {name, one({3, 5}, low, high), [f](const TensorList& x) { return TensorList{f(x[0])}; }};
}

}  // namespace

std::vector<OpCase> elementwise_cases() {
  std::vector<OpCase> c = {
      unary("neg", neg),
      unary("abs", abs),
      unary("sign", sign),
      unary("exp", exp),
      unary("exp (large |x|)", exp, -100.0, 100.0),
      unary("log", log, 0.2, 3.0),
      unary("log1p", log1p, -0.5, 3.0),
      unary("sqrt", sqrt, 0.2, 3.0),
      unary("rsqrt", rsqrt, 0.2, 3.0),
      unary("square", square),
      unary("sin", sin, -4.0, 4.0),
      unary("cos", cos, -4.0, 4.0),
      unary("tanh", tanh),
      unary("tanh (large |x|)", tanh, -30.0, 30.0),
      unary("sigmoid", sigmoid, -3.0, 3.0),
      unary("sigmoid (large |x|)", sigmoid, -60.0, 60.0),
      unary("relu", relu),
      unary("erf", erf, -3.0, 3.0),
      unary("expm1", expm1),
      unary("floor", floor, -3.0, 3.0),
      unary("ceil", ceil, -3.0, 3.0),
      unary("round", round, -3.0, 3.0),
      unary("trunc", trunc, -3.0, 3.0),
      unary("tan", tan, -1.2, 1.2),
      unary("asin", asin, -0.9, 0.9),
      unary("acos", acos, -0.9, 0.9),
      unary("atan", atan, -3.0, 3.0),
      unary("sinh", sinh),
      unary("cosh", cosh),
      unary("asinh", asinh, -3.0, 3.0),
      unary("acosh", acosh, 1.2, 4.0),
      unary("atanh", atanh, -0.9, 0.9),
      unary("log2", log2, 0.2, 3.0),
      unary("log10", log10, 0.2, 3.0),
      unary("exp2", exp2),
      unary("reciprocal", reciprocal, 0.3, 2.0),
      unary("frac", frac, -3.0, 3.0),
      unary("erfc", erfc, -3.0, 3.0),
      unary("erfinv", erfinv, -0.95, 0.95),
      unary("lgamma", lgamma, 0.3, 5.0),
      unary("lgamma of negatives", lgamma, -2.8, -2.2),
      unary("digamma", digamma, 0.3, 12.0),
      {"polygamma(1), polygamma(3)", one({3, 5}, 0.5, 12.0),
       [](const TensorList& x) {
         return TensorList{polygamma(1, x[0]), polygamma(3, x[0])};
       }},
      unary("i0", i0, -25.0, 25.0),
      unary("i0e", i0e, -25.0, 25.0),
      unary("i1", i1, -25.0, 25.0),
      unary("i1e", i1e, -25.0, 25.0),
      unary("erfcx", erfcx, -3.0, 8.0),
      unary("ndtr", ndtr, -4.0, 4.0),
      unary("log_ndtr", log_ndtr, -12.0, 4.0),
      unary("ndtri", ndtri, 0.02, 0.98),
      unary("sinc", sinc, -3.0, 3.0),
      unary("modified_bessel_k0", modified_bessel_k0, 0.5, 4.0),
      unary("modified_bessel_k1", modified_bessel_k1, 0.5, 4.0),
      unary("scaled_modified_bessel_k0", scaled_modified_bessel_k0, 0.5, 4.0),
      unary("scaled_modified_bessel_k1", scaled_modified_bessel_k1, 0.5, 4.0),
      unary("spherical_bessel_j0", spherical_bessel_j0, -2.0, 2.0),
      unary("bessel_j0", bessel_j0, -30.0, 30.0),
      unary("bessel_j1", bessel_j1, -30.0, 30.0),
      unary("bessel_y0", bessel_y0, 0.5, 30.0),
      unary("bessel_y1", bessel_y1, 0.5, 30.0),
      unary("entr", entr, 0.1, 3.0),
      {"xlog1py, multigammaln", two({3, 5}, {3, 5}, 0.5, 3.0),
       [](const TensorList& x) {
         return TensorList{xlog1py(x[0], x[1]), multigammaln(x[1] + 1.0, 3)};
       }},
      {"gammainc, gammaincc, zeta", two({3, 5}, {3, 5}, 0.5, 3.0),
       [](const TensorList& x) {
         return TensorList{gammainc(x[0], x[1]), gammaincc(x[0], x[1]),
                           zeta(x[0].detach() + 1.5, x[1])};
       }},
      {"joins, scaled sums, calculus, extras", two({3, 5}, {3, 5}, 0.5, 2.0),
       [](const TensorList& x) {
         const TensorList parts = tensor_split(x[0], 2, 1);
         return TensorList{hstack({x[0], x[1]}),
                           parts[0],
                           parts[1],
                           addmm(x[0], narrow(x[1], 1, 0, 3), x[0], 0.5, 2.0),
                           addcdiv(x[0], x[1], x[0], 0.3),
                           trapezoid(x[0], 0.5),
                           cumulative_trapezoid(x[1], x[0], 0),
                           gradient(x[0], std::vector<double>{0.5}, {}, 2)[1],
                           vander(x[0].select(0, 0), 4),
                           renorm(x[1], 2.0, 0, 1.5),
                           copysign(x[0], x[1] - 1.0)};
       },
       5},
      {"logit", one({3, 5}, 0.1, 0.9),
       [](const TensorList& x) {
         return TensorList{logit(x[0]), logit(x[0], 0.3)};
       }},
      {"special functions at their edges",
       [](DType d) {
         return TensorList{tensor({0.0, -0.0, -2.0, 1.0, -1.0, 1.5, kInf, -70000.3}, d)};
       },
       [](const TensorList& x) {
         return TensorList{digamma(x[0]), lgamma(x[0]), polygamma(2, x[0]), erfinv(x[0]),
                           i0e(x[0]),     i1e(x[0]),    erfcx(x[0])};
       },
       1, false},
      {"operator- (unary)", one({4}), [](const TensorList& x) { return TensorList{-x[0]}; }},
      {"clamp", one({3, 5}),
       [](const TensorList& x) { return TensorList{clamp(x[0], -0.5, 0.7)}; }},
      {"clamp min only", one({3, 5}),
       [](const TensorList& x) { return TensorList{clamp(x[0], 0.1, std::nullopt)}; }},
      {"clamp max only", one({3, 5}),
       [](const TensorList& x) { return TensorList{clamp(x[0], std::nullopt, -0.2)}; }},
      {"clamp at its bounds",
       [](DType d) {
         return TensorList{tied_leaf({3, 4}, d, 5)};
       },
       [](const TensorList& x) { return TensorList{clamp(x[0], -0.5, 0.5)}; }},
      {"pow(x, 2.5)", one({3, 5}, 0.3, 2.0),
       [](const TensorList& x) { return TensorList{pow(x[0], 2.5)}; }},
      {"pow(x, 3)", one({3, 5}), [](const TensorList& x) { return TensorList{pow(x[0], 3.0)}; }},
      {"pow(x, -1.5)", one({3, 5}, 0.3, 2.0),
       [](const TensorList& x) { return TensorList{pow(x[0], -1.5)}; }},
      {"pow(x, 0)", one({3, 5}), [](const TensorList& x) { return TensorList{pow(x[0], 0.0)}; }},
      {"pow(1.7, x)", one({3, 5}), [](const TensorList& x) { return TensorList{pow(1.7, x[0])}; }},
      {"nan_to_num",
       [](DType d) {
         return TensorList{
             tensor({1.5, kNaN, kInf, -kInf, -2.0, 0.0}, TensorOptions(d, kCPU, true))};
       },
       [](const TensorList& x) {
         return TensorList{nan_to_num(x[0]), nan_to_num(x[0], 1.0, 7.0, -9.0)};
       }},
      {"isfinite, isnan",
       [](DType d) {
         return TensorList{tensor({1.5, kNaN, kInf, -kInf, 0.0}, d)};
       },
       [](const TensorList& x) {
         return TensorList{isfinite(x[0]), isnan(x[0])};
       },
       1, false},
      {"logical_not",
       [](DType d) {
         return TensorList{ties({3, 4}, d, 6)};
       },
       [](const TensorList& x) {
         return TensorList{logical_not(x[0]), logical_not(ne(x[0], 0.0)),
                           logical_not(x[0].to(kInt64))};
       },
       1, false},
      {"exp of a transposed view", one({4, 3}),
       [](const TensorList& x) { return TensorList{exp(x[0].t())}; }},
      {"sin of a strided slice", one({4, 6}),
       [](const TensorList& x) { return TensorList{sin(x[0].slice(1, 1, std::nullopt, 2))}; }},
      {"empty and 0-d",
       [](DType d) {
         return TensorList{uniform({0, 3}, d, 1), uniform({}, d, 2)};
       },
       [](const TensorList& x) {
         return TensorList{tanh(x[0]), tanh(x[1])};
       }},

      {"add", two({3, 4}, {3, 4}), [](const TensorList& x) { return TensorList{x[0] + x[1]}; }},
      {"add broadcast [3,1,4] + [2,4]", two({3, 1, 4}, {2, 4}),
       [](const TensorList& x) { return TensorList{add(x[0], x[1])}; }},
      {"add with alpha", two({3, 4}, {4}),
       [](const TensorList& x) { return TensorList{add(x[0], x[1], -2.5)}; }},
      {"add scalar", one({3, 4}),
       [](const TensorList& x) {
         return TensorList{x[0] + 1.5, 2.0 + x[0]};
       }},
      {"add 0-d + [2,3]", two({}, {2, 3}),
       [](const TensorList& x) { return TensorList{x[0] + x[1]}; }},
      {"sub", two({3, 4}, {1, 4}), [](const TensorList& x) { return TensorList{x[0] - x[1]}; }},
      {"sub scalar", one({3, 4}),
       [](const TensorList& x) {
         return TensorList{x[0] - 0.5, 3.0 - x[0], sub(x[0], 1.0)};
       }},
      {"mul", two({3, 4}, {3, 4}), [](const TensorList& x) { return TensorList{x[0] * x[1]}; }},
      {"mul transposed by column", two({4, 3}, {4, 1}),
       [](const TensorList& x) { return TensorList{mul(x[0].t(), x[1].t())}; }},
      {"mul scalar", one({3, 4}),
       [](const TensorList& x) {
         return TensorList{x[0] * 3.0, -0.5 * x[0]};
       }},
      {"div",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 1), uniform({3, 4}, d, 2, 0.5, 2)};
       },
       [](const TensorList& x) { return TensorList{x[0] / x[1]}; }},
      {"div scalar", one({3, 4}, 0.5, 2.0),
       [](const TensorList& x) {
         return TensorList{x[0] / 4.0, 2.0 / x[0], div(x[0], -3.0)};
       }},
      {"pow(a, b)", two({3, 4}, {3, 4}, 0.3, 2.0),
       [](const TensorList& x) { return TensorList{pow(x[0], x[1])}; }},
      {"pow(a, b) with a == 0",
       [](DType d) {
         return TensorList{tensor({0.0, 0.0, 1.5, 2.0}, TensorOptions(d, kCPU, true)),
                           tensor({2.0, 0.5, 1.5, -1.0}, TensorOptions(d, kCPU, true))};
       },
       [](const TensorList& x) { return TensorList{pow(x[0], x[1])}; }},
      {"maximum, minimum", two({3, 4}, {4}),
       [](const TensorList& x) {
         return TensorList{maximum(x[0], x[1]), minimum(x[0], x[1])};
       }},
      {"maximum, minimum with ties",
       [](DType d) {
         return TensorList{tied_leaf({3, 4}, d, 7), tied_leaf({3, 4}, d, 8)};
       },
       [](const TensorList& x) {
         return TensorList{maximum(x[0], x[1]), minimum(x[0], x[1])};
       }},
      {"maximum with NaN",
       [](DType d) {
         return TensorList{tensor({kNaN, 1.0, 2.0}, d), tensor({0.0, kNaN, 3.0}, d)};
       },
       [](const TensorList& x) {
         return TensorList{maximum(x[0], x[1]), minimum(x[0], x[1])};
       },
       1, false},
      {"atan2, hypot", two({3, 4}, {4}),
       [](const TensorList& x) {
         return TensorList{atan2(x[0], x[1]), hypot(x[0], x[1])};
       }},
      {"remainder, fmod",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 1, -5.0, 5.0), uniform({4}, d, 2, 0.7, 1.9)};
       },
       [](const TensorList& x) {
         return TensorList{remainder(x[0], x[1]), fmod(x[0], x[1]), remainder(x[0], -x[1]),
                           fmod(x[0], -1.5)};
       }},
      {"remainder, fmod of int64",
       [](DType) {
         return TensorList{integers({3, 4}, -9, 10, 4), integers({3, 4}, 1, 5, 5)};
       },
       [](const TensorList& x) {
         return TensorList{remainder(x[0], x[1]), fmod(x[0], x[1]), remainder(x[0], -x[1]),
                           fmod(x[0], -x[1])};
       },
       1, false},
      {"logaddexp, logaddexp2", two({3, 4}, {4}, -30.0, 30.0),
       [](const TensorList&
              x) { return TensorList{logaddexp(x[0], x[1]), logaddexp2(x[0], x[1])}; }},
      {"logaddexp with ties",
       [](DType d) {
         return TensorList{tied_leaf({3, 4}, d, 7), tied_leaf({3, 4}, d, 8)};
       },
       [](const TensorList& x) { return TensorList{logaddexp(x[0], x[1])}; }},
      {"lerp",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 1), uniform({3, 4}, d, 2),
                           uniform({4}, d, 3, -0.5, 1.5)};
       },
       [](const TensorList& x) {
         return TensorList{lerp(x[0], x[1], x[2]), lerp(x[0], x[1], 0.25), lerp(x[0], x[1], 0.8)};
       }},
      {"xlogy",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 1), uniform({3, 4}, d, 2, 0.2, 3.0)};
       },
       [](const TensorList& x) { return TensorList{xlogy(x[0], x[1])}; }},
      {"where",
       [](DType d) {
         return TensorList{uniform({3, 4}, d, 1), uniform({4}, d, 2), ties({3, 1}, d, 3)};
       },
       [](const TensorList& x) {
         const Tensor cond = gt(x[2], 0.0);
         return TensorList{where(cond, x[0], x[1]), where(cond, x[0], 2.0),
                           where(cond, -1.0, x[1])};
       }},
      {"comparisons",
       [](DType d) {
         return TensorList{ties({3, 4}, d, 1), ties({4}, d, 2)};
       },
       [](const TensorList& x) {
         return TensorList{eq(x[0], x[1]), ne(x[0], x[1]), lt(x[0], x[1]),
                           le(x[0], x[1]), gt(x[0], x[1]), ge(x[0], x[1])};
       },
       1, false},
      {"comparisons with a scalar",
       [](DType d) {
         return TensorList{ties({3, 4}, d, 3)};
       },
       [](const TensorList& x) {
         return TensorList{eq(x[0], 0.5), ne(x[0], 0.5), lt(x[0], 0.5),
                           le(x[0], 0.5), gt(x[0], 0.5), ge(x[0], 0.5)};
       },
       1, false},
      {"comparisons of int64 and bool",
       [](DType) {
         return TensorList{integers({3, 4}, -2, 3, 4), integers({3, 4}, -2, 3, 5)};
       },
       [](const TensorList& x) {
         const Tensor a = gt(x[0], 0.0), b = gt(x[1], 0.0);
         return TensorList{lt(x[0], x[1]), eq(x[0], x[1]), ge(x[0], 1.0), eq(a, b), lt(a, b)};
       },
       1, false},
      {"logical and/or/xor",
       [](DType d) {
         return TensorList{ties({3, 4}, d, 1), ties({4}, d, 2)};
       },
       [](const TensorList& x) {
         const Tensor b = gt(x[1], 0.0);
         return TensorList{logical_and(x[0], x[1]), logical_or(x[0], b), logical_xor(x[0], x[1]),
                           logical_and(gt(x[0], 0.0), b)};
       },
       1, false},
      {"int64 arithmetic",
       [](DType) {
         return TensorList{integers({3, 4}, -5, 6, 4), integers({4}, -5, 6, 5)};
       },
       [](const TensorList& x) {
         return TensorList{x[0] + x[1], x[0] - x[1], x[0] * x[1], x[0] * 3.0, neg(x[0])};
       },
       1, false},
  };
  return c;
}

std::vector<OpCase> reduction_and_linalg_cases() {
  std::vector<OpCase> c = {
      {"sum all", one({4, 5}), [](const TensorList& x) { return TensorList{sum(x[0])}; }, 20},
      {"sum dims", one({3, 4, 5}),
       [](const TensorList& x) {
         return TensorList{sum(x[0], {1}), sum(x[0], {0, 2}, true), sum(x[0], {-1})};
       },
       20},
      {"sum of a permuted view", one({3, 4, 5}),
       [](const TensorList& x) {
         return TensorList{sum(x[0].permute({2, 0, 1}), {1}),
                           sum(x[0].transpose(0, 2).contiguous(), {})};
       },
       60},
      {"sum of 3000 elements", one({3, 1000}),
       [](const TensorList& x) {
         return TensorList{sum(x[0]), sum(x[0], {1}), sum(x[0], {0})};
       },
       3000},
      {"sum of int64 and bool",
       [](DType) {
         return TensorList{integers({3, 4}, -5, 6, 9)};
       },
       [](const TensorList& x) {
         return TensorList{sum(x[0]), sum(x[0], {0}), sum(gt(x[0], 0.0), {1})};
       },
       1, false},
      {"sum over an empty dim", one({0, 3}),
       [](const TensorList& x) {
         return TensorList{sum(x[0], {0}), sum(x[0])};
       }},
      {"mean", one({3, 4, 5}),
       [](const TensorList& x) {
         return TensorList{mean(x[0]), mean(x[0], {0, 2}), mean(x[0], {1}, true)};
       },
       60},
      {"mean of nothing is NaN", one({0, 3}),
       [](const TensorList& x) { return TensorList{mean(x[0], {0})}; }, 1, false},
      {"amax, amin", one({3, 4, 5}),
       [](const TensorList& x) {
         return TensorList{amax(x[0]), amax(x[0], {1}), amin(x[0], {0, 2}, true), amin(x[0])};
       }},
      {"amax, amin with ties",
       [](DType d) {
         return TensorList{tied_leaf({4, 6}, d, 3)};
       },
       [](const TensorList& x) {
         return TensorList{amax(x[0], {1}), amin(x[0], {0}), amax(x[0])};
       }},
      {"max, min along a dim", one({3, 4, 5}),
       [](const TensorList& x) {
         auto [v0, i0] = max(x[0], 1);
         auto [v1, i1] = min(x[0], -1, true);
         auto [v2, i2] = max(x[0].transpose(0, 2), 0);
         return TensorList{v0, i0, v1, i1, v2, i2, max(x[0]), min(x[0])};
       }},
      {"max, min along a dim with ties (first index)",
       [](DType d) {
         return TensorList{tied_leaf({5, 6}, d, 4)};
       },
       [](const TensorList& x) {
         auto [v0, i0] = max(x[0], 1);
         auto [v1, i1] = min(x[0], 0);
         return TensorList{v0, i0, v1, i1};
       }},
      {"max with NaN",
       [](DType d) {
         return TensorList{tensor({1.0, kNaN, 3.0, -1.0, 2.0, 0.5}, {2, 3}, d)};
       },
       [](const TensorList& x) {
         auto [v, i] = max(x[0], 1);
         return TensorList{v, i, amax(x[0], {1}), amin(x[0], {0})};
       },
       1, false},
      {"prod", one({3, 4}, 0.5, 1.5),
       [](const TensorList& x) {
         return TensorList{prod(x[0]), prod(x[0], 1), prod(x[0], 0, true)};
       },
       12},
      {"prod with zeros",
       [](DType d) {
         return TensorList{tensor({1.5, 0.0, -2.0, 0.5, 0.0, 0.0, 3.0, 1.0, -1.0}, {3, 3},
                                  TensorOptions(d, kCPU, true))};
       },
       [](const TensorList& x) {
         return TensorList{prod(x[0], 1), prod(x[0], 0), prod(x[0])};
       },
       9},
      {"norm", one({3, 4}),
       [](const TensorList& x) {
         return TensorList{norm(x[0]),
                           norm(x[0], 1.0),
                           norm(x[0], kInf, {1}),
                           norm(x[0], -kInf, {0}),
                           norm(x[0], 3.0, {1}, true),
                           norm(x[0], 0.5, {0})};
       },
       12},
      {"norm p = 0", one({3, 4}),
       [](const TensorList& x) {
         return TensorList{norm(x[0], 0.0), norm(x[0], 0.0, {1})};
       },
       12},
      {"var, std", one({3, 5}),
       [](const TensorList& x) {
         return TensorList{var(x[0]), var(x[0], {1}), var(x[0], {0}, false, true), std(x[0]),
                           std(x[0], {1}, false)};
       },
       15},
      {"logsumexp", one({3, 5}, -50.0, 50.0),
       [](const TensorList& x) {
         return TensorList{logsumexp(x[0], {1}), logsumexp(x[0], {0, 1}, true)};
       },
       15},
      {"all, any",
       [](DType d) {
         return TensorList{ties({4, 5}, d, 8)};
       },
       [](const TensorList& x) {
         const Tensor m = ge(x[0], -0.5);
         return TensorList{all(m),    any(m),        all(m, {1}), any(eq(x[0], 1.0), {0}, true),
                           all(x[0]), any(x[0], {1})};
       },
       1, false},

      {"matmul 2-D", two({3, 4}, {4, 5}),
       [](const TensorList& x) { return TensorList{matmul(x[0], x[1])}; }, 4},
      {"matmul of transposed operands", two({4, 3}, {5, 4}),
       [](const TensorList& x) {
         return TensorList{matmul(x[0].t(), x[1].t()), matmul(x[1], x[0])};
       },
       5},
      {"matmul 1-D with 1-D, 2-D",
       [](DType d) {
         return TensorList{uniform({4}, d, 1), uniform({4, 3}, d, 2), uniform({4}, d, 3)};
       },
       [](const TensorList& x) {
         return TensorList{matmul(x[0], x[2]), matmul(x[0], x[1]), matmul(x[1].t(), x[2])};
       },
       4},
      {"matmul batched", two({2, 3, 4}, {2, 4, 5}),
       [](const TensorList& x) { return TensorList{matmul(x[0], x[1])}; }, 4},
      {"matmul with broadcast batch dims", two({2, 1, 3, 4}, {3, 4, 2}),
       [](const TensorList& x) { return TensorList{matmul(x[0], x[1])}; }, 4},
      {"matmul batched with a 2-D operand", two({2, 3, 4}, {4, 2}),
       [](const TensorList& x) {
         return TensorList{matmul(x[0], x[1]), matmul(x[1].t(), x[0].transpose(1, 2))};
       },
       4},
      {"matmul of a permuted batch", two({3, 2, 4}, {4, 3, 5}),
       [](const TensorList& x) {
         return TensorList{matmul(x[0].transpose(0, 1), x[1].permute({1, 0, 2}).slice(0, 0, 2))};
       },
       4},
      {"matmul with inner size 0", two({3, 0}, {0, 2}),
       [](const TensorList& x) { return TensorList{matmul(x[0], x[1])}; }},
      {"matmul 64 deep", two({5, 64}, {64, 6}),
       [](const TensorList& x) { return TensorList{matmul(x[0], x[1])}; }, 64},
      {"matmul of operands strided in both dims (copied before cuBLAS)", two({6, 8}, {8, 10}),
       [](const TensorList& x) {
         const Tensor a = x[0].slice(0, 0, std::nullopt, 2).slice(1, 0, std::nullopt, 2);
         const Tensor b = x[1].slice(0, 0, std::nullopt, 2).slice(1, 0, std::nullopt, 2);
         return TensorList{matmul(a, b), matmul(a.t(), a), matmul(b, b.t())};
       },
       4},
      {"linalg::solve",
       [](DType d) {
         const Tensor a = uniform({4, 4}, d, 1, -1, 1, false) + 3.0 * eye(4, -1, d);
         return TensorList{a.detach().requires_grad_(), uniform({4}, d, 2), uniform({4, 2}, d, 3)};
       },
       [](const TensorList& x) {
         return TensorList{linalg::solve(x[0], x[1]), linalg::solve(x[0].t(), x[2])};
       },
       16},
      {"linalg::solve batched, inv, det, slogdet, logdet, lu_factor, lu_solve",
       [](DType d) {
         const Tensor a = uniform({2, 3, 3}, d, 1, -1, 1, false) + 3.0 * eye(3, -1, d);
         return TensorList{a.detach().requires_grad_(), uniform({3, 2}, d, 2)};
       },
       [](const TensorList& x) {
         const linalg::LuFactorResult lu = linalg::lu_factor(x[0]);
         return TensorList{linalg::solve(x[0], x[1]),
                           linalg::inv(x[0]),
                           linalg::det(x[0]),
                           linalg::slogdet(x[0]).logabsdet,
                           logdet(x[0]),
                           lu.LU,
                           linalg::lu_solve(lu.LU, lu.pivots, x[1].expand({2, 3, 2}), true, true)};
       },
       16},
      {"linalg::cholesky, solve_triangular, cholesky_solve, eigh",
       [](DType d) {
         return TensorList{uniform({2, 3, 3}, d, 1), uniform({2, 3, 2}, d, 2)};
       },
       [](const TensorList& x) {
         const Tensor identity = eye(3, -1, TensorOptions(x[0].dtype(), x[0].device()));
         const Tensor spd = matmul(x[0], x[0].transpose(-2, -1)) + 3.0 * identity;
         const Tensor l = linalg::cholesky(spd);
         const linalg::EighResult e = linalg::eigh(spd);
         return TensorList{l,
                           linalg::cholesky_ex(spd).L,
                           linalg::solve_triangular(l, x[1], false),
                           linalg::solve_triangular(l.transpose(-2, -1), x[1], true, true, true),
                           cholesky_solve(x[1], l),
                           e.eigenvalues,
                           e.eigenvectors * e.eigenvectors};
       },
       16},
      {"linalg::qr, svd, pinv, lstsq, cond",
       [](DType d) {
         const Tensor tall = uniform({2, 4, 3}, d, 1, -1, 1, false) + 2.0 * eye(4, 3, d);
         return TensorList{tall.detach().requires_grad_(), uniform({2, 4, 2}, d, 2)};
       },
       [](const TensorList& x) {
         const linalg::QrResult qr = linalg::qr(x[0]);
         const linalg::SvdResult svd = linalg::svd(x[0], false);
         return TensorList{qr.Q,
                           qr.R,
                           svd.S,
                           svd.U * svd.U,
                           linalg::pinv(x[0]),
                           linalg::lstsq(x[0], x[1]).solution,
                           linalg::cond(x[0]),
                           linalg::matrix_norm(x[0], "nuc")};
       },
       16},
      {"linalg norms, multi_dot, matrix_power, cross",
       [](DType d) {
         const Tensor a = uniform({3, 3}, d, 1, -1, 1, false) + 2.0 * eye(3, -1, d);
         return TensorList{a.detach().requires_grad_(), uniform({3, 4}, d, 2),
                           uniform({4, 3}, d, 3)};
       },
       [](const TensorList& x) {
         return TensorList{linalg::matrix_norm(x[0]),
                           linalg::matrix_norm(x[0], 1.0),
                           linalg::vector_norm(x[1], 3.0, {-1}),
                           linalg::multi_dot({x[0], x[1], x[2]}),
                           linalg::matrix_power(x[0], -2),
                           linalg::matrix_exp(x[0]),
                           linalg::cross(x[0], x[2].slice(0, 0, 3))};
       },
       16},
      {"dot, outer, mv, mm",
       [](DType d) {
         return TensorList{uniform({4}, d, 1), uniform({4}, d, 2), uniform({3, 4}, d, 3)};
       },
       [](const TensorList& x) {
         return TensorList{dot(x[0], x[1]), outer(x[0], x[1]), mv(x[2], x[0]),
                           mm(x[2], outer(x[0], x[1]))};
       },
       16},
  };
  return c;
}

}  // namespace metagrad::testing
