#include "engine/autograd/saved_tensor_hooks.hpp"

#include <atomic>

#include "engine/error.hpp"

namespace metagrad {
namespace {
// The innermost guard's hooks; a plain pointer, so that reading it (once per saved tensor) costs
// one TLS lookup and no initialisation guard.
thread_local const std::shared_ptr<const SavedTensorHooks>* innermost = nullptr;
// Guards alive on any thread: while none is, a save skips the TLS lookup (one relaxed load).
std::atomic<int64_t> live_guards{0};
}  // namespace

SavedTensorsHooksGuard::SavedTensorsHooksGuard(PackHook pack, UnpackHook unpack)
    : previous_(innermost) {
  MG_CHECK(pack && unpack, "SavedTensorsHooksGuard: the {} hook is empty; pass two callable hooks",
           pack ? "unpack" : "pack");
  hooks_ = std::make_shared<const SavedTensorHooks>(
      SavedTensorHooks{std::move(pack), std::move(unpack)});
  innermost = &hooks_;
  live_guards.fetch_add(1, std::memory_order_relaxed);
}

SavedTensorsHooksGuard::~SavedTensorsHooksGuard() {
  innermost = previous_;
  live_guards.fetch_sub(1, std::memory_order_relaxed);
}

const std::shared_ptr<const SavedTensorHooks>* current_saved_tensor_hooks() {
  // A guard on this thread was counted by this thread, so its own count is always visible here.
  return live_guards.load(std::memory_order_relaxed) == 0 ? nullptr : innermost;
}

}  // namespace metagrad
