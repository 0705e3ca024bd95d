#pragma once

// PLACEHOLDER: to be written (issue 12).
#include "cuda/kernel_backend.hpp"

namespace metagrad {

template <typename Executor>
void KernelBackend<Executor>::reduce(ReduceOp op, const View& in, const View& out) {
  MG_FAIL("reduce (CUDA): not written yet");
}

template <typename Executor>
void KernelBackend<Executor>::arg_reduce(bool is_max, const View& in, int dim,
                                         const View& out_values, const View& out_indices) {
  MG_FAIL("arg_reduce (CUDA): not written yet");
}

}  // namespace metagrad
