// The CUDA kernels on random strided layouts (tests/support/random_layouts.hpp: steps, dims
// permuted in memory, expanded and unit dims, empty dims, offsets, broadcasting across ranks, now
// and then past a few thousand blocks' worth of elements) against the CPU kernels on the same views
// of the same values, which tests/engine/strided_layout_test.cpp checks against a reference. Runs
// on the GPU when one is visible, otherwise on the host emulation; float64 and float32, the values
// small integers, so every result is exact but exp's and mean's.
#include <fmt/format.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tests/cuda/cuda_test_device.hpp"
#include "tests/support/random_layouts.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

constexpr int kTrials = 150;

// A view on both devices: the same layout over the same values.
struct Pair {
  Tensor cpu, device;
};

Pair on_both(const Tensor& view, DType dtype, Device device) {
  return {converted_view(view, dtype, kCPU), converted_view(view, dtype, device)};
}

// A random view of shape `shape` (with expanded dims when `expandable`) on both devices.
Pair random_pair(Rng& rng, const Dims& shape, bool expandable, DType dtype, Device device) {
  return on_both(random_layout(rng, shape, expandable ? &shape : nullptr).view, dtype, device);
}

// An operand of random layout broadcasting to `shape`, on both devices.
Pair random_operand_pair(Rng& rng, const Dims& shape, DType dtype, Device device) {
  return on_both(random_operand(rng, shape), dtype, device);
}

// "" when the device result matches the CPU's within `tolerance`, else what differs, with the
// operands' layouts.
std::string differs(const std::string& what, const Tensor& device_result, const Tensor& cpu_result,
                    Tolerance tolerance, const std::vector<const Pair*>& operands) {
  const std::string diff = mismatch(device_result, cpu_result, tolerance);
  if (diff.empty()) return {};
  std::string layouts;
  for (const Pair* p : operands) layouts += (layouts.empty() ? "" : "; ") + describe(p->cpu);
  return fmt::format("{}({}): {}", what, layouts, diff);
}

// run_trials for float64 and for float32.
void run_trials_per_dtype(int trials, const std::function<std::string(DType)>& trial) {
  for (const DType dtype : {kFloat64, kFloat32}) run_trials(trials, [&] { return trial(dtype); });
}

using Unary = std::function<Tensor(const Tensor&)>;
using Binary = std::function<Tensor(const Tensor&, const Tensor&)>;
using InPlace = std::function<void(Tensor&, const Tensor&)>;

}  // namespace

TEST_CASE("cuda strided layouts: unary and binary ops equal the CPU's", "[cuda][strided]") {
  CudaTestDevice device;
  const Device gpu = device.device();
  Rng rng(606);
  const std::vector<std::pair<std::string, Unary>> unary = {
      {"neg", [](const Tensor& x) { return neg(x); }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"exp", [](const Tensor& x) { return exp(x); }},
      {"x * 3 + 1", [](const Tensor& x) { return x * 3.0 + 1.0; }},
      {"contiguous", [](const Tensor& x) { return x.contiguous(); }},
      {"to(other dtype)",
       [](const Tensor& x) { return x.to(x.dtype() == kFloat64 ? kFloat32 : kFloat64); }}};
  const std::vector<std::pair<std::string, Binary>> binary = {
      {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
      {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
      {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
      {"gt", [](const Tensor& a, const Tensor& b) { return gt(a, b); }},
      {"where(a < b, a, b * 2)",
       [](const Tensor& a, const Tensor& b) { return where(lt(a, b), a, b * 2.0); }}};
  for (const auto& entry : unary) {
    // Named, not structured bindings: clang before 16 cannot capture those in lambdas.
    const std::string& name = entry.first;
    const auto& op = entry.second;
    run_trials_per_dtype(kTrials, [&](DType dtype) {
      const Pair x = random_operand_pair(rng, random_shape(rng), dtype, gpu);
      return differs(name, op(x.device), op(x.cpu), tolerance_for(dtype), {&x});
    });
  }
  for (const auto& entry : binary) {
    const std::string& name = entry.first;
    const auto& op = entry.second;
    run_trials_per_dtype(kTrials, [&](DType dtype) {
      const Dims shape = random_shape(rng);
      const Pair a = random_operand_pair(rng, shape, dtype, gpu);
      const Pair b = random_operand_pair(rng, shape, dtype, gpu);
      return differs(name, op(a.device, b.device), op(a.cpu, b.cpu), {}, {&a, &b});
    });
  }
}

TEST_CASE("cuda strided layouts: in-place ops and copy_ write exactly the view's elements",
          "[cuda][strided]") {
  CudaTestDevice device;
  const Device gpu = device.device();
  Rng rng(707);
  const std::vector<std::pair<std::string, InPlace>> ops = {
      {"add_", [](Tensor& d, const Tensor& s) { d.add_(s); }},
      {"mul_", [](Tensor& d, const Tensor& s) { d.mul_(s); }},
      {"copy_", [](Tensor& d, const Tensor& s) { d.copy_(s); }},
      {"copy_ across devices", [](Tensor& d, const Tensor& s) { d.copy_(s.to(kCPU)); }}};
  for (const auto& entry : ops) {
    const std::string& name = entry.first;
    const auto& op = entry.second;
    run_trials_per_dtype(kTrials, [&](DType dtype) {
      const Dims shape = random_shape(rng);
      Pair dest = random_pair(rng, shape, false, dtype, gpu);
      const Pair src = random_operand_pair(rng, shape, dtype, gpu);
      op(dest.cpu, src.cpu);
      op(dest.device, src.device);
      // The whole storages: the elements outside the view must be untouched on both.
      return differs(name, whole_storage(dest.device), whole_storage(dest.cpu), {}, {&dest, &src});
    });
  }
}

TEST_CASE("cuda strided layouts: reductions over any set of dims equal the CPU's",
          "[cuda][strided]") {
  CudaTestDevice device;
  Rng rng(808);
  const char* const names[] = {"sum", "mean", "amax", "amin"};
  run_trials_per_dtype(4 * kTrials, [&](DType dtype) -> std::string {
    const Pair x = random_operand_pair(rng, random_shape(rng), dtype, device.device());
    const ReductionDims r = random_reduction_dims(rng, x.cpu.dim());
    const int64_t count = r.count(x.cpu.shape());
    const int kind = static_cast<int>(uniform(rng, 0, 3));
    if (count == 0 && kind != 0) return {};  // mean: nan; amax/amin: an error
    const auto reduce = [&](const Tensor& t) {
      return kind == 0   ? sum(t, r.dims, r.keepdim)
             : kind == 1 ? mean(t, r.dims, r.keepdim)
             : kind == 2 ? amax(t, r.dims, r.keepdim)
                         : amin(t, r.dims, r.keepdim);
    };
    return differs(fmt::format("{} over {} keepdim {}", names[kind], shape_str(r.dims), r.keepdim),
                   reduce(x.device), reduce(x.cpu),
                   kind == 1 ? tolerance_for(dtype, count) : Tolerance{}, {&x});
  });
}

TEST_CASE("cuda strided layouts: matmul of any operand layouts equals the CPU's",
          "[cuda][strided]") {
  CudaTestDevice device;
  Rng rng(909);
  run_trials_per_dtype(kTrials, [&](DType dtype) {
    const MatmulProblem p = random_matmul_problem(rng, 40);
    const Pair a = on_both(p.a, dtype, device.device()), b = on_both(p.b, dtype, device.device());
    return differs("matmul", matmul(a.device, b.device), matmul(a.cpu, b.cpu),
                   tolerance_for(dtype, p.k), {&a, &b});
  });
}

TEST_CASE("cuda strided layouts: index_select, gather and scatter_add equal the CPU's",
          "[cuda][strided]") {
  CudaTestDevice device;
  const Device gpu = device.device();
  Rng rng(1010);
  run_trials_per_dtype(kTrials, [&](DType dtype) {
    IndexProblem p;
    index_select_problem(rng, p);
    const Pair x = on_both(p.x, dtype, gpu), index = on_both(p.index, kInt64, gpu);
    return differs(fmt::format("index_select dim {}", p.dim),
                   index_select(x.device, p.dim, index.device),
                   index_select(x.cpu, p.dim, index.cpu), {}, {&x, &index});
  });
  run_trials_per_dtype(kTrials, [&](DType dtype) {
    IndexProblem p;
    gather_problem(rng, p);
    const Pair x = on_both(p.x, dtype, gpu), index = on_both(p.index, kInt64, gpu);
    const Pair src = on_both(random_layout(rng, p.index.shape()).view, dtype, gpu);
    const std::string failure =
        differs(fmt::format("gather dim {}", p.dim), gather(x.device, p.dim, index.device),
                gather(x.cpu, p.dim, index.cpu), {}, {&x, &index});
    if (!failure.empty()) return failure;
    return differs(fmt::format("scatter_add dim {}", p.dim),
                   scatter_add(x.device, p.dim, index.device, src.device),
                   scatter_add(x.cpu, p.dim, index.cpu, src.cpu), {}, {&x, &index, &src});
  });
}
