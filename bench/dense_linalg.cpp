// Dense linear algebra against PyTorch: one JSON line per workload; bench/dense_linalg.py runs the
// same work with PyTorch and the same schema, and bench/compare_pytorch.py prints the ratios.
//
// Workloads (float32 batches of 64 matrices, forward + backward of mean(y²)):
//   linalg_solve: solve(A, B), A [64, 32, 32] (a fill plus 4 I), B [64, 32, 8];
//   linalg_inv: inv(A);  linalg_slogdet: slogdet(A).logabsdet;
//   linalg_cholesky: cholesky(M Mᵀ + 4 I), M [64, 32, 32];
//   linalg_eigvalsh: eigvalsh(M + Mᵀ);
//   linalg_qr: qr(T).R and linalg_svdvals: svdvals(T), T [64, 48, 32] (a fill plus 2 I).
// Inputs are sin(0.37 i + phase) fills (the same numbers on both sides), so the reported losses
// agree with PyTorch's to float32 rounding. Environment: BENCH_THREADS (2) OpenMP threads;
// BENCH_ITERS (20) timed calls; BENCH_WARMUP (3); BENCH_WORKLOADS (all) comma-separated subset.
#include <fmt/core.h>

#include <string>

#include "bench/bench_common.hpp"
#include "bench/mean_square_workload.hpp"
#include "bench/wave_fill.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;

namespace {

using namespace bench;  // the shared timing harness

// A leaf fill sin(0.37 i + phase) plus `diagonal` times the identity in its last two dims.
mg::Tensor leaf(const mg::Dims& shape, double phase, double diagonal) {
  const int64_t rows = shape[shape.size() - 2], cols = shape.back();
  return (wave(shape, phase, 1.0) + diagonal * mg::eye(rows, cols)).detach().requires_grad_();
}

mg::Tensor transposed(const mg::Tensor& x) { return x.transpose(-2, -1); }

}  // namespace

int main() {
  return run_guarded("dense_linalg", [] {
    const RunContext ctx{configure_threads(), gemm_library()};
    const int iters = env_int("BENCH_ITERS", 20), warmup = env_count("BENCH_WARMUP", 3);
    const auto workload = [&](const std::string& name, const mg::TensorList& inputs,
                              const std::function<mg::Tensor(const mg::TensorList&)>& f) {
      mean_square_workload(ctx, name, inputs, f, warmup, iters);
    };
    const mg::Tensor square = leaf({64, 32, 32}, 0.1, 4.0);
    const mg::Tensor rhs = leaf({64, 32, 8}, 0.2, 0.0);
    const mg::Tensor fill = leaf({64, 32, 32}, 0.3, 0.0);
    const mg::Tensor tall = leaf({64, 48, 32}, 0.4, 2.0);
    workload("linalg_solve", {square, rhs},
             [](const mg::TensorList& x) { return mg::linalg::solve(x[0], x[1]); });
    workload("linalg_inv", {square}, [](const mg::TensorList& x) { return mg::linalg::inv(x[0]); });
    workload("linalg_slogdet", {square},
             [](const mg::TensorList& x) { return mg::linalg::slogdet(x[0]).logabsdet; });
    workload("linalg_cholesky", {fill}, [](const mg::TensorList& x) {
      return mg::linalg::cholesky(mg::matmul(x[0], transposed(x[0])) + 4.0 * mg::eye(32, 32));
    });
    workload("linalg_eigvalsh", {fill},
             [](const mg::TensorList& x) { return mg::linalg::eigvalsh(x[0] + transposed(x[0])); });
    workload("linalg_qr", {tall}, [](const mg::TensorList& x) { return mg::linalg::qr(x[0]).R; });
    workload("linalg_svdvals", {tall},
             [](const mg::TensorList& x) { return mg::linalg::svdvals(x[0]); });
  });
}
