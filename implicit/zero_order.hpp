#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <variant>
#include <vector>

#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"
#include "implicit/custom_root.hpp"

// Zero-order (evolution-strategy) gradient estimation of a black-box scalar function
// (torchopt.diff.zero_order). See Note [zero-order estimators] in zero_order.cpp.

namespace metagrad {
/// \addtogroup implicit
/// @{

/// The estimator of zero_order (TorchOpt's `method`). With z drawn from the distribution, σ the
/// smoothing scale and the mean taken over num_samples draws, the gradient of f at θ is estimated
/// as mean(w · z) with
///   naive:      w = f(θ + σz) / σ                     (one evaluation per sample),
///   forward:    w = (f(θ + σz) − f(θ)) / σ            (one, plus f(θ) from the forward pass),
///   antithetic: w = (f(θ + σz) − f(θ − σz)) / (2σ)    (two per sample).
enum class ZeroOrderMethod { naive, forward, antithetic };

/// The built-in perturbation distributions: every element of z is drawn independently with mean 0
/// and variance 1, so that E[z zᵀ] = I and, z being symmetric, E[z_i z_j z_k] = 0. These are the
/// two moment conditions that make each estimator unbiased for the gradient of the smoothed
/// function E[f(θ + σz)], and exactly unbiased for f itself when f is quadratic (the σ² term of
/// the Taylor expansion meets a third moment). Hence `uniform` is U(−√3, √3) (variance
/// (2√3)²/12 = 1), not U(0, 1), whose mean ½ and variance 1/12 would bias the estimate.
enum class SampleDistribution {
  /// Standard normal N(0, 1) (TorchOpt's tutorials use torch.distributions.Normal(0, 1)).
  normal,
  /// Uniform on [−√3, √3): mean 0, variance 1.
  uniform,
};

/// A user distribution: returns a floating tensor of exactly `shape` holding one draw of z for a
/// parameter of that shape (TorchOpt's `sample(sample_shape)`); it is converted to the
/// parameter's dtype and device. Draw the numbers from `generator` (one stream per sample, keyed
/// by the seed and the sample index) to keep the estimate reproducible. The function is called
/// concurrently from several threads (num_threads) and must be safe for that. Its elements should
/// have mean 0 and variance 1 (see SampleDistribution) or the estimate is biased.
using SampleFn = std::function<Tensor(const Dims& shape, Generator& generator)>;

/// Options of zero_order (torchopt.diff.zero_order's keywords, TorchOpt 0.7.3 defaults).
struct ZeroOrderOptions {
  /// The estimator (TorchOpt default 'naive').
  ZeroOrderMethod method = ZeroOrderMethod::naive;
  /// The differentiated arguments of the general form, 0-based into its RootArgs (TorchOpt default
  /// (0,)). The single-list form takes no other value.
  std::vector<int> argnums = {0};
  /// Samples averaged per estimate (TorchOpt default 1); at least 1.
  int num_samples = 1;
  /// The perturbation scale σ (TorchOpt default 1.0); finite and > 0.
  double sigma = 1.0;
  /// The distribution of z: normal (the default; TorchOpt has no default and requires one),
  /// uniform, or a SampleFn.
  std::variant<SampleDistribution, SampleFn> distribution = SampleDistribution::normal;
  /// Seed of the perturbations. Each call of the returned function draws one 64-bit key from a
  /// Generator seeded with it (the default generator when unset, so that manual_seed applies), and
  /// sample k of that call draws from a counter-based stream keyed by (key, k): the same seed
  /// gives the same estimates, call after call, whatever num_threads is.
  std::optional<uint64_t> seed;
  /// Threads evaluating the samples of one backward in parallel (0 = the hardware's thread
  /// count); at least 0.
  int num_threads = 0;
};

/// A function of several arguments (each a tensor or a list of tensors) returning a 0-d tensor.
using ZeroOrderArgsFn = std::function<Tensor(const RootArgs& args)>;
/// A function of one list of tensors (e.g. a network's parameters) returning a 0-d tensor.
using ZeroOrderFn = std::function<Tensor(const TensorList& params)>;

/// Wraps a black-box scalar function so that its result carries zero-order gradient estimates
/// (torchopt.diff.zero_order). The returned function evaluates fn(params) (without recording: fn
/// is never differentiated) and returns that value as the output of one node whose backward, given
/// the incoming gradient g, evaluates fn at num_samples perturbed points in parallel (fn must be
/// safe to call from several threads at once) and returns g times the options.method estimate for
/// every tensor of params. fn must return a defined floating 0-d tensor (checked at every call).
/// options.argnums must be {0} here.
///
///   auto f = zero_order([&](const TensorList& p) { return black_box_loss(p); },
///                       {.method = ZeroOrderMethod::antithetic, .num_samples = 100,
///                        .sigma = 0.01});
///   Tensor loss = f(net.parameters());
///   loss.backward();  // the parameters get the estimated gradient
ZeroOrderFn zero_order(ZeroOrderFn fn, ZeroOrderOptions options = {});

/// The general form, with TorchOpt's argnums: fn takes several arguments, and the arguments
/// numbered by options.argnums (0-based, distinct) are perturbed together — all their tensors
/// form one flat parameter vector with one joint z per sample — and receive the estimate. The
/// other arguments are passed unchanged and get no gradient.
///
///   auto f = zero_order([&](const RootArgs& a) { return loss(a[0].tensors(), a[1].tensor()); },
///                       {.argnums = {0}, .num_samples = 50});
///   Tensor l = f({TensorList{w, b}, x});  // w and b get gradients, x does not
ZeroOrderArgsFn zero_order(ZeroOrderArgsFn fn, ZeroOrderOptions options = {});

namespace detail {

/// Evaluates the black box at a flat list of parameter values (one per worker thread).
using ZeroOrderEval = std::function<Tensor(const TensorList& flat_params)>;
/// Makes `workers` evaluators, evaluator w used only by worker thread w (the module clones itself
/// once per worker).
using ZeroOrderEvalFactory = std::function<std::vector<ZeroOrderEval>(size_t workers)>;

/// The shared core of zero_order and ZeroOrderGradientModule: returns eval-at-`flat_params`
/// (computed by `at_input`) recorded with the zero-order backward. `who` names the caller and
/// `fn_name` the black box in messages; `generator` (kept alive by the caller's closure) supplies
/// each call's key.
Tensor zero_order_apply(const char* who, const char* fn_name, const ZeroOrderEval& at_input,
                        ZeroOrderEvalFactory factory, const TensorList& flat_params,
                        const ZeroOrderOptions& options, Generator& generator);

/// Checks num_samples, sigma and num_threads (not argnums), naming `who`.
void check_zero_order_options(const char* who, const ZeroOrderOptions& options);

}  // namespace detail

/// @}

}  // namespace metagrad
