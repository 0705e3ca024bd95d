#include "implicit/zero_order.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "engine/autograd/custom_function.hpp"
#include "engine/error.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/random/philox.hpp"

// Note [zero-order estimators]
// zero_order(fn) returns fn(θ) as the output of one CustomFunction node. Its forward evaluates fn
// once, without recording; its backward, given the incoming gradient g, draws num_samples
// perturbations z_k (each a joint draw over every differentiated tensor), evaluates fn at the
// perturbed points in parallel and returns, per tensor, g · Σ_k c_k z_k with
//   c_k = f(θ + σz_k) / (nσ)                       naive,
//   c_k = (f(θ + σz_k) − f(θ)) / (nσ)              forward (f(θ) is the forward pass's value),
//   c_k = (f(θ + σz_k) − f(θ − σz_k)) / (2nσ)      antithetic.
// The weights c_k are black-box numbers (the estimate has no derivative of its own); the product
// with g is written in ops, so it is recorded when the backward is (create_graph).
//
// Reproducibility: each call draws one 64-bit key from its Generator when it is made, and sample k
// uses a Generator seeded with Philox(key, k), i.e. a counter-based stream keyed by (key, k). The
// workers only evaluate samples; the main thread adds the terms c_k z_k in the order of k. So the
// estimate is the same bit for bit whatever the number of threads.
//
// TorchOpt 0.7.3's 'forward' differs: it multiplies by σ instead of dividing (div_(1 / σ)) and
// replaces the baseline f(θ) by the previous difference inside the sample loop.

namespace metagrad {
namespace detail {
namespace {

using random_detail::combine64;
using random_detail::philox4x32;

// Samples whose perturbations are held at once (bounds the memory to about this many copies of
// the parameters; the result does not depend on it).
constexpr int64_t kMaxChunkElements = int64_t{1} << 22;
constexpr int64_t kMaxChunkSamples = 256;

// The key of one call: 64 bits from one counter of `generator`.
uint64_t draw_call_key(Generator& generator) {
  const auto [seed, offset] = generator.reserve(1);
  const auto block = philox4x32(seed, offset);
  return combine64(block[0], block[1]);
}

// The seed of sample k's stream: Philox(key, k).
uint64_t sample_seed(uint64_t key, uint64_t k) {
  const auto block = philox4x32(key, k);
  return combine64(block[2], block[3]);
}

// One draw of z for every tensor of `like` (in order) from sample k's stream.
TensorList draw_noise(const char* who, const ZeroOrderOptions& options, const TensorList& like,
                      uint64_t key, uint64_t k) {
  Generator generator(sample_seed(key, k));
  TensorList noise;
  noise.reserve(like.size());
  for (const Tensor& p : like) {
    const TensorOptions opts(p.dtype(), p.device());
    if (const auto* kind = std::get_if<SampleDistribution>(&options.distribution)) {
      if (*kind == SampleDistribution::normal) {
        noise.push_back(randn(p.shape(), opts, &generator));
      } else {
        // U(−√3, √3): mean 0, variance 1.
        noise.push_back((rand(p.shape(), opts, &generator) * 2.0 - 1.0) * std::sqrt(3.0));
      }
      continue;
    }
    const SampleFn& sample = std::get<SampleFn>(options.distribution);
    const Tensor z = sample(p.shape(), generator);
    MG_CHECK(z.defined(), "{}: the distribution returned an undefined tensor for shape {}", who,
             shape_str(p.shape()));
    MG_CHECK(is_floating(z.dtype()),
             "{}: the distribution must return a floating tensor, got {} for shape {}", who,
             dtype_name(z.dtype()), shape_str(p.shape()));
    MG_CHECK(z.shape() == p.shape(),
             "{}: the distribution returned shape {} when asked for shape {}; return exactly the "
             "requested shape",
             who, shape_str(z.shape()), shape_str(p.shape()));
    noise.push_back(z.detach().to(p.dtype()).to(p.device()));
  }
  return noise;
}

// θ + scale · z, entry by entry.
TensorList perturb(const TensorList& params, const TensorList& noise, double scale) {
  TensorList out;
  out.reserve(params.size());
  for (size_t i = 0; i < params.size(); ++i) out.push_back(params[i] + noise[i] * scale);
  return out;
}

// The number of worker threads for `samples` evaluations.
size_t resolve_workers(int num_threads, int64_t samples) {
  const int64_t hardware = std::max<int64_t>(1, std::thread::hardware_concurrency());
  const int64_t wanted = num_threads == 0 ? hardware : num_threads;
  return static_cast<size_t>(std::max<int64_t>(1, std::min(wanted, samples)));
}

// Runs task(worker, j) for j in [0, count) on `workers` threads (the calling thread is worker 0;
// fewer when the system refuses a thread), each with grad mode off. After a failure no new j is
// started; the exception of the smallest failing j is rethrown.
template <typename Task>
void run_parallel(size_t workers, int64_t count, const Task& task) {
  std::vector<std::exception_ptr> errors(static_cast<size_t>(count));
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&](size_t worker) {
    NoGradGuard no_grad;
    for (int64_t j = next++; j < count && !failed.load(); j = next++) {
      try {
        task(worker, j);
      } catch (...) {
        errors[static_cast<size_t>(j)] = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  const size_t spawned = std::min<size_t>(workers, static_cast<size_t>(count));
  threads.reserve(spawned);
  for (size_t w = 1; w < spawned; ++w) {
    try {
      threads.emplace_back(work, w);
    } catch (const std::system_error&) {
      break;  // the threads started so far share the work
    }
  }
  work(0);
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

// The settings of one call, shared by its forward and backward.
struct ZeroOrderCall {
  std::string who;
  std::string fn_name;
  ZeroOrderOptions options;
  ZeroOrderEvalFactory factory;
  uint64_t key = 0;
  double f0 = 0.0;
};

class ZeroOrderFunction final : public CustomFunction {
 public:
  ZeroOrderFunction(std::shared_ptr<const ZeroOrderCall> call, Tensor output)
      : call_(std::move(call)), output_(std::move(output)) {}
  std::string name() const override { return "ZeroOrder"; }

  TensorList forward(CustomFunctionContext& ctx, const TensorList& inputs) override {
    ctx.save_for_backward(inputs);
    Tensor out = std::move(output_);
    return {out};
  }

  TensorList backward(CustomFunctionContext& ctx, const TensorList& grad_outputs) override {
    const ZeroOrderCall& call = *call_;
    TensorList params = ctx.saved_tensors();
    for (Tensor& p : params) p = p.detach();
    const TensorList estimate = estimate_gradient(call, params);
    const Tensor& g = grad_outputs[0];
    TensorList grads(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      if (!ctx.needs_input_grad(i)) continue;
      // ∂L/∂θ ≈ g · Σ_k c_k z_k (Note [zero-order estimators]).
      grads[i] = estimate[i] * g.to(estimate[i].dtype()).to(estimate[i].device());
    }
    return grads;
  }

 private:
  // Σ_k c_k z_k for every parameter tensor, without recording.
  static TensorList estimate_gradient(const ZeroOrderCall& call, const TensorList& params) {
    NoGradGuard no_grad;
    const ZeroOrderOptions& o = call.options;
    const char* who = call.who.c_str();
    const int64_t n = o.num_samples;
    int64_t numel = 1;  // at least 1, so the division below is defined
    for (const Tensor& p : params) numel += p.numel();
    const int64_t chunk = std::clamp<int64_t>(kMaxChunkElements / numel, 1, kMaxChunkSamples);
    const size_t workers = resolve_workers(o.num_threads, std::min(n, chunk));
    const std::vector<ZeroOrderEval> evals = call.factory(workers);
    MG_CHECK(evals.size() == workers, "{}: internal: {} evaluators for {} workers", who,
             evals.size(), workers);

    TensorList sum;
    sum.reserve(params.size());
    for (const Tensor& p : params) sum.push_back(zeros_like(p));
    std::vector<TensorList> noise;
    std::vector<double> weight;
    for (int64_t start = 0; start < n; start += chunk) {
      const int64_t count = std::min(chunk, n - start);
      noise.assign(static_cast<size_t>(count), {});
      weight.assign(static_cast<size_t>(count), 0.0);
      run_parallel(workers, count, [&](size_t worker, int64_t j) {
        const uint64_t k = static_cast<uint64_t>(start + j);
        TensorList z = draw_noise(who, o, params, call.key, k);
        const ZeroOrderEval& eval = evals[worker];
        const double plus =
            scalar_value(call, eval(perturb(params, z, o.sigma)), "a perturbed point");
        double c = 0.0;
        switch (o.method) {
          case ZeroOrderMethod::naive:
            c = plus / o.sigma;  // f(θ + σz) / σ
            break;
          case ZeroOrderMethod::forward:
            c = (plus - call.f0) / o.sigma;  // (f(θ + σz) − f(θ)) / σ
            break;
          case ZeroOrderMethod::antithetic: {
            const double minus =
                scalar_value(call, eval(perturb(params, z, -o.sigma)), "a perturbed point");
            c = (plus - minus) / (2.0 * o.sigma);  // (f(θ + σz) − f(θ − σz)) / (2σ)
            break;
          }
        }
        weight[static_cast<size_t>(j)] = c / static_cast<double>(n);
        noise[static_cast<size_t>(j)] = std::move(z);
      });
      for (int64_t j = 0; j < count; ++j) {
        const TensorList& z = noise[static_cast<size_t>(j)];
        for (size_t i = 0; i < params.size(); ++i)
          sum[i] = sum[i] + z[i] * weight[static_cast<size_t>(j)];
      }
    }
    return sum;
  }

 public:
  // fn's value as a double, after checking that it is a defined floating 0-d tensor.
  static double scalar_value(const ZeroOrderCall& call, const Tensor& value, const char* where) {
    check_scalar(call, value, where);
    return value.item<double>();
  }

  static void check_scalar(const ZeroOrderCall& call, const Tensor& value, const char* where) {
    const char* who = call.who.c_str();
    const char* fn = call.fn_name.c_str();
    MG_CHECK(value.defined(),
             "{}: {} returned an undefined tensor at {}; it must return a 0-d (scalar) floating "
             "tensor",
             who, fn, where);
    MG_CHECK(value.dim() == 0,
             "{}: {} must return a 0-d (scalar) tensor, got shape {} at {}; reduce it, e.g. with "
             ".sum() or .mean()",
             who, fn, shape_str(value.shape()), where);
    MG_CHECK(is_floating(value.dtype()),
             "{}: {} must return a floating (float32 or float64) tensor, got {} at {}", who, fn,
             dtype_name(value.dtype()), where);
  }

 private:
  std::shared_ptr<const ZeroOrderCall> call_;
  Tensor output_;
};

}  // namespace

void check_zero_order_options(const char* who, const ZeroOrderOptions& options) {
  MG_CHECK(options.num_samples >= 1, "{}: num_samples must be >= 1, got {}", who,
           options.num_samples);
  MG_CHECK(std::isfinite(options.sigma) && options.sigma > 0.0,
           "{}: sigma must be a finite number > 0, got {}", who, options.sigma);
  MG_CHECK(options.num_threads >= 0, "{}: num_threads must be >= 0 (0: the hardware's), got {}",
           who, options.num_threads);
  if (const auto* fn = std::get_if<SampleFn>(&options.distribution))
    MG_CHECK(static_cast<bool>(*fn), "{}: the distribution function is empty", who);
  const auto m = static_cast<int>(options.method);
  MG_CHECK(m >= 0 && m <= 2, "{}: unknown method {}", who, m);
}

Tensor zero_order_apply(const char* who, const char* fn_name, const ZeroOrderEval& at_input,
                        ZeroOrderEvalFactory factory, const TensorList& flat_params,
                        const ZeroOrderOptions& options, Generator& generator) {
  MG_CHECK(!flat_params.empty(), "{}: there is no tensor to differentiate", who);
  for (size_t i = 0; i < flat_params.size(); ++i) {
    const Tensor& p = flat_params[i];
    MG_CHECK(p.defined(), "{}: differentiated tensor {} is undefined", who, i);
    MG_CHECK(is_floating(p.dtype()),
             "{}: differentiated tensor {} must be floating (float32 or float64), got {}", who, i,
             dtype_name(p.dtype()));
  }
  auto call = std::make_shared<ZeroOrderCall>();
  call->who = who;
  call->fn_name = fn_name;
  call->options = options;
  call->factory = std::move(factory);
  call->key = draw_call_key(generator);
  Tensor value;
  {
    NoGradGuard no_grad;
    value = at_input(flat_params);
  }
  ZeroOrderFunction::check_scalar(*call, value, "the input point");
  call->f0 = options.method == ZeroOrderMethod::forward ? value.item<double>() : 0.0;
  return CustomFunction::apply(std::make_shared<ZeroOrderFunction>(std::move(call), value),
                               flat_params)[0];
}

}  // namespace detail

namespace {

// Each argument of `args`, with the tensors of the arguments in `argnums` replaced, in order, by
// those of `flat`.
RootArgs substitute(const RootArgs& args, const std::vector<int>& argnums, const TensorList& flat) {
  RootArgs out = args;
  size_t next = 0;
  for (const int a : argnums) {
    const RootArg& old = args[static_cast<size_t>(a)];
    const size_t count = old.tensors().size();
    TensorList part(flat.begin() + static_cast<std::ptrdiff_t>(next),
                    flat.begin() + static_cast<std::ptrdiff_t>(next + count));
    next += count;
    out[static_cast<size_t>(a)] = old.is_list() ? RootArg(std::move(part)) : RootArg(part[0]);
  }
  return out;
}

std::string argnums_str(const std::vector<int>& argnums) {
  std::string s = "{";
  for (size_t i = 0; i < argnums.size(); ++i) s += (i ? ", " : "") + std::to_string(argnums[i]);
  return s + "}";
}

std::shared_ptr<Generator> make_generator(const ZeroOrderOptions& options) {
  if (!options.seed) return nullptr;
  return std::make_shared<Generator>(*options.seed);
}

}  // namespace

ZeroOrderArgsFn zero_order(ZeroOrderArgsFn fn, ZeroOrderOptions options) {
  static constexpr const char* kWho = "zero_order";
  MG_CHECK(static_cast<bool>(fn), "{}: fn is empty", kWho);
  detail::check_zero_order_options(kWho, options);
  const std::vector<int>& argnums = options.argnums;
  MG_CHECK(!argnums.empty(), "{}: argnums is empty; name at least one argument (default {{0}})",
           kWho);
  for (size_t i = 0; i < argnums.size(); ++i) {
    MG_CHECK(argnums[i] >= 0, "{}: argnums {} holds {}; argument numbers are 0-based and >= 0",
             kWho, argnums_str(argnums), argnums[i]);
    for (size_t j = 0; j < i; ++j)
      MG_CHECK(argnums[j] != argnums[i], "{}: argnums {} names argument {} twice", kWho,
               argnums_str(argnums), argnums[i]);
  }
  auto generator = make_generator(options);
  auto shared_fn = std::make_shared<const ZeroOrderArgsFn>(std::move(fn));
  return [shared_fn, options = std::move(options), generator](const RootArgs& args) {
    for (const int a : options.argnums)
      MG_CHECK(static_cast<size_t>(a) < args.size(),
               "{}: argnums {} names argument {}, but the call has {} argument(s)", kWho,
               argnums_str(options.argnums), a, args.size());
    TensorList flat;
    for (const int a : options.argnums) {
      const TensorList& t = args[static_cast<size_t>(a)].tensors();
      flat.insert(flat.end(), t.begin(), t.end());
    }
    const detail::ZeroOrderEval at_input = [shared_fn, &args](const TensorList&) {
      return (*shared_fn)(args);
    };
    auto factory = [shared_fn, args, argnums = options.argnums](size_t workers) {
      detail::ZeroOrderEval eval = [shared_fn, args, argnums](const TensorList& flat_point) {
        return (*shared_fn)(substitute(args, argnums, flat_point));
      };
      return std::vector<detail::ZeroOrderEval>(workers, eval);
    };
    return detail::zero_order_apply(kWho, "fn", at_input, std::move(factory), flat, options,
                                    generator ? *generator : default_generator());
  };
}

ZeroOrderFn zero_order(ZeroOrderFn fn, ZeroOrderOptions options) {
  static constexpr const char* kWho = "zero_order";
  MG_CHECK(static_cast<bool>(fn), "{}: fn is empty", kWho);
  detail::check_zero_order_options(kWho, options);
  MG_CHECK(options.argnums == std::vector<int>{0},
           "{}: argnums {} given with a function of one list of parameters; it only takes {{0}} "
           "(use a function of RootArgs to select arguments)",
           kWho, argnums_str(options.argnums));
  auto generator = make_generator(options);
  auto shared_fn = std::make_shared<const ZeroOrderFn>(std::move(fn));
  return [shared_fn, options = std::move(options), generator](const TensorList& params) {
    const detail::ZeroOrderEval eval = [shared_fn](const TensorList& point) {
      return (*shared_fn)(point);
    };
    auto factory = [eval](size_t workers) {
      return std::vector<detail::ZeroOrderEval>(workers, eval);
    };
    return detail::zero_order_apply(kWho, "fn", eval, std::move(factory), params, options,
                                    generator ? *generator : default_generator());
  };
}

}  // namespace metagrad
