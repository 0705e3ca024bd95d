#pragma once

// PLACEHOLDER: to be written (issue 12).
#include "cuda/kernel_backend.hpp"

namespace metagrad {

template <typename Executor>
void KernelBackend<Executor>::random(RandomKind kind, const View& out, uint64_t seed, uint64_t offset, double low, double high) {
  MG_FAIL("random (CUDA): not written yet");
}

}  // namespace metagrad
