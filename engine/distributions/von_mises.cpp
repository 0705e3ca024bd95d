// torch.distributions.VonMises: log_prob and variance through PyTorch's polynomial log I0 and
// log I1, draws by Best and Fisher's rejection sampler in whole-tensor rounds.
#include <array>
#include <cmath>
#include <numbers>
#include <span>

#include "engine/distributions/bounded.hpp"
#include "engine/distributions/distribution_support.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad::distributions {
namespace {

// Abramowitz and Stegun 9.8.1 to 9.8.4: I_n(x) over (x / 3.75)^2 for x < 3.75 (times |x| for
// n = 1), and x^(1/2) e^-x I_n(x) over 3.75 / x above.
constexpr std::array<double, 7> kI0Small{1.0,       3.5156229,   3.0899424, 1.2067492,
                                         0.2659732, 0.360768e-1, 0.45813e-2};
constexpr std::array<double, 9> kI0Large{0.39894228,   0.1328592e-1,  0.225319e-2,
                                         -0.157565e-2, 0.916281e-2,   -0.2057706e-1,
                                         0.2635537e-1, -0.1647633e-1, 0.392377e-2};
constexpr std::array<double, 7> kI1Small{0.5,          0.87890594,  0.51498869, 0.15084934,
                                         0.2658733e-1, 0.301532e-2, 0.32411e-3};
constexpr std::array<double, 9> kI1Large{0.39894228,    -0.3988024e-1, -0.362018e-2,
                                         0.163801e-2,   -0.1031555e-1, 0.2282967e-1,
                                         -0.2895312e-1, 0.1787654e-1,  -0.420059e-2};

// sum_i c_i y^i by Horner's rule.
Tensor polynomial(const Tensor& y, std::span<const double> coefficients) {
  Tensor result = full({}, coefficients.back(), TensorOptions(y.dtype(), y.device()));
  for (size_t i = coefficients.size() - 1; i-- > 0;) result = result * y + coefficients[i];
  return result;
}

// log I_order(x) for x > 0, order 0 or 1 (PyTorch's _log_modified_bessel_fn).
Tensor log_modified_bessel(const Tensor& x, int order) {
  const Tensor small_y = square(x / 3.75);
  Tensor small = polynomial(
      small_y, order == 0 ? std::span<const double>(kI0Small) : std::span<const double>(kI1Small));
  if (order == 1) small = abs(x) * small;
  // x - log(x) / 2 + log(poly(3.75 / x))
  const Tensor large = x - 0.5 * log(x) +
                       log(polynomial(3.75 / x, order == 0 ? std::span<const double>(kI0Large)
                                                           : std::span<const double>(kI1Large)));
  return where(lt(x, 3.75), log(small), large);
}

// Rounds after which an element still pending is an error: each round accepts with probability
// above 0.65 for every concentration.
constexpr int kMaxVonMisesRounds = 1000;

}  // namespace

VonMises::VonMises(const Tensor& loc, const Tensor& concentration)
    : loc_(loc),
      concentration_(concentration),
      batch_shape_(metagrad::detail::broadcast_parameters(loc, concentration, "VonMises")) {
  metagrad::detail::check_positive(concentration, "VonMises", "concentration");
}

Tensor VonMises::sample(const Dims& sample_shape, Generator* generator) const {
  NoGradGuard no_grad;
  const Dims shape =
      metagrad::detail::distribution_sample_shape(sample_shape, batch_shape_, "VonMises");
  const TensorOptions options(loc_.dtype(), loc_.device());
  const Tensor kappa = expand(concentration_.detach(), shape).contiguous();
  // The wrapped Cauchy envelope's r = (1 + rho^2) / (2 rho); 1 / kappa + kappa for tiny kappa,
  // where the closed form loses every digit.
  const Tensor tau = 1.0 + sqrt(1.0 + 4.0 * square(kappa));
  const Tensor rho = (tau - sqrt(2.0 * tau)) / (2.0 * kappa);
  const Tensor r = where(gt(kappa, 1e-5), (1.0 + square(rho)) / (2.0 * rho), 1.0 / kappa + kappa);
  Tensor x = zeros(shape, options);
  Tensor pending = ones(shape, TensorOptions(kBool, loc_.device()));
  for (int round = 0; round < kMaxVonMisesRounds && any(pending).item<bool>(); ++round) {
    const Tensor u1 = rand(shape, options, generator);
    const Tensor u2 = rand(shape, options, generator);
    const Tensor u3 = rand(shape, options, generator);
    const Tensor z = cos(std::numbers::pi * u1);
    const Tensor f = (1.0 + r * z) / (r + z);
    const Tensor c = kappa * (r - f);
    const Tensor accept = logical_or(gt(c * (2.0 - c) - u2, 0.0), ge(log(c / u2) + 1.0 - c, 0.0));
    const Tensor angle = sign(u3 - 0.5) * acos(clamp(f, -1.0, 1.0));
    x = where(logical_and(pending, accept), angle, x);
    pending = logical_and(pending, logical_not(accept));
  }
  MG_CHECK(!any(pending).item<bool>(), "VonMises: the sampler did not finish in {} rounds",
           kMaxVonMisesRounds);
  // Shift by loc and wrap into [-pi, pi).
  return remainder(x + std::numbers::pi + loc_.detach(), 2.0 * std::numbers::pi) - std::numbers::pi;
}

Tensor VonMises::log_prob(const Tensor& value) const {
  metagrad::detail::check_same_kind(loc_, value, "VonMises.log_prob");
  // kappa cos(x - loc) - log(2 pi) - log I0(kappa)
  return concentration_ * cos(value - loc_) - std::log(2.0 * std::numbers::pi) -
         log_modified_bessel(concentration_, 0);
}

Tensor VonMises::mean() const { return expand(loc_, batch_shape_); }

Tensor VonMises::variance() const {
  // 1 - I1(kappa) / I0(kappa)
  return expand(
      1.0 - exp(log_modified_bessel(concentration_, 1) - log_modified_bessel(concentration_, 0)),
      batch_shape_);
}

}  // namespace metagrad::distributions
