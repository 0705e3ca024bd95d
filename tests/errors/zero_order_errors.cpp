// Error inputs of zero_order and ZeroOrderGradientModule (implicit/zero_order*.hpp).
#include "tests/errors/error_table.hpp"

namespace metagrad::testing {
namespace {

// A float64 [2] tensor that requires grad.
Tensor param() { return ones({2}, kFloat64).requires_grad_(); }

// Calls zero_order(fn, options) on {param()} and differentiates the result (the perturbed
// evaluations run in the backward).
void run_list(const ZeroOrderFn& fn, const ZeroOrderOptions& options = {}) {
  const Tensor p = param();
  (void)grad({zero_order(fn, options)({p})}, {p});
}

// ‖p‖²: a valid black box.
Tensor sum_of_squares(const TensorList& p) { return (p[0] * p[0]).sum(); }

// A zero-order module with one parameter; not Cloneable unless through the derived class below.
class PlainZeroOrder : public nn::ZeroOrderGradientModule {
 public:
  explicit PlainZeroOrder(ZeroOrderOptions options, bool with_parameter = true, bool scalar = true)
      : ZeroOrderGradientModule(std::move(options)), scalar_(scalar) {
    if (with_parameter) register_parameter("w", ones({2}, kFloat64));
  }

 protected:
  Tensor objective(const TensorList& inputs) override {
    const Tensor y = parameters()[0] * inputs[0];
    return scalar_ ? y.sum() : y;
  }

 private:
  bool scalar_;
};

// Runs one forward and backward of `m` on a [2] input.
void run_module(nn::ZeroOrderGradientModule& m) {
  (void)grad({m({ones({2}, kFloat64)})}, m.parameters());
}

}  // namespace

ErrorTable zero_order_error_cases() {
  return {
      {"zero_order",
       "num_samples = 0",
       [] { (void)zero_order(sum_of_squares, {.num_samples = 0}); },
       {"zero_order: num_samples must be >= 1, got 0"}},
      {"zero_order",
       "sigma = 0",
       [] { (void)zero_order(sum_of_squares, {.sigma = 0.0}); },
       {"zero_order: sigma must be a finite number > 0, got 0"}},
      {"zero_order",
       "NaN sigma",
       [] { (void)zero_order(sum_of_squares, {.sigma = kNaN}); },
       {"zero_order: sigma must be a finite number > 0, got nan"}},
      {"zero_order",
       "negative num_threads",
       [] { (void)zero_order(sum_of_squares, {.num_threads = -1}); },
       {"zero_order: num_threads must be >= 0", "got -1"}},
      {"zero_order",
       "empty fn",
       [] { (void)zero_order(ZeroOrderFn{}); },
       {"zero_order: fn is empty"}},
      {"zero_order",
       "empty distribution function",
       [] { (void)zero_order(sum_of_squares, {.distribution = SampleFn{}}); },
       {"zero_order: the distribution function is empty"}},
      {"zero_order",
       "argnums other than {0} with a function of one list",
       [] { (void)zero_order(sum_of_squares, {.argnums = {1}}); },
       {"zero_order: argnums {1} given with a function of one list", "RootArgs"}},
      {"zero_order",
       "empty argnums",
       [] {
         (void)zero_order([](const RootArgs& a) { return a[0].tensor().sum(); }, {.argnums = {}});
       },
       {"zero_order: argnums is empty"}},
      {"zero_order",
       "negative argnums",
       [] {
         (void)zero_order([](const RootArgs& a) { return a[0].tensor().sum(); },
                          {.argnums = {0, -1}});
       },
       {"zero_order: argnums {0, -1} holds -1", "0-based"}},
      {"zero_order",
       "repeated argnums",
       [] {
         (void)zero_order([](const RootArgs& a) { return a[0].tensor().sum(); },
                          {.argnums = {1, 1}});
       },
       {"zero_order: argnums {1, 1} names argument 1 twice"}},
      {"zero_order",
       "argnums past the arguments",
       [] {
         auto f =
             zero_order([](const RootArgs& a) { return a[0].tensor().sum(); }, {.argnums = {2}});
         (void)f({param(), param()});
       },
       {"zero_order: argnums {2} names argument 2, but the call has 2 argument(s)"}},
      {"zero_order",
       "fn returns a vector",
       [] { run_list([](const TensorList& p) { return p[0] * 2.0; }); },
       {"zero_order: fn must return a 0-d (scalar) tensor, got shape [2]", ".sum()"}},
      {"zero_order",
       "fn returns an integer tensor",
       [] { run_list([](const TensorList&) { return scalar_tensor(1.0, kInt64); }); },
       {"zero_order: fn must return a floating", "int64"}},
      {"zero_order",
       "fn returns an undefined tensor",
       [] { run_list([](const TensorList&) { return Tensor(); }); },
       {"zero_order: fn returned an undefined tensor"}},
      {"zero_order",
       "no tensor to differentiate",
       [] { (void)zero_order(sum_of_squares)({}); },
       {"zero_order: there is no tensor to differentiate"}},
      {"zero_order",
       "an integer parameter",
       [] {
         (void)zero_order(sum_of_squares)({i64({1, 2})});
       },
       {"zero_order: differentiated tensor 0 must be floating", "int64"}},
      {"zero_order",
       "a distribution of the wrong shape",
       [] {
         run_list(sum_of_squares,
                  {.distribution = [](const Dims&, Generator& g) { return randn({3}, {}, &g); }});
       },
       {"zero_order: the distribution returned shape [3] when asked for shape [2]"}},
      {"zero_order",
       "a distribution of integers",
       [] {
         run_list(sum_of_squares,
                  {.distribution = [](const Dims& s, Generator&) { return zeros(s, kInt64); }});
       },
       {"zero_order: the distribution must return a floating tensor, got int64"}},
      {"ZeroOrderGradientModule",
       "negative sigma",
       [] { PlainZeroOrder m({.sigma = -1.0}); },
       {"ZeroOrderGradientModule: sigma must be a finite number > 0, got -1"}},
      {"ZeroOrderGradientModule",
       "no parameters",
       [] {
         PlainZeroOrder m({}, /*with_parameter=*/false);
         run_module(m);
       },
       {"ZeroOrderGradientModule: the module (", "has no parameters"}},
      {"ZeroOrderGradientModule",
       "an objective that is not a scalar",
       [] {
         PlainZeroOrder m({}, true, /*scalar=*/false);
         run_module(m);
       },
       {"ZeroOrderGradientModule: objective must return a 0-d (scalar) tensor, got shape [2]"}},
      {"ZeroOrderGradientModule",
       "a module that cannot be copied for the worker threads",
       [] {
         PlainZeroOrder m({.num_samples = 2, .num_threads = 2});
         run_module(m);
       },
       {"ZeroOrderGradientModule: cannot copy the module", "nn::Cloneable<",
        "nn::ZeroOrderGradientModule>"}},
  };
}

}  // namespace metagrad::testing
