#pragma once

// cuBLAS, loaded when the first CUDA device is used (CUDA builds only). Linking it
// would map libcublasLt into every process that loads metagrad — about 150 MB of resident memory
// at load time, CPU-only programs included — so only its headers are used at build time and the
// few entry points the backend calls are resolved with dlopen/dlsym.
#include <cublas_v2.h>

namespace metagrad {

/// The cuBLAS entry points the CUDA backend uses.
struct CublasLibrary {
  decltype(&cublasCreate_v2) create;
  decltype(&cublasDestroy_v2) destroy;
  decltype(&cublasSetStream_v2) set_stream;
  decltype(&cublasSetMathMode) set_math_mode;
  decltype(&cublasSgemmStridedBatched) sgemm_strided_batched;
  decltype(&cublasDgemmStridedBatched) dgemm_strided_batched;
  decltype(&cublasGetStatusName) status_name;
  decltype(&cublasGetStatusString) status_string;
};

/// The process's cuBLAS (libcublas.so.<major of the headers>), loaded on the first call. Throws
/// metagrad::Error naming the library and the loader's message when it or an entry point is
/// missing.
const CublasLibrary& cublas();

}  // namespace metagrad
