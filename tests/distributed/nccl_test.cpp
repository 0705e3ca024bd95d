// The nccl backend: CUDA tensors reduced by NCCL between the ranks' GPUs, against the values the
// mpi backend's host path gives. Needs one CUDA device per rank and a build with NCCL; skips
// otherwise (no GPU here or on CI; bench/gpu_check.sh runs it on a GPU machine).
#include <cstdlib>

#include "cuda/cuda.hpp"
#include "tests/distributed/world.hpp"

namespace mg = metagrad;
namespace dist = metagrad::distributed;
using mg::Tensor;
using mg::TensorList;
using mg::testing::allclose;

namespace {

// The ranks this job has (the launcher's count, before any group exists).
int launched_ranks() {
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  return size != nullptr ? std::atoi(size) : 1;
}

bool nccl_usable() {
  return dist::is_nccl_available() && mg::cuda::device_count() >= launched_ranks();
}

dist::ProcessGroup& nccl_group() {
  static dist::ProcessGroup group = dist::init({.backend = dist::Backend::nccl});
  return group;
}

}  // namespace

TEST_CASE("nccl: collectives of CUDA tensors and their backward", "[distributed][cuda]") {
  if (!nccl_usable()) MG_SKIP("needs a build with NCCL and one CUDA device per rank");
  dist::ProcessGroup& group = nccl_group();
  REQUIRE(group.backend() == dist::Backend::nccl);
  const int me = group.rank(), n = group.world_size();
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  const mg::Device gpu =
      mg::cuda_device(local != nullptr ? std::atoi(local) % mg::cuda::device_count() : 0);

  TensorList all;
  for (int r = 0; r < n; ++r) all.push_back(mg::testing::rank_input(r, {3, 4}, 31).detach());
  Tensor sum = all[0];
  for (int r = 1; r < n; ++r) sum = sum + all[static_cast<size_t>(r)];

  const Tensor x = all[static_cast<size_t>(me)].to(gpu).requires_grad_();
  const TensorList reduced =
      dist::all_reduce({x, mg::ones({5}, mg::TensorOptions(mg::kFloat32, gpu))});
  REQUIRE(reduced[0].device() == gpu);
  REQUIRE(allclose(reduced[0].to(mg::kCPU), sum));
  REQUIRE(reduced[1].to(mg::kCPU).sum().item<float>() == 5.0f * n);
  // d(sum over ranks of sum(y)) / dx_r = n
  const Tensor g = mg::grad({reduced[0].sum()}, {x})[0];
  REQUIRE(allclose(g.to(mg::kCPU), mg::full({3, 4}, n, mg::kFloat64)));

  REQUIRE(allclose(dist::broadcast({x.detach()}, n - 1)[0].to(mg::kCPU), all.back()));
  REQUIRE(allclose(dist::all_gather({x.detach()})[0].to(mg::kCPU), mg::stack(all)));
  const Tensor slices = mg::testing::rank_input(me, {n, 2}, 32).detach();
  Tensor slice_sum;
  for (int r = 0; r < n; ++r) {
    const Tensor s = mg::testing::rank_input(r, {n, 2}, 32).detach().select(0, me);
    slice_sum = slice_sum.defined() ? slice_sum + s : s;
  }
  REQUIRE(allclose(dist::reduce_scatter({slices.to(gpu)})[0].to(mg::kCPU), slice_sum));
}

TEST_CASE("nccl: refused with a clear error where it cannot run", "[distributed]") {
  if (nccl_usable()) MG_SKIP("NCCL runs here");
  if (launched_ranks() > 1) MG_SKIP("checked in a world of one");
  REQUIRE_THROWS_AS(dist::init({.backend = dist::Backend::nccl}), dist::DistributedError);
  REQUIRE_FALSE(dist::is_initialized());
}
