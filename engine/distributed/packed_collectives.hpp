#pragma once

#include <string_view>

#include "engine/distributed/collectives.hpp"
#include "engine/distributed/communicator.hpp"
#include "engine/tensor.hpp"

// The collectives on tensor data, without autograd (collectives.cpp records them): the tensors
// are packed into few host buffers (Note [bucketing]), the transport moves them, and the results
// are unpacked into new contiguous tensors on the inputs' devices.
//
// Note [bucketing]
// Reductions pack the tensors of one dtype, in list order, into buckets of at most
// kBucketBytes (a larger tensor is a bucket of its own), and make one transport call per bucket:
// a model's hundred small gradients cost one message, not a hundred. Broadcast and all_gather move
// bytes, so every tensor of the list, of any dtype, goes into one buffer.

namespace metagrad::distributed::detail {

/// The most bytes packed into one reduction message.
inline constexpr int64_t kBucketBytes = int64_t{32} << 20;

/// Every rank's tensors combined elementwise (sum, mean or max); each result has its input's shape.
TensorList packed_all_reduce(Communicator& comm, const TensorList& tensors, ReduceOp op,
                             std::string_view name);
/// Root's tensors on every rank.
TensorList packed_broadcast(Communicator& comm, const TensorList& tensors, int root,
                            std::string_view name);
/// [world_size, ...shape]: slice r holds rank r's tensor.
TensorList packed_all_gather(Communicator& comm, const TensorList& tensors, std::string_view name);
/// Inputs [world_size, ...shape]; rank r gets the combination over ranks of their slice r.
TensorList packed_reduce_scatter(Communicator& comm, const TensorList& tensors, ReduceOp op,
                                 std::string_view name);

}  // namespace metagrad::distributed::detail
