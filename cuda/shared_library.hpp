#pragma once

#include <string>
#include <string_view>
#include <type_traits>

// A shared library opened at run time (dlopen) for the rest of the process, for the CUDA
// libraries metagrad uses but does not link (cuBLAS, NCCL: see cublas_library.hpp).

namespace metagrad {

/// An open shared library whose entry points are looked up by name.
class SharedLibrary {
 public:
  /// Opens `name` (RTLD_NOW | RTLD_LOCAL); throws metagrad::Error "<owner>: cannot load <name>
  /// (<loader's message>); <remedy>" when it cannot. The library stays open for the process.
  SharedLibrary(std::string name, std::string_view owner, std::string_view remedy);

  /// Stores the address of `symbol` in `slot` (a function pointer of the symbol's type); throws
  /// metagrad::Error "<owner>: <name> has no entry point <symbol>" when it is missing.
  template <typename Function>
  void resolve(Function& slot, const char* symbol) const {
    slot = reinterpret_cast<std::remove_reference_t<Function>>(address(symbol));
  }

 private:
  void* address(const char* symbol) const;

  std::string name_, owner_;
  void* handle_ = nullptr;
};

}  // namespace metagrad
