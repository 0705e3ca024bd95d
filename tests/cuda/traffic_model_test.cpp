// The GPU traffic model (Note [GPU traffic model]): what it charges each Backend entry, and that it
// forwards every call unchanged.
#include "cuda/traffic_model.hpp"

#include <string>
#include <vector>

#include "cuda/emulated_backend.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;

namespace {

// Serves CUDA tensors from `model` for its lifetime.
struct ScopedModel {
  explicit ScopedModel(TrafficModelBackend& model) { register_cuda_backend(&model); }
  ~ScopedModel() { register_cuda_backend(nullptr); }
  ScopedModel(const ScopedModel&) = delete;
  ScopedModel& operator=(const ScopedModel&) = delete;
};

const TrafficTally& tally(const TrafficTallies& all, BackendEntry entry) {
  return all[static_cast<size_t>(entry)];
}

}  // namespace

TEST_CASE("traffic model: bytes of elementwise ops, broadcast operands read once", "[cuda]") {
  // 1 kB/s and no floor: the modelled seconds are the bytes / 1000.
  TrafficModelBackend model(emulated_cuda_backend(), GpuRoofline{1e3, 1e9, 0.0});
  const ScopedModel scope(model);
  const TensorOptions f32(kFloat32, cuda_device(0));
  const Tensor a = arange(0, 1000, 1, f32);
  const Tensor b = full({1000}, 2.0, f32);

  model.reset();
  const Tensor sum = a + b;
  TrafficTallies all = model.tallies();
  CHECK(tally(all, BackendEntry::Binary).calls == 1);
  CHECK(tally(all, BackendEntry::Binary).bytes == 3 * 1000 * 4);
  CHECK(tally(all, BackendEntry::Binary).seconds == Approx(12.0));
  CHECK(model.total().calls == 1);
  CHECK(sum.to(kCPU).to_vector<float>()[999] == 1001.0f);  // forwarded to the emulated kernels

  // [1000, 1] + [1, 1000]: each operand's 1000 distinct elements, and the 10^6 written.
  model.reset();
  const Tensor outer = reshape(a, {1000, 1}) + reshape(b, {1, 1000});
  all = model.tallies();
  CHECK(tally(all, BackendEntry::Binary).bytes == (1000 + 1000 + 1000 * 1000) * 4);
  CHECK(outer.size(0) == 1000);
  CHECK(outer.size(1) == 1000);

  model.reset();
  const Tensor total = sum.sum();
  CHECK(tally(model.tallies(), BackendEntry::Reduce).bytes == 1000 * 4 + 4);
  CHECK(total.item<float>() == Approx(1000.0 * 999 / 2 + 2000));
}

TEST_CASE("traffic model: GEMM flops, the roofline's max and the per-kernel floor", "[cuda]") {
  TrafficModelBackend model(emulated_cuda_backend(), GpuRoofline{1e12, 1e6, 1e-3});
  const ScopedModel scope(model);
  const TensorOptions f64(kFloat64, cuda_device(0));
  const Tensor a = full({64, 32}, 0.5, f64);
  const Tensor b = full({32, 16}, 2.0, f64);

  model.reset();
  const Tensor product = matmul(a, b);
  const TrafficTally gemm = tally(model.tallies(), BackendEntry::Matmul);
  CHECK(gemm.calls == 1);
  CHECK(gemm.flops == 2.0 * 64 * 16 * 32);
  CHECK(gemm.bytes == (64 * 32 + 32 * 16 + 64 * 16) * 8);
  CHECK(gemm.seconds == Approx(2.0 * 64 * 16 * 32 / 1e6));  // compute-bound at 1 MFLOP/s
  CHECK(product.to(kCPU).to_vector<double>() == std::vector<double>(64 * 16, 32.0));

  // A 12-byte add is below the floor of 1 ms per kernel.
  model.reset();
  (void)(full({1}, 1.0, f64) + full({1}, 2.0, f64));
  const TrafficTallies all = model.tallies();
  CHECK(tally(all, BackendEntry::Binary).seconds == Approx(1e-3));
  CHECK(tally(all, BackendEntry::Fill).calls == 2);
  CHECK(model.total().seconds == Approx(3e-3));
}

TEST_CASE("traffic model: index ops, conv columns and the fused Adam step", "[cuda]") {
  TrafficModelBackend model(emulated_cuda_backend());
  const ScopedModel scope(model);
  const TensorOptions f32(kFloat32, cuda_device(0));

  // gather: read the indices and one input element per index, write the output.
  const Tensor source = arange(0, 100, 1, f32);
  const Tensor index = tensor({3, 1, 4, 1, 5}, TensorOptions(kInt64, cuda_device(0)));
  model.reset();
  const Tensor picked = gather(source, 0, index);
  CHECK(tally(model.tallies(), BackendEntry::Gather).bytes == 5 * 8 + 5 * 4 + 5 * 4);
  CHECK(picked.to(kCPU).to_vector<float>() == std::vector<float>{3, 1, 4, 1, 5});

  // unfold of [1, 2, 5, 5] by 3x3 windows: read 50 elements, write [1, 18, 9] columns.
  const Tensor image = randn({1, 2, 5, 5}, f32);
  model.reset();
  (void)unfold(image, {3, 3});
  CHECK(tally(model.tallies(), BackendEntry::Unfold).bytes == (50 + 18 * 9) * 4);

  // The fused Adam step with the param: read g, mu, nu, p and write mu, nu, p.
  const Tensor g = full({10}, 0.5, f32);
  Tensor mu = zeros({10}, f32), nu = zeros({10}, f32), p = ones({10}, f32);
  AdamForwardSlot slot;
  slot.numel = 10;
  slot.g = g.raw_data();
  slot.mu = slot.mu_out = mu.raw_data();
  slot.nu = slot.nu_out = nu.raw_data();
  slot.param = p.raw_data();
  AdamCoefficients k;
  k.bc1 = 0.1;
  k.bc2 = 0.001;
  k.param_scale = -0.1;
  model.reset();
  model.adam_forward(k, &slot, 1);
  CHECK(tally(model.tallies(), BackendEntry::AdamForward).bytes == 10 * 4 * 7);
  CHECK(p.to(kCPU).to_vector<float>()[0] == Approx(0.9).epsilon(1e-5));  // p - 0.1 * 1
}

TEST_CASE("traffic model: the benchmark fields, largest entry first", "[cuda]") {
  TrafficTallies tallies{};
  tallies[static_cast<size_t>(BackendEntry::Copy)] = TrafficTally{2, 4e9, 0, 2e-3};
  tallies[static_cast<size_t>(BackendEntry::Matmul)] = TrafficTally{1, 1e9, 5e11, 1e-2};
  const std::string fields = traffic_fields(tallies, 2);
  CHECK(fields ==
        ", \"model_gpu_ms\": 6.000, \"model_gbytes\": 2.500, \"model_gflops\": 250.00, "
        "\"model_ms_by_entry\": {\"matmul\": 5.000, \"copy\": 1.000}");
}

TEST_CASE("traffic model: copies, scatters, batch-norm kernels, solves and Adam's backward",
          "[cuda]") {
  TrafficModelBackend model(emulated_cuda_backend());
  const ScopedModel scope(model);
  const TensorOptions f32(kFloat32, cuda_device(0)), f64(kFloat64, cuda_device(0));
  const TensorOptions i64(kInt64, cuda_device(0));
  const auto bytes = [&](BackendEntry entry) { return tally(model.tallies(), entry).bytes; };

  // A copy reads and writes every element once.
  const Tensor matrix = arange(0, 12, 1, f32).reshape({3, 4});
  model.reset();
  const Tensor transposed = matrix.t().contiguous();
  CHECK(bytes(BackendEntry::Copy) == 12 * 4 + 12 * 4);

  // scatter_add and index_add: the indices, the source, and a read-modify-write of the output
  // element each source element lands on.
  const Tensor index = tensor({3, 1, 4, 1, 5}, i64);
  model.reset();
  (void)scatter_add(zeros({10}, f32), 0, index, full({5}, 1.0, f32));
  CHECK(bytes(BackendEntry::ScatterAdd) == 5 * 8 + 5 * 4 + 2 * 5 * 4);
  model.reset();
  (void)index_add(zeros({4, 3}, f32), 0, tensor({2, 0}, i64), ones({2, 3}, f32));
  CHECK(bytes(BackendEntry::IndexAdd) == 2 * 8 + 6 * 4 + 2 * 6 * 4);

  // Batch norm's kernels over [N, C, S] = [2, 3, 4]: two passes for the moments; one pass over
  // grad and input for the gradient sums; the affine map reads u, v and four [C] vectors.
  const Tensor in = randn({2, 3, 4}, f32), grad = randn({2, 3, 4}, f32);
  const Tensor mean = zeros({3}, f32), sum_sq = zeros({3}, f32), sum_g = zeros({3}, f32),
               sum_gx = zeros({3}, f32), coefficient = ones({3}, f32);
  const Tensor out = empty({2, 3, 4}, f32);
  model.reset();
  model.channel_moments(detail::view_of(in), detail::view_of(mean), detail::view_of(sum_sq));
  CHECK(bytes(BackendEntry::ChannelMoments) == 2 * 24 * 4 + 2 * 3 * 4);
  model.channel_grad_sums(detail::view_of(grad), detail::view_of(in), detail::view_of(mean),
                          detail::view_of(sum_g), detail::view_of(sum_gx));
  CHECK(bytes(BackendEntry::ChannelGradSums) == 2 * 24 * 4 + 3 * 3 * 4);
  model.channel_affine(detail::view_of(in), detail::view_of(mean), detail::view_of(grad),
                       detail::view_of(coefficient), detail::view_of(coefficient),
                       detail::view_of(coefficient), detail::view_of(out));
  CHECK(bytes(BackendEntry::ChannelAffine) == 3 * 24 * 4 + 4 * 3 * 4);

  // A dense solve of [4, 4] with 2 right-hand sides: 2/3 n³ for the LU, 2 n² per right-hand side.
  const Tensor a = eye(4, -1, f64) * 2.0, b = ones({4, 2}, f64);
  const Tensor x = empty({4, 2}, f64);
  model.reset();
  model.lu_solve(detail::view_of(a), detail::view_of(b), detail::view_of(x));
  const TrafficTally solve = tally(model.tallies(), BackendEntry::LuSolve);
  CHECK(solve.bytes == (16 + 8 + 8) * 8);
  CHECK(solve.flops == Approx(2.0 / 3.0 * 64 + 2.0 * 16 * 2));
  CHECK(x.to(kCPU).to_vector<double>() == std::vector<double>(8, 0.5));

  // A Cholesky factorization of a batch of three [4, 4]: n³/3 each; the factor and the info
  // written. Then a triangular solve with the factor: n² per right-hand side and matrix.
  const Tensor batch = (eye(4, -1, f64) * 4.0).expand({3, 4, 4}).contiguous();
  const Tensor factor = empty({3, 4, 4}, f64), info = empty({3}, i64);
  model.reset();
  const View factor_view = detail::view_of(factor);
  model.decompose(Decomposition::Cholesky, detail::view_of(batch), &factor_view, 1,
                  detail::view_of(info));
  const TrafficTally cholesky = tally(model.tallies(), BackendEntry::Decompose);
  CHECK(cholesky.bytes == (48 + 48) * 8 + 3 * 8);
  CHECK(cholesky.flops == Approx(3 * 64.0 / 3.0));
  CHECK(info.to(kCPU).to_vector<int64_t>() == std::vector<int64_t>(3, 0));
  CHECK(factor.to(kCPU).select(0, 2).select(0, 3).to_vector<double>() ==
        std::vector<double>{0, 0, 0, 2});
  const Tensor rhs = ones({3, 4, 2}, f64), solution = empty({3, 4, 2}, f64);
  model.triangular_solve(factor_view, detail::view_of(rhs), detail::view_of(solution), false,
                         false);
  const TrafficTally triangular = tally(model.tallies(), BackendEntry::TriangularSolve);
  CHECK(triangular.bytes == (48 + 24 + 24) * 8);
  CHECK(triangular.flops == Approx(16.0 * 2 * 3));
  CHECK(solution.to(kCPU).to_vector<double>() == std::vector<double>(24, 0.5));

  // Adam's backward: three output gradients and g, mu', nu' read; dg, dmu, dnu written.
  const Tensor ones10 = ones({10}, f32);
  Tensor dg = empty({10}, f32), dmu = empty({10}, f32), dnu = empty({10}, f32);
  AdamBackwardSlot slot;
  slot.numel = 10;
  slot.grad_mu = slot.grad_nu = slot.grad_u = slot.g = slot.mu = slot.nu = ones10.raw_data();
  slot.dg = dg.raw_data();
  slot.dmu = dmu.raw_data();
  slot.dnu = dnu.raw_data();
  AdamCoefficients k;
  k.bc1 = 0.1;
  k.bc2 = 0.001;
  model.reset();
  model.adam_backward(k, &slot, 1);
  CHECK(bytes(BackendEntry::AdamBackward) == 10 * 4 * 9);
}

TEST_CASE("traffic model: the benchmark fields list every entry that ran, the first one too",
          "[cuda]") {
  TrafficTallies tallies{};
  tallies[static_cast<size_t>(BackendEntry::Fill)] = TrafficTally{1, 1e6, 0, 1e-3};
  CHECK(traffic_fields(tallies, 1) ==
        ", \"model_gpu_ms\": 1.000, \"model_gbytes\": 0.001, \"model_gflops\": 0.00, "
        "\"model_ms_by_entry\": {\"fill\": 1.000}");
}
