// Elementwise math against PyTorch: one JSON line per workload; bench/elementwise_math.py runs the
// same work with PyTorch and the same schema, and bench/compare_pytorch.py prints the ratios.
//
// Workloads (float32 [512, 1024], forward + backward of mean(y²)):
//   math_tan: tan on (-1.2, 1.2);  math_atan2: atan2 of two fills;
//   math_lgamma: lgamma on (1, 3) (backward: digamma);  math_digamma: digamma on (1, 3)
//   (backward: polygamma(1));  math_erfinv: erfinv on (-0.9, 0.9);
//   math_logaddexp: logaddexp of two fills on (-3, 3);  math_remainder: remainder by 0.7;
//   math_sigmoid, math_log1p, math_expm1, math_erf, math_atan, math_sinh: those functions;
//   act_gelu, act_silu, act_softplus, act_elu: the activations at their default options.
// Inputs are sin(0.37 i + phase) fills (the same numbers on both sides), so the reported losses
// agree with PyTorch's to float32 rounding. Environment: BENCH_THREADS (2) OpenMP threads;
// BENCH_ITERS (20) timed calls; BENCH_WARMUP (3); BENCH_WORKLOADS (all) comma-separated subset.
#include <fmt/core.h>

#include <functional>
#include <string>

#include "bench/bench_common.hpp"
#include "bench/mean_square_workload.hpp"
#include "bench/wave_fill.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;

namespace {

using namespace bench;  // the shared timing harness

// A leaf fill sin(0.37 i + phase) * scale + shift.
mg::Tensor leaf(double phase, double scale, double shift) {
  return (wave({512, 1024}, phase, scale) + shift).detach().requires_grad_();
}

}  // namespace

int main() {
  return run_guarded("elementwise_math", [] {
    const RunContext ctx{configure_threads(), gemm_library()};
    const int iters = env_int("BENCH_ITERS", 20), warmup = env_count("BENCH_WARMUP", 3);
    const auto one = [&](const std::string& name, const mg::Tensor& x,
                         mg::Tensor (*f)(const mg::Tensor&)) {
      mean_square_workload(
          ctx, name, {x}, [f](const mg::TensorList& in) { return f(in[0]); }, warmup, iters);
    };
    const auto two = [&](const std::string& name, const mg::Tensor& a, const mg::Tensor& b,
                         mg::Tensor (*f)(const mg::Tensor&, const mg::Tensor&)) {
      mean_square_workload(
          ctx, name, {a, b}, [f](const mg::TensorList& in) { return f(in[0], in[1]); }, warmup,
          iters);
    };
    one("math_tan", leaf(0.1, 1.2, 0.0), mg::tan);
    two("math_atan2", leaf(0.2, 1.0, 0.0), leaf(0.9, 1.0, 0.0), mg::atan2);
    one("math_lgamma", leaf(0.3, 1.0, 2.0), mg::lgamma);
    one("math_digamma", leaf(0.4, 1.0, 2.0), mg::digamma);
    one("math_erfinv", leaf(0.5, 0.9, 0.0), mg::erfinv);
    two("math_logaddexp", leaf(0.6, 3.0, 0.0), leaf(1.1, 3.0, 0.0), mg::logaddexp);
    mean_square_workload(
        ctx, "math_remainder", {leaf(0.7, 3.0, 0.0)},
        [](const mg::TensorList& in) { return mg::remainder(in[0], 0.7); }, warmup, iters);
    one("math_sigmoid", leaf(0.8, 4.0, 0.0), mg::sigmoid);
    one("math_log1p", leaf(0.9, 0.9, 0.0), mg::log1p);
    one("math_expm1", leaf(1.0, 2.0, 0.0), mg::expm1);
    one("math_erf", leaf(1.1, 2.0, 0.0), mg::erf);
    one("math_atan", leaf(1.2, 3.0, 0.0), mg::atan);
    one("math_sinh", leaf(1.3, 2.0, 0.0), mg::sinh);
    one("act_gelu", leaf(1.4, 3.0, 0.0), [](const mg::Tensor& x) { return mg::gelu(x); });
    one("act_silu", leaf(1.5, 3.0, 0.0), mg::silu);
    one("act_softplus", leaf(1.6, 3.0, 0.0), [](const mg::Tensor& x) { return mg::softplus(x); });
    one("act_elu", leaf(1.7, 3.0, 0.0), [](const mg::Tensor& x) { return mg::elu(x); });
  });
}
