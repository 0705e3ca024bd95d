#pragma once

// PLACEHOLDER: to be written (issue 12).
#include "cuda/kernel_backend.hpp"

namespace metagrad {

template <typename Executor>
void KernelBackend<Executor>::matmul(const View& a, const View& b, const View& out) {
  MG_FAIL("matmul (CUDA): not written yet");
}

}  // namespace metagrad
