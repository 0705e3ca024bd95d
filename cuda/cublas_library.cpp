#include "cuda/cublas_library.hpp"

#include <dlfcn.h>

#include <string>
#include <type_traits>

#include "engine/error.hpp"

namespace metagrad {
namespace {

CublasLibrary load() {
  const std::string name = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
  void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    MG_FAIL(
        "CUDA backend: cannot load {} ({}); install the CUDA toolkit's cuBLAS or add its "
        "folder to LD_LIBRARY_PATH",
        name, why ? why : "unknown error");
  }
  auto entry = [&](auto& slot, const char* symbol) {
    void* address = dlsym(handle, symbol);
    MG_CHECK(address != nullptr, "CUDA backend: {} has no entry point {}", name, symbol);
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(address);
  };
  CublasLibrary library{};
  entry(library.create, "cublasCreate_v2");
  entry(library.destroy, "cublasDestroy_v2");
  entry(library.set_stream, "cublasSetStream_v2");
  entry(library.set_math_mode, "cublasSetMathMode");
  entry(library.sgemm_strided_batched, "cublasSgemmStridedBatched");
  entry(library.dgemm_strided_batched, "cublasDgemmStridedBatched");
  entry(library.status_name, "cublasGetStatusName");
  entry(library.status_string, "cublasGetStatusString");
  return library;
}

}  // namespace

const CublasLibrary& cublas() {
  static const CublasLibrary library = load();  // the handle stays open for the process
  return library;
}

}  // namespace metagrad
