#include "cuda/shared_library.hpp"

#include <dlfcn.h>

#include <utility>

#include "engine/error.hpp"

namespace metagrad {

SharedLibrary::SharedLibrary(std::string name, std::string_view owner, std::string_view remedy)
    : name_(std::move(name)), owner_(owner) {
  handle_ = dlopen(name_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle_ == nullptr) {
    const char* why = dlerror();
    MG_FAIL("{}: cannot load {} ({}); {}", owner_, name_, why ? why : "unknown error", remedy);
  }
}

void* SharedLibrary::address(const char* symbol) const {
  void* found = dlsym(handle_, symbol);
  MG_CHECK(found != nullptr, "{}: {} has no entry point {}", owner_, name_, symbol);
  return found;
}

}  // namespace metagrad
