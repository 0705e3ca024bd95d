#pragma once

// PLACEHOLDER: to be written (issue 12).
#include "cuda/kernel_backend.hpp"

namespace metagrad {

template <typename Executor>
void KernelBackend<Executor>::gather(const View& in, int dim, const View& index, const View& out) {
  MG_FAIL("gather (CUDA): not written yet");
}

template <typename Executor>
void KernelBackend<Executor>::scatter_add(const View& out, int dim, const View& index, const View& src) {
  MG_FAIL("scatter_add (CUDA): not written yet");
}

template <typename Executor>
void KernelBackend<Executor>::index_select(const View& in, int dim, const View& index, const View& out) {
  MG_FAIL("index_select (CUDA): not written yet");
}

template <typename Executor>
void KernelBackend<Executor>::index_add(const View& out, int dim, const View& index, const View& src) {
  MG_FAIL("index_add (CUDA): not written yet");
}

}  // namespace metagrad
