#pragma once

// PLACEHOLDER: to be written (issue 12).
#include "cuda/kernel_backend.hpp"

namespace metagrad {

template <typename Executor>
void KernelBackend<Executor>::channel_moments(const View& in, const View& mean,
                                              const View& sum_sq) {
  MG_FAIL("channel_moments (CUDA): not written yet");
}

template <typename Executor>
void KernelBackend<Executor>::channel_grad_sums(const View& grad, const View& in, const View& mean,
                                                const View& sum_g, const View& sum_gx) {
  MG_FAIL("channel_grad_sums (CUDA): not written yet");
}

template <typename Executor>
void KernelBackend<Executor>::channel_affine(const View& u, const View& m, const View& v,
                                             const View& a, const View& b, const View& d,
                                             const View& out) {
  MG_FAIL("channel_affine (CUDA): not written yet");
}

}  // namespace metagrad
