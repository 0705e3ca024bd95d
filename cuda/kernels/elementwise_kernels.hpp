#pragma once

// PLACEHOLDER: to be written (issue 12).
#include "cuda/kernel_backend.hpp"

namespace metagrad {

template <typename Executor>
void KernelBackend<Executor>::unary(UnaryOp op, const View& in, const View& out, UnaryParams params) {
  MG_FAIL("unary (CUDA): not written yet");
}

template <typename Executor>
void KernelBackend<Executor>::binary(BinaryOp op, const View& a, const View& b, const View& out) {
  MG_FAIL("binary (CUDA): not written yet");
}

template <typename Executor>
void KernelBackend<Executor>::where(const View& cond, const View& a, const View& b, const View& out) {
  MG_FAIL("where (CUDA): not written yet");
}

}  // namespace metagrad
