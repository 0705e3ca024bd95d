#pragma once

// PLACEHOLDER: to be written (issue 12).
#include "cuda/kernel_backend.hpp"

namespace metagrad {

template <typename Executor>
void KernelBackend<Executor>::unfold(const View& in, const View& out, const ConvGeometry& geometry, double pad_value) {
  MG_FAIL("unfold (CUDA): not written yet");
}

template <typename Executor>
void KernelBackend<Executor>::fold(const View& in, const View& out, const ConvGeometry& geometry) {
  MG_FAIL("fold (CUDA): not written yet");
}

template <typename Executor>
void KernelBackend<Executor>::max_pool2d_indices(const View& in, const View& out_indices, const ConvGeometry& geometry) {
  MG_FAIL("max_pool2d_indices (CUDA): not written yet");
}

}  // namespace metagrad
