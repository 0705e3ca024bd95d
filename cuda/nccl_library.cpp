#include "cuda/nccl_library.hpp"

#include <dlfcn.h>

#include <string>
#include <type_traits>

#include "engine/error.hpp"

namespace metagrad {
namespace {

NcclLibrary load() {
  const std::string name = "libnccl.so." + std::to_string(NCCL_MAJOR);
  void* handle = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    MG_FAIL(
        "distributed: cannot load {} ({}); install NCCL (it comes with the CUDA toolkit) or add "
        "its folder to LD_LIBRARY_PATH, or use the mpi backend",
        name, why ? why : "unknown error");
  }
  auto entry = [&](auto& slot, const char* symbol) {
    void* address = dlsym(handle, symbol);
    MG_CHECK(address != nullptr, "distributed: {} has no entry point {}", name, symbol);
    slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(address);
  };
  NcclLibrary library{};
  entry(library.get_unique_id, "ncclGetUniqueId");
  entry(library.comm_init_rank, "ncclCommInitRank");
  entry(library.comm_destroy, "ncclCommDestroy");
  entry(library.comm_abort, "ncclCommAbort");
  entry(library.all_reduce, "ncclAllReduce");
  entry(library.broadcast, "ncclBroadcast");
  entry(library.all_gather, "ncclAllGather");
  entry(library.reduce_scatter, "ncclReduceScatter");
  entry(library.error_string, "ncclGetErrorString");
  return library;
}

}  // namespace

const NcclLibrary& nccl() {
  static const NcclLibrary library = load();  // the handle stays open for the process
  return library;
}

}  // namespace metagrad
