#include "engine/autograd/saved_tensor_hooks.hpp"

#include "engine/error.hpp"

namespace metagrad {
namespace {
// The innermost guard's hooks; a plain pointer, so that reading it (once per saved tensor) costs
// one TLS lookup and no initialisation guard.
thread_local const std::shared_ptr<const SavedTensorHooks>* innermost = nullptr;
}  // namespace

SavedTensorsHooksGuard::SavedTensorsHooksGuard(PackHook pack, UnpackHook unpack)
    : previous_(innermost) {
  MG_CHECK(pack && unpack, "SavedTensorsHooksGuard: the {} hook is empty; pass two callable hooks",
           pack ? "unpack" : "pack");
  hooks_ = std::make_shared<const SavedTensorHooks>(
      SavedTensorHooks{std::move(pack), std::move(unpack)});
  innermost = &hooks_;
}

SavedTensorsHooksGuard::~SavedTensorsHooksGuard() { innermost = previous_; }

const std::shared_ptr<const SavedTensorHooks>* current_saved_tensor_hooks() { return innermost; }

}  // namespace metagrad
