#pragma once

// PLACEHOLDER: to be written (issue 12).
#include "cuda/kernel_backend.hpp"

namespace metagrad {

template <typename Executor>
void KernelBackend<Executor>::fill(const View& out, double value) {
  MG_FAIL("fill (CUDA): not written yet");
}

template <typename Executor>
void KernelBackend<Executor>::copy(const View& src, const View& out) {
  MG_FAIL("copy (CUDA): not written yet");
}

}  // namespace metagrad
