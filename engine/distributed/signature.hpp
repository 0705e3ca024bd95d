#pragma once

#include <string>
#include <string_view>

#include "engine/distributed/communicator.hpp"
#include "engine/tensor.hpp"

namespace metagrad::distributed::detail {

/// "<op> <n> tensors: float32 [3, 4], float64 []" (the call as checked across ranks).
std::string describe_call(std::string_view op, const TensorList& tensors);

/// Checks that every rank makes the same call: exchanges a hash of `description`; when the
/// ranks disagree, exchanges the descriptions and throws on every rank the same
/// DistributedError naming rank 0's call and the first rank whose call differs. Nothing else has
/// been exchanged then, so the group stays usable. This exchange is also the barrier.
void agree_on_call(Communicator& comm, std::string_view op, const std::string& description);

}  // namespace metagrad::distributed::detail
