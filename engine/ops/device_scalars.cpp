#include "engine/ops/device_scalars.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include "engine/ops/factory.hpp"
#include "engine/ops/op_support.hpp"

// Note [device scalar constants]
// `x * 0.5` on a GPU needs its 0.5 in device memory: a 0-d tensor, one allocation and one fill
// launch, for every scalar operand. A MAML meta-step on the GPU asks for a few hundred of them
// (batch-norm coefficients times 1/M, learning rates, eps), a sixth of its kernel launches, and
// almost all of them are the same few values again and again (PyTorch passes such numbers to the
// kernel as arguments instead). So the 0-d tensors of the last kSlots distinct (value, dtype,
// device, backend) are kept and handed out again: a hit costs neither an allocation nor a launch.
// The value is matched by its bits (0.0 and -0.0 stay apart). An entry is valid while its backend
// still serves the device (ScopedEmulatedCuda swaps backends) and its version counter is
// unchanged. The table is never destroyed: the backends are function-local statics that may be
// constructed after it, so freeing its tensors at exit could reach a destroyed backend; and an
// evicted entry whose backend no longer serves its device is kept, not freed (that backend may be
// a test's double that is gone; a Storage frees through the backend that allocated it). The CPU
// keeps its 0-d tensors inline in the Storage, where a new one is as cheap as a lookup.

namespace metagrad::detail {
namespace {

struct Entry {
  Tensor scalar;
  const Backend* backend = nullptr;
  uint64_t bits = 0;
  uint64_t version = 0;
};

class ScalarTable {
 public:
  Tensor get(double value, const Tensor& like) {
    const Backend* backend = &backend_of(like);
    const uint64_t bits = std::bit_cast<uint64_t>(value);
    std::lock_guard lock(mutex_);
    for (const Entry& e : entries_) {
      if (e.scalar.defined() && e.bits == bits && e.backend == backend &&
          e.scalar.dtype() == like.dtype() && e.scalar.device() == like.device() &&
          e.scalar.version() == e.version) {
        return e.scalar;
      }
    }
    Tensor s = make_empty(Dims{}, like.dtype(), like.device());
    backend_of(s).fill(view_of(s), value);
    retire(entries_[next_]);  // the oldest entry makes room
    entries_[next_] = Entry{s, backend, bits, s.version()};
    next_ = (next_ + 1) % kSlots;
    return s;
  }

 private:
  // An entry of a backend that no longer serves its device (a swapped-out emulation or a test
  // double, perhaps destroyed) is kept alive instead of freed.
  void retire(Entry& e) {
    if (!e.scalar.defined()) return;
    const Backend* current = nullptr;
    try {
      current = &backend_for(e.scalar.device());
    } catch (const Error&) {  // no backend serves that device now
    }
    if (current != e.backend) orphans_.push_back(std::move(e.scalar));
  }

  static constexpr size_t kSlots = 64;
  std::mutex mutex_;
  std::array<Entry, kSlots> entries_{};
  size_t next_ = 0;
  std::vector<Tensor> orphans_;
};

}  // namespace

Tensor shared_device_scalar(double value, const Tensor& like) {
  static ScalarTable* const table = new ScalarTable();  // never destroyed (see the Note)
  return table->get(value, like);
}

}  // namespace metagrad::detail
