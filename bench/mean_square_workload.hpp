#pragma once

// The workload shape of the op benchmarks (bench/resample, bench/elementwise_math): forward and
// backward of mean(f(inputs)²), timed, with the loss in the JSON line so that it can be checked
// against the PyTorch counterpart's (bench_common.py's mean_square_workload).
#include <fmt/core.h>

#include <functional>
#include <string>

#include "bench/bench_common.hpp"
#include "metagrad.hpp"

namespace bench {

/// Times forward + backward of mean(f(inputs)²) (each input's gradient cleared first) and emits
/// the loss, unless BENCH_WORKLOADS leaves `name` out.
inline void mean_square_workload(
    const RunContext& ctx, const std::string& name, const metagrad::TensorList& inputs,
    const std::function<metagrad::Tensor(const metagrad::TensorList&)>& f, int warmup, int iters) {
  if (!wanted(name)) return;
  double loss_value = 0.0;
  const Timing t = measure(warmup, iters, [&] {
    for (const metagrad::Tensor& input : inputs) input.set_grad({});
    const metagrad::Tensor y = f(inputs);
    const metagrad::Tensor loss = metagrad::mean(y * y);
    loss.backward();
    loss_value = loss.item<double>();
  });
  emit(ctx, name, t, fmt::format(", \"loss\": {:.7g}", loss_value));
}

}  // namespace bench
