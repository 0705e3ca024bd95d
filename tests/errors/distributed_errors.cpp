// Error inputs of metagrad::distributed (engine/distributed/*.hpp, optim/meta/
// distributed_meta_batch.hpp), in a world of one rank: the checks that do not need other ranks.
// The errors between ranks (disagreeing calls, failures, timeouts) are tested under mpirun in
// tests/distributed.
#include <chrono>

#include "tests/errors/error_table.hpp"

namespace metagrad::testing {

ErrorTable distributed_error_cases() {
  namespace dist = distributed;
  return {
      {"init",
       "non-positive timeout",
       [] { (void)dist::init({.timeout = std::chrono::milliseconds(0)}); },
       {"distributed::init: the timeout must be positive, got 0 ms"}},
      {"ProcessGroup",
       "a second group while one exists",
       [] {
         dist::ProcessGroup first = dist::init();
         dist::ProcessGroup second = dist::init();
       },
       {"distributed::init: a process group already exists"}},
      {"DistributedError",
       "a call on a finalized group",
       [] {
         dist::ProcessGroup group = dist::init();
         group.finalize();
         group.barrier();
       },
       {"the process group was finalized"}},
      {"finalize",
       "finalizing an aborted group",
       [] {
         dist::ProcessGroup group = dist::init();
         group.abort("rank 0 gave up");
         dist::finalize();
       },
       {"finalize: the process group was aborted after: rank 0 gave up"}},
      {"barrier",
       "a barrier of an aborted group",
       [] {
         dist::ProcessGroup group = dist::init();
         group.abort("stopped");
         dist::barrier();
       },
       {"barrier: the process group was aborted after: stopped"}},
      {"all_reduce",
       "bool tensor",
       [] { (void)dist::all_reduce(TensorList{ones({2}, kBool)}); },
       {"all_reduce", "tensor 0 is bool", "convert it to int64"}},
      {"all_reduce",
       "mean of int64",
       [] {
         (void)dist::all_reduce(TensorList{i64({1, 2})}, dist::ReduceOp::mean);
       },
       {"tensor 0 is int64; a mean needs float32 or float64 tensors"}},
      {"broadcast",
       "root outside the world",
       [] { (void)dist::broadcast({f32({2})}, 1); },
       {"broadcast: root 1 is not a rank of this world of 1 rank(s)"}},
      {"reduce",
       "negative root",
       [] { (void)dist::reduce({f32({2})}, -1); },
       {"reduce: root -1 is not a rank"}},
      {"all_gather",
       "undefined tensor",
       [] {
         (void)dist::all_gather({f32({2}), Tensor()});
       },
       {"all_gather: tensor 1 of the list is undefined"}},
      {"reduce_scatter",
       "leading dimension is not the world size",
       [] {
         (void)dist::reduce_scatter({f32({3, 2})});
       },
       {"reduce_scatter", "shape [3, 2]", "leading dimension of the world size 1"}},
      {"reduce_scatter",
       "max",
       [] {
         (void)dist::reduce_scatter({f32({1, 2})}, dist::ReduceOp::max);
       },
       {"reduce_scatter: supports sum and mean, not max"}},
      {"replicate",
       "undefined tensor",
       [] { (void)dist::replicate({Tensor()}); },
       {"replicate: tensor 0 of the list is undefined"}},
      {"reduce_replicated",
       "bool tensor",
       [] { (void)dist::reduce_replicated({ones({1}, kBool)}); },
       {"reduce_replicated", "bool"}},
      {"all_reduce_grads",
       "undefined parameter",
       [] {
         dist::all_reduce_grads({f32({1}), Tensor()});
       },
       {"all_reduce_grads: parameter 1 is undefined"}},
      {"dim_partitioner",
       "keepdim = false without exclusive",
       [] { (void)dist::dim_partitioner(0, false, false).partitions(4, 1); },
       {"dim_partitioner: keepdim = false needs exclusive = true"}},
      {"dim_partitioner",
       "a worker outside the world",
       [] { (void)dist::dim_partitioner(0, false, true, {2}).partitions(4, 2); },
       {"dim_partitioner: worker 2 is not a rank of this world of 2 rank(s)"}},
      {"mean_reducer",
       "no results",
       [] { (void)dist::mean_reducer({}); },
       {"mean_reducer: no results to reduce"}},
      {"sum_reducer",
       "no results",
       [] { (void)dist::sum_reducer({}); },
       {"sum_reducer: no results to reduce"}},
      {"parallelize",
       "batch sizes differ",
       [] {
         (void)dist::parallelize([](const TensorList& shard) { return shard[0].sum(); })(
             {f32({3}), f32({4})});
       },
       {"parallelize: batch size mismatch on dim 0: tensor 0 has 3, tensor 1 has 4"}},
      {"parallelize",
       "dim out of range",
       [] {
         (void)dist::parallelize([](const TensorList& shard) { return shard[0].sum(); },
                                 dist::dim_partitioner(2))({f32({3})});
       },
       {"parallelize: dim 2 is out of range for batch tensor 0 of shape [3]"}},
      {"parallelize",
       "empty function",
       [] { (void)dist::parallelize(nullptr); },
       {"parallelize: the function is empty"}},
      {"task_share",
       "rank outside the world",
       [] { (void)dist::task_share(4, 2, 2); },
       {"task_share: rank 2 is not in a world of 2 rank(s)"}},
      {"meta_batch",
       "distributed: negative task count",
       [] {
         nn::Linear net(2, 1);
         (void)dist::meta_batch(net, -1, [](nn::Module&, int64_t) { return Tensor(); });
       },
       {"distributed::meta_batch: the task count must be >= 0, got -1"}},
  };
}

}  // namespace metagrad::testing
