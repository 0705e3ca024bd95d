#pragma once

// PLACEHOLDER: to be written (issue 12).
#include "cuda/kernel_backend.hpp"

namespace metagrad {

template <typename Executor>
void KernelBackend<Executor>::adam_forward(const AdamCoefficients& k, const AdamForwardSlot* slots, size_t count) {
  MG_FAIL("adam_forward (CUDA): not written yet");
}

template <typename Executor>
void KernelBackend<Executor>::adam_backward(const AdamCoefficients& k, const AdamBackwardSlot* slots, size_t count) {
  MG_FAIL("adam_backward (CUDA): not written yet");
}

}  // namespace metagrad
