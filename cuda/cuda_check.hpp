#pragma once

// Error checks for CUDA runtime and cuBLAS calls (nvcc translation units only).
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "cuda/cublas_library.hpp"
#include "engine/error.hpp"

/// Throws metagrad::Error naming the call, where it was made and the CUDA runtime's message.
#define MG_CUDA_CHECK(expr)                                                                    \
  do {                                                                                         \
    const cudaError_t mg_status_ = (expr);                                                     \
    if (mg_status_ != cudaSuccess)                                                             \
      throw ::metagrad::Error(::fmt::format(                                                   \
          MG_FORMAT_STRING("CUDA error {} ({}) in {} at {}:{}"), cudaGetErrorName(mg_status_), \
          cudaGetErrorString(mg_status_), #expr, __FILE__, __LINE__));                         \
  } while (0)

/// Throws metagrad::Error naming the call, where it was made and cuBLAS's message.
#define MG_CUBLAS_CHECK(expr)                                                          \
  do {                                                                                 \
    const cublasStatus_t mg_status_ = (expr);                                          \
    if (mg_status_ != CUBLAS_STATUS_SUCCESS)                                           \
      throw ::metagrad::Error(::fmt::format(                                           \
          MG_FORMAT_STRING("cuBLAS error {} ({}) in {} at {}:{}"),                     \
          ::metagrad::cublas().status_name(mg_status_),                                \
          ::metagrad::cublas().status_string(mg_status_), #expr, __FILE__, __LINE__)); \
  } while (0)
