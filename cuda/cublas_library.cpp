#include "cuda/cublas_library.hpp"

#include <string>

#include "cuda/shared_library.hpp"

namespace metagrad {
namespace {

CublasLibrary load() {
  const SharedLibrary lib("libcublas.so." + std::to_string(CUBLAS_VER_MAJOR), "CUDA backend",
                          "install the CUDA toolkit's cuBLAS or add its folder to LD_LIBRARY_PATH");
  CublasLibrary library{};
  lib.resolve(library.create, "cublasCreate_v2");
  lib.resolve(library.destroy, "cublasDestroy_v2");
  lib.resolve(library.set_stream, "cublasSetStream_v2");
  lib.resolve(library.set_math_mode, "cublasSetMathMode");
  lib.resolve(library.sgemm_strided_batched, "cublasSgemmStridedBatched");
  lib.resolve(library.dgemm_strided_batched, "cublasDgemmStridedBatched");
  lib.resolve(library.status_name, "cublasGetStatusName");
  lib.resolve(library.status_string, "cublasGetStatusString");
  return library;
}

}  // namespace

const CublasLibrary& cublas() {
  static const CublasLibrary library = load();  // the handle stays open for the process
  return library;
}

}  // namespace metagrad
