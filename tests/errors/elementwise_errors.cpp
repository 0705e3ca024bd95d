// Error inputs of the elementwise (binary and unary) ops and the reductions.
#include <cmath>
#include <limits>

#include "tests/errors/error_table.hpp"

namespace metagrad::testing {
namespace {

ErrorTable binary_cases() {
  return {
      {"add",
       "shapes that do not broadcast",
       [] {
         (void)add(f32({2, 3}), f32({4}));
       },
       {"add: shapes [2, 3] and [4] cannot be broadcast together"}},
      {"add",
       "float32 + float64",
       [] { (void)add(f32({2}), f64({2})); },
       {"add: dtype mismatch: float32 [2] and float64 [2]"}},
      {"add",
       "cpu + cuda",
       [] {
         ScopedEmulatedCuda cuda;
         (void)add(f32({2}), on_cuda({2}));
       },
       {"add: expected both operands on the same device, got cpu", "cuda:0"}},
      {"add", "undefined operand", [] { (void)add(Tensor(), f32({2})); }, {"add:", "undefined"}},
      {"add", "alpha with bad shapes", [] { (void)add(f32({2}), f32({3}), 2.0); }, {"[2]", "[3]"}},
      {"sub",
       "shapes that do not broadcast",
       [] { (void)sub(f32({2}), f32({3})); },
       {"sub: shapes [2] and [3]"}},
      {"sub",
       "bool operands",
       [] {
         (void)sub(tensor({1, 0}, kBool), tensor({1, 1}, kBool));
       },
       {"sub: arithmetic on bool tensors is not supported (shapes [2] and [2])"}},
      {"mul",
       "shapes that do not broadcast",
       [] {
         (void)mul(f32({2, 3}), f32({3, 2}));
       },
       {"mul: shapes [2, 3] and [3, 2]"}},
      {"mul",
       "int64 * float32",
       [] {
         (void)mul(i64({1, 2}), f32({2}));
       },
       {"mul: dtype mismatch: int64 [2] and float32 [2]"}},
      {"div",
       "float64 / float32",
       [] { (void)div(f64({2}), f32({2})); },
       {"div: dtype mismatch: float64 [2] and float32 [2]"}},
      {"div",
       "undefined divisor",
       [] { (void)div(1.0, Tensor()); },
       {"div: input is an undefined tensor"}},
      {"pow",
       "shapes that do not broadcast",
       [] { (void)pow(f32({2}), f32({5})); },
       {"pow: shapes [2] and [5]"}},
      {"pow",
       "int64 base, scalar exponent",
       [] { (void)pow(i64({2}), 2.0); },
       {"pow: expected a float32 or float64 tensor, got int64"}},
      {"maximum",
       "dtype mismatch",
       [] { (void)maximum(f32({2}), f64({2})); },
       {"maximum: dtype mismatch"}},
      {"minimum",
       "shapes that do not broadcast",
       [] { (void)minimum(f32({4}), f32({3})); },
       {"minimum: shapes [4] and [3]"}},
      {"where",
       "float condition",
       [] { (void)where(f32({2}), f32({2}), f32({2})); },
       {"where: the condition must be a bool tensor, got float32 of shape [2]"}},
      {"where",
       "condition that does not broadcast",
       [] {
         (void)where(tensor({1, 0, 1}, kBool), f32({2}), 0.0);
       },
       {"where", "[3]", "[2]"}},
      {"where",
       "condition on another device",
       [] {
         ScopedEmulatedCuda cuda;
         (void)where(tensor({1, 0}, kBool), on_cuda({2}), on_cuda({2}));
       },
       {"where: condition on cpu but values on cuda:0"}},
      {"eq", "dtype mismatch", [] { (void)eq(f32({2}), f64({2})); }, {"eq: dtype mismatch"}},
      {"ne",
       "shapes that do not broadcast",
       [] { (void)ne(f32({2}), f32({3})); },
       {"ne: shapes [2] and [3]"}},
      {"lt", "undefined", [] { (void)lt(Tensor(), 1.0); }, {"lt: input is an undefined tensor"}},
      {"le",
       "shapes that do not broadcast",
       [] { (void)le(f32({2}), f32({3})); },
       {"le: shapes [2] and [3]"}},
      {"gt", "dtype mismatch", [] { (void)gt(i64({1}), f32({1})); }, {"gt: dtype mismatch"}},
      {"ge",
       "shapes that do not broadcast",
       [] { (void)ge(f32({2}), f32({3})); },
       {"ge: shapes [2] and [3]"}},
      {"logical_and",
       "shapes that do not broadcast",
       [] { (void)logical_and(f32({2}), f32({3})); },
       {"logical_and", "[2]", "[3]"}},
      {"logical_or",
       "devices differ",
       [] {
         ScopedEmulatedCuda cuda;
         (void)logical_or(f32({2}), on_cuda({2}));
       },
       {"logical_or", "cpu", "cuda:0"}},
      {"logical_xor",
       "undefined",
       [] { (void)logical_xor(f32({2}), Tensor()); },
       {"logical_xor: second operand is an undefined tensor"}},
      {"operator+",
       "shapes that do not broadcast",
       [] { (void)(f32({2}) + f32({3})); },
       {"add: shapes [2] and [3]"}},
      {"operator-", "dtype mismatch", [] { (void)(f32({2}) - f64({2})); }, {"sub: dtype mismatch"}},
      {"operator-",
       "negating a bool tensor",
       [] {
         (void)(-tensor({1, 0}, kBool));
       },
       {"neg: negation (the - operator) on a bool tensor is not supported (shape [2])"}},
      {"operator*",
       "shapes that do not broadcast",
       [] { (void)(f32({2}) * f32({3})); },
       {"mul: shapes [2] and [3]"}},
      {"operator/",
       "shapes that do not broadcast",
       [] { (void)(f32({2}) / f32({3})); },
       {"div: shapes [2] and [3]"}},
  };
}

ErrorTable unary_cases() {
  ErrorTable cases;
  // Every differentiable elementwise function needs a float tensor.
  const std::vector<std::pair<const char*, Tensor (*)(const Tensor&)>> float_only = {
      {"exp", exp},
      {"log", log},
      {"log1p", log1p},
      {"sqrt", sqrt},
      {"rsqrt", rsqrt},
      {"sin", sin},
      {"cos", cos},
      {"tanh", tanh},
      {"sigmoid", sigmoid},
      {"relu", relu},
      {"square", square},
      {"abs", abs},
      {"erf", erf},
      {"expm1", expm1},
      {"silu", silu},
      {"mish", mish},
      {"selu", selu},
      {"log_sigmoid", log_sigmoid},
      {"gelu", [](const Tensor& x) { return gelu(x); }},
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"elu", [](const Tensor& x) { return elu(x); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x); }},
      {"tan", tan},
      {"asin", asin},
      {"acos", acos},
      {"atan", atan},
      {"sinh", sinh},
      {"cosh", cosh},
      {"asinh", asinh},
      {"acosh", acosh},
      {"atanh", atanh},
      {"log2", log2},
      {"log10", log10},
      {"exp2", exp2},
      {"reciprocal", reciprocal},
      {"frac", frac},
      {"erfc", erfc},
      {"erfinv", erfinv},
      {"lgamma", lgamma},
      {"digamma", digamma},
      {"logit", [](const Tensor& x) { return logit(x); }},
      {"polygamma", [](const Tensor& x) { return polygamma(1, x); }},
      {"hardtanh", [](const Tensor& x) { return hardtanh(x); }},
      {"relu6", relu6},
      {"hardsigmoid", hardsigmoid},
      {"hardswish", hardswish},
      {"softsign", softsign},
      {"tanhshrink", tanhshrink},
      {"softshrink", [](const Tensor& x) { return softshrink(x); }},
      {"hardshrink", [](const Tensor& x) { return hardshrink(x); }},
      {"threshold", [](const Tensor& x) { return threshold(x, 0.5, 0.0); }},
      {"celu", [](const Tensor& x) { return celu(x); }},
      {"glu", [](const Tensor& x) { return glu(x); }},
      {"softmin", [](const Tensor& x) { return softmin(x, 0); }},
      {"prelu", [](const Tensor& x) { return prelu(x, x); }},
      {"i0", i0},
      {"i0e", i0e},
      {"i1", i1},
      {"i1e", i1e},
      {"modified_bessel_k0", modified_bessel_k0},
      {"modified_bessel_k1", modified_bessel_k1},
      {"scaled_modified_bessel_k0", scaled_modified_bessel_k0},
      {"scaled_modified_bessel_k1", scaled_modified_bessel_k1},
      {"spherical_bessel_j0", spherical_bessel_j0},
      {"bessel_j0", bessel_j0},
      {"bessel_j1", bessel_j1},
      {"bessel_y0", bessel_y0},
      {"bessel_y1", bessel_y1},
      {"erfcx", erfcx},
      {"ndtr", ndtr},
      {"log_ndtr", log_ndtr},
      {"ndtri", ndtri},
      {"sinc", sinc},
      {"entr", entr},
      {"multigammaln", [](const Tensor& x) { return multigammaln(x, 2); }},
      {"chebyshev_polynomial_t", [](const Tensor& x) { return chebyshev_polynomial_t(x, 2); }},
      {"chebyshev_polynomial_u", [](const Tensor& x) { return chebyshev_polynomial_u(x, 2); }},
      {"chebyshev_polynomial_v", [](const Tensor& x) { return chebyshev_polynomial_v(x, 2); }},
      {"chebyshev_polynomial_w", [](const Tensor& x) { return chebyshev_polynomial_w(x, 2); }},
      {"shifted_chebyshev_polynomial_t",
       [](const Tensor& x) { return shifted_chebyshev_polynomial_t(x, 2); }},
      {"shifted_chebyshev_polynomial_u",
       [](const Tensor& x) { return shifted_chebyshev_polynomial_u(x, 2); }},
      {"shifted_chebyshev_polynomial_v",
       [](const Tensor& x) { return shifted_chebyshev_polynomial_v(x, 2); }},
      {"shifted_chebyshev_polynomial_w",
       [](const Tensor& x) { return shifted_chebyshev_polynomial_w(x, 2); }},
      {"hermite_polynomial_h", [](const Tensor& x) { return hermite_polynomial_h(x, 2); }},
      {"hermite_polynomial_he", [](const Tensor& x) { return hermite_polynomial_he(x, 2); }},
      {"laguerre_polynomial_l", [](const Tensor& x) { return laguerre_polynomial_l(x, 2); }},
      {"legendre_polynomial_p", [](const Tensor& x) { return legendre_polynomial_p(x, 2); }},
  };
  for (const auto& [name, fn] : float_only) {
    const std::string op = name;
    auto f = fn;
    cases.push_back({op,
                     "int64 input",
                     [f] {
                       (void)f(tensor({1, 2}, kInt64));
                     },
                     {op + ": expected a float32 or float64 tensor, got int64"}});
    cases.push_back({op, "undefined input", [f] { (void)f(Tensor()); }, {op + ":", "undefined"}});
  }
  cases.insert(
      cases.end(),
      {
          {"neg",
           "bool input",
           [] {
             (void)neg(tensor({1, 0}, kBool));
           },
           {"neg: negation (the - operator) on a bool tensor is not supported", "logical_not"}},
          {"sign", "undefined input", [] { (void)sign(Tensor()); }, {"sign", "undefined"}},
          {"clamp",
           "int64 input",
           [] {
             (void)clamp(tensor({1, 2}, kInt64), 0.0, 1.0);
           },
           {"clamp", "int64"}},
          {"pow",
           "scalar base, int64 exponent",
           [] { (void)pow(2.0, tensor({1}, kInt64)); },
           {"pow: expected a float32 or float64 tensor, got int64"}},
          {"nan_to_num",
           "int64 input",
           [] { (void)nan_to_num(tensor({1}, kInt64)); },
           {"nan_to_num", "int64"}},
          {"softplus",
           "beta 0",
           [] { (void)softplus(f32({2}), 0.0); },
           {"softplus: beta must be finite and non-zero, got 0"}},
          {"floor",
           "bool input",
           [] {
             (void)floor(tensor({1, 0}, kBool));
           },
           {"floor: not defined for bool tensors (shape [2])"}},
          {"ceil", "undefined input", [] { (void)ceil(Tensor()); }, {"ceil", "undefined"}},
          {"round",
           "bool input",
           [] { (void)round(tensor({1}, kBool)); },
           {"round: not defined for bool tensors"}},
          {"trunc", "undefined input", [] { (void)trunc(Tensor()); }, {"trunc", "undefined"}},
          {"isfinite",
           "undefined input",
           [] { (void)isfinite(Tensor()); },
           {"isfinite", "undefined"}},
          {"isnan", "undefined input", [] { (void)isnan(Tensor()); }, {"isnan", "undefined"}},
          {"logical_not",
           "undefined input",
           [] { (void)logical_not(Tensor()); },
           {"logical_not", "undefined"}},
          {"hardtanh",
           "min above max",
           [] { (void)hardtanh(f32({2}), 2.0, 1.0); },
           {"hardtanh: min_val (2) must not exceed max_val (1)"}},
          {"softshrink",
           "negative lambd",
           [] { (void)softshrink(f32({2}), -1.0); },
           {"softshrink: lambd must be non-negative, got -1"}},
          {"celu",
           "alpha 0",
           [] { (void)celu(f32({2}), 0.0); },
           {"celu: alpha must be finite and non-zero, got 0"}},
          {"glu",
           "0-d input",
           [] { (void)glu(ones({})); },
           {"glu: the input must have at least one dim"}},
          {"prelu",
           "per-channel slopes for a 1-D input",
           [] { (void)prelu(f32({4}), f32({4})); },
           {"prelu: weight of shape [4] must hold 1 slope or one per channel"}},
          {"logit",
           "eps above 1/2",
           [] { (void)logit(f32({2}), 0.7); },
           {"logit: eps must lie in [0, 0.5] (x is clamped to [eps, 1 - eps]), got 0.7"}},
          {"polygamma",
           "order beyond 170",
           [] { (void)polygamma(171, f32({2})); },
           {"polygamma: the order n must lie in [0, 170] (n! overflows double beyond it), got "
            "171"}},
          {"atan2",
           "float32 and float64 operands",
           [] { (void)atan2(f32({2}), f32({2}).to(kFloat64)); },
           {"atan2", "float32", "float64"}},
          {"atan2",
           "int64 operands",
           [] { (void)atan2(tensor({1}, kInt64), tensor({1}, kInt64)); },
           {"atan2: expected a float32 or float64 tensor, got int64"}},
          {"hypot",
           "shapes that do not broadcast",
           [] { (void)hypot(f32({2}), f32({3})); },
           {"hypot: shapes [2] and [3]"}},
          {"remainder",
           "int64 divisor holding 0",
           [] {
             (void)remainder(tensor({4, 5}, kInt64), tensor({2, 0}, kInt64));
           },
           {"remainder: integer division by zero (the int64 divisor of shape [2] holds a 0)",
            "float"}},
          {"remainder",
           "bool operands",
           [] { (void)remainder(tensor({1}, kBool), tensor({1}, kBool)); },
           {"remainder: not defined for bool tensors"}},
          {"fmod",
           "int64 dividend, divisor 0",
           [] {
             (void)fmod(tensor({4, 5}, kInt64), 0.0);
           },
           {"fmod: integer division by zero"}},
          {"fmod",
           "undefined dividend",
           [] { (void)fmod(Tensor(), f32({2})); },
           {"fmod", "dividend", "undefined"}},
          {"logaddexp",
           "undefined second operand",
           [] { (void)logaddexp(f32({2}), Tensor()); },
           {"logaddexp", "second operand", "undefined"}},
          {"logaddexp2",
           "int64 operands",
           [] { (void)logaddexp2(tensor({1}, kInt64), tensor({1}, kInt64)); },
           {"logaddexp2: expected a float32 or float64 tensor, got int64"}},
          {"lerp",
           "weight on another dtype",
           [] { (void)lerp(f32({2}), f32({2}), f32({2}).to(kFloat64)); },
           {"lerp", "float32", "float64"}},
          {"lerp",
           "undefined weight",
           [] { (void)lerp(f32({2}), f32({2}), Tensor()); },
           {"lerp", "weight", "undefined"}},
          {"xlogy",
           "int64 operands",
           [] { (void)xlogy(tensor({1}, kInt64), tensor({1}, kInt64)); },
           {"xlogy: expected a float32 or float64 tensor, got int64"}},
          {"xlog1py",
           "int64 operands",
           [] { (void)xlog1py(tensor({1}, kInt64), tensor({1}, kInt64)); },
           {"xlog1py: expected a float32 or float64 tensor, got int64"}},
          {"multigammaln",
           "an x not above (p - 1) / 2",
           [] {
             (void)multigammaln(tensor({3.0, 1.0}, kFloat64), 3);
           },
           {"multigammaln: every element of x (shape [2]) must exceed (p - 1) / 2 = 1 for p = 3"}},
          {"modified_bessel_i0",
           "int64 input (the error of i0, which it is)",
           [] { (void)modified_bessel_i0(tensor({1}, kInt64)); },
           {"i0: expected a float32 or float64 tensor, got int64"}},
          {"modified_bessel_i1",
           "undefined input (the error of i1, which it is)",
           [] { (void)modified_bessel_i1(Tensor()); },
           {"i1: input is an undefined tensor"}},
          {"gammainc",
           "int64 operands",
           [] { (void)gammainc(tensor({1}, kInt64), tensor({1}, kInt64)); },
           {"gammainc: expected a float32 or float64 tensor, got int64"}},
          {"gammaincc",
           "operands of two dtypes",
           [] { (void)gammaincc(f32({2}), f32({2}).to(kFloat64)); },
           {"gammaincc", "float32", "float64"}},
          {"igamma",
           "undefined x",
           [] { (void)igamma(f32({2}), Tensor()); },
           {"gammainc", "second operand", "undefined"}},
          {"igammac",
           "shapes that do not broadcast",
           [] { (void)igammac(f32({2}), f32({3})); },
           {"gammaincc", "[2]", "[3]"}},
          {"zeta",
           "a backward that reaches the order x",
           [] {
             const Tensor x = f32({2}).requires_grad_();
             sum(zeta(x + 2.0, f32({2}) + 1.0)).backward();
           },
           {"zeta: the derivative in x (the order, shape [2]) is not implemented", "detach x"}},
          {"chebyshev_polynomial_t",
           "a float64 degree for a float32 x",
           [] { (void)chebyshev_polynomial_t(f32({2}), f32({2}).to(kFloat64)); },
           {"chebyshev_polynomial_t: the degree n must be int64 or x's dtype float32, got float64",
            ".to(float32)"}},
          {"hermite_polynomial_h",
           "an undefined degree",
           [] { (void)hermite_polynomial_h(f32({2}), Tensor()); },
           {"hermite_polynomial_h", "n", "undefined"}},
          {"laguerre_polynomial_l",
           "shapes that do not broadcast",
           [] {
             (void)laguerre_polynomial_l(f32({2}), tensor({1, 2, 3}, kInt64));
           },
           {"laguerre_polynomial_l", "[2]", "[3]"}},
          {"legendre_polynomial_p",
           "a degree beyond the supported one",
           [] { (void)legendre_polynomial_p(f32({2}), int64_t{2'000'000}); },
           {"legendre_polynomial_p: degree n = 2000000 exceeds the largest supported degree "
            "1000000"}},
          {"shifted_chebyshev_polynomial_u",
           "a degree tensor beyond the supported one",
           [] {
             (void)shifted_chebyshev_polynomial_u(f32({2}), tensor({3.0, 5e6}, kFloat32));
           },
           {"shifted_chebyshev_polynomial_u: degree n = 5000000 exceeds"}},
      });
  return cases;
}

ErrorTable reduce_cases() {
  return {
      {"cumsum",
       "dim out of range",
       [] {
         (void)cumsum(f32({2, 3}), 2);
       },
       {"cumsum: dimension out of range (expected to be in range of [-2, 1], but got 2)"}},
      {"cumsum", "undefined input", [] { (void)cumsum(Tensor(), 0); }, {"cumsum", "undefined"}},
      {"argmax",
       "empty tensor",
       [] { (void)argmax(f32({0})); },
       {"argmax: cannot reduce over dim 0 of size 0"}},
      {"argmin",
       "bool input",
       [] {
         (void)argmin(tensor({1, 0}, kBool), 0);
       },
       {"argmin: not supported for bool tensors"}},
      {"sort",
       "dim out of range",
       [] {
         (void)sort(f32({2, 3}), 2);
       },
       {"sort: dimension out of range (expected to be in range of [-2, 1], but got 2)"}},
      {"argsort", "undefined input", [] { (void)argsort(Tensor()); }, {"argsort", "undefined"}},
      {"topk",
       "k above the dim's size",
       [] {
         (void)topk(f32({2, 3}), 4);
       },
       {"topk: k = 4 is out of range for dim -1 of size 3 (input shape [2, 3]); pick 0 <= k <= 3"}},
      {"kthvalue",
       "k of 0 (k counts from 1)",
       [] {
         (void)kthvalue(f32({2, 3}), 0, 1);
       },
       {"kthvalue: k = 0 is out of range for dim 1 of size 3", "k counts from 1"}},
      {"median",
       "empty dim",
       [] {
         (void)median(f32({2, 0}), 1);
       },
       {"median: cannot take it over dim 1 of size 0 (input shape [2, 0])"}},
      {"nanmedian",
       "undefined input",
       [] { (void)nanmedian(Tensor()); },
       {"nanmedian", "undefined"}},
      {"quantile",
       "q outside [0, 1]",
       [] { (void)quantile(f32({4}), 1.5); },
       {"quantile: q = 1.5 must be in [0, 1]"}},
      {"quantile",
       "int64 input",
       [] {
         (void)quantile(tensor({1, 2}, kInt64), 0.5);
       },
       {"quantile: the input must be float32 or float64, got int64 (shape [2])"}},
      {"quantile",
       "2-D q",
       [] {
         (void)quantile(f32({4}), f32({2, 2}));
       },
       {"quantile: q must be a 0-d or 1-D float tensor, got float32 of shape [2, 2]"}},
      {"nanquantile",
       "empty input",
       [] { (void)nanquantile(f32({0}), 0.5); },
       {"nanquantile: the input must be non-empty along dim 0 (input shape [0])"}},
      {"sum",
       "dim out of range",
       [] {
         (void)sum(f32({2, 3}), {2});
       },
       {"sum: dimension out of range (expected to be in range of [-2, 1], but got 2)"}},
      {"sum",
       "repeated dim",
       [] {
         (void)sum(f32({2, 3}), {1, -1});
       },
       {"sum", "1"}},
      {"sum", "undefined input", [] { (void)sum(Tensor()); }, {"sum", "undefined"}},
      {"mean",
       "bool input",
       [] {
         (void)mean(tensor({1, 0}, kBool));
       },
       {"mean: expected a float32 or float64 tensor, got bool"}},
      {"mean", "dim out of range", [] { (void)mean(f32({2}), {-2}); }, {"mean", "-2"}},
      {"amax",
       "empty reduction",
       [] {
         (void)amax(f32({0, 3}), {0});
       },
       {"amax", "[0, 3]"}},
      {"amin", "empty tensor, all dims", [] { (void)amin(f32({0})); }, {"amin", "[0]"}},
      {"max",
       "dim out of range",
       [] {
         (void)max(f32({2, 3}), 5);
       },
       {"max: dimension out of range", "got 5"}},
      {"max",
       "empty dim",
       [] {
         (void)max(f32({2, 0}), 1);
       },
       {"max", "[2, 0]"}},
      {"max", "empty tensor", [] { (void)max(f32({0})); }, {"max", "[0]"}},
      {"min",
       "bool input",
       [] {
         (void)min(tensor({1, 0}, kBool), 0);
       },
       {"min", "bool"}},
      {"min",
       "empty tensor",
       [] {
         (void)min(f32({3, 0}));
       },
       {"min", "[3, 0]"}},
      {"prod",
       "dim out of range",
       [] { (void)prod(f32({2}), 1); },
       {"prod: dimension out of range", "got 1"}},
      {"prod", "undefined input", [] { (void)prod(Tensor()); }, {"prod", "undefined"}},
      {"norm",
       "NaN order",
       [] { (void)norm(f32({2}), kNaN); },
       {"norm: the order p must be a number, got NaN (input shape [2])"}},
      {"norm", "int64 input", [] { (void)norm(tensor({1}, kInt64)); }, {"norm", "int64"}},
      {"var",
       "dim out of range",
       [] {
         (void)var(f32({2, 2}), {3});
       },
       {"var", "3"}},
      {"var",
       "int64 input",
       [] {
         (void)var(tensor({1, 2}, kInt64));
       },
       {"var", "int64"}},
      {"std",
       "bool input",
       [] {
         (void)std(tensor({1, 0}, kBool));
       },
       {"std", "bool"}},
      {"logsumexp", "dim out of range", [] { (void)logsumexp(f32({2}), {1}); }, {"logsumexp", "1"}},
      {"logsumexp",
       "int64 input",
       [] { (void)logsumexp(tensor({1}, kInt64), {0}); },
       {"logsumexp", "int64"}},
      {"all", "dim out of range", [] { (void)all(f32({2}), {3}); }, {"all", "3"}},
      {"any", "undefined input", [] { (void)any(Tensor()); }, {"any", "undefined"}},
  };
}

}  // namespace

ErrorTable elementwise_error_cases() {
  ErrorTable all;
  for (ErrorTable part : {binary_cases(), unary_cases(), reduce_cases()}) {
    for (ErrorCase& c : part) all.push_back(std::move(c));
  }
  return all;
}

}  // namespace metagrad::testing
