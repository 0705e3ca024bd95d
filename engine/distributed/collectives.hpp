#pragma once

#include <cstdint>

#include "engine/distributed/process_group.hpp"
#include "engine/tensor.hpp"

// Note [differentiable collectives]
// The collectives run over the current process group (Note [process group]) and are
// differentiable ops, as torch.distributed.nn.functional's: a graph that crosses ranks
// differentiates correctly. The loss they differentiate is the sum of every rank's own loss, so
// each backward is its forward's adjoint, itself a collective:
//   all_reduce(sum)  <->  all_reduce(sum)        all_reduce(mean) <-> all_reduce(mean)
//   broadcast(root)  <->  reduce(root)           all_gather       <-> reduce_scatter(sum)
// (all_reduce(max) sends the summed gradient to the ranks holding the maximum, shared evenly
// between ties). Because backwards are collectives, every rank must back-propagate through the
// same collectives in the same order, as every rank must call them in the same order forward.
//
// SPMD programs often compute one loss identically on every rank instead (data parallelism).
// For that, replicate / reduce_replicated treat a tensor every rank holds identically as one
// logical value (Megatron's f and g): replicate is the identity forward and sums the ranks'
// gradients backward; reduce_replicated sums the ranks' shares forward and passes each rank the
// one logical gradient backward. They are each other's adjoint. parallelize
// (engine/distributed/parallelize.hpp) uses them.
//
// Tensors may be on any device; CUDA tensors are staged through host memory. Results are new
// contiguous tensors on their input's device. Lists are bucketed into few messages (Note
// [bucketing] in packed_collectives.hpp).

namespace metagrad::distributed {
/// \addtogroup distributed
/// @{

/// How all_reduce and reduce_scatter combine the ranks' values (torch.distributed.ReduceOp).
enum class ReduceOp {
  /// The sum over ranks.
  sum,
  /// The sum divided by the world size (floating dtypes only).
  mean,
  /// The elementwise maximum (all_reduce only).
  max,
};

/// Every rank's tensors combined elementwise over the ranks; each result has its input's shape.
/// All ranks pass the same number of tensors with the same dtypes and shapes. Differentiable
/// (Note [differentiable collectives]).
TensorList all_reduce(const TensorList& tensors, ReduceOp op = ReduceOp::sum);
/// all_reduce of one tensor.
Tensor all_reduce(const Tensor& tensor, ReduceOp op = ReduceOp::sum);

/// The root rank's tensors on every rank (other ranks' values are ignored but must match in dtype
/// and shape). Differentiable: the root gets the sum of every rank's gradient, the others zeros.
TensorList broadcast(const TensorList& tensors, int root = 0);

/// The sum over ranks on the root rank, zeros elsewhere (broadcast's adjoint). Differentiable.
TensorList reduce(const TensorList& tensors, int root = 0);

/// Each tensor stacked over the ranks: result i has shape [world_size, ...shape of tensor i],
/// slice r being rank r's tensor. Differentiable (backward: reduce_scatter of the gradients).
TensorList all_gather(const TensorList& tensors);

/// The inverse layout of all_gather: each input has a leading dimension of world_size; rank r
/// gets slice r combined over the ranks (sum or mean). Differentiable (backward: all_gather).
TensorList reduce_scatter(const TensorList& tensors, ReduceOp op = ReduceOp::sum);

/// Marks tensors that every rank holds identically as one logical value: the identity forward;
/// backward sums the ranks' gradients (reduce_replicated of them). Use it on parameters that every
/// rank uses for its share of a batch so that each rank gets the whole batch's gradient.
TensorList replicate(const TensorList& tensors);

/// The sum over ranks of each rank's share, as one logical value every rank holds: forward is
/// all_reduce(sum); backward passes each rank the logical gradient (replicate of it), which is
/// right when every rank computes the same loss from the result.
TensorList reduce_replicated(const TensorList& tensors);

/// Combines the .grad of `params` over the ranks in place, in one bucketed all_reduce
/// (data-parallel training, as DistributedDataParallel's reducer): mean by default. A parameter
/// without a gradient takes part with zeros (and gets the combined gradient). Not recorded.
void all_reduce_grads(const TensorList& params, ReduceOp op = ReduceOp::mean);

/// Counts of the collectives this process ran (all ranks' calls are alike).
struct CollectiveStats {
  /// Transport messages sent (a bucket is one).
  int64_t messages = 0;
  /// Payload bytes this rank contributed to them.
  int64_t bytes = 0;
};

/// The counts since the start or the last reset_collective_stats().
CollectiveStats collective_stats();
/// Sets the counts to zero.
void reset_collective_stats();

/// @}

}  // namespace metagrad::distributed
