// distributed::meta_batch: N ranks give the single-process meta-gradient (float64 to 1e-12,
// float32 within the reduction-order tolerance), buffers and losses included, with task counts
// that do not divide evenly over the ranks.
#include <cmath>
#include <vector>

#include "tests/distributed/world.hpp"

namespace mg = metagrad;
namespace nn = metagrad::nn;
namespace dist = metagrad::distributed;
using mg::Tensor;
using mg::TensorList;
using mg::testing::world;

namespace {

nn::Sequential make_net(mg::DType dtype) {
  mg::Generator gen(3);
  return nn::Sequential(nn::Linear(4, 16, {.dtype = dtype, .generator = &gen}),
                        nn::BatchNorm1d(16, {.momentum = 1.0, .dtype = dtype}), nn::ReLU(),
                        nn::Linear(16, 3, {.dtype = dtype, .generator = &gen}));
}

// Task t: 2 differentiable SGD steps on its support set, then the query loss.
struct Tasks {
  Tensor x_spt, y_spt, x_qry, y_qry;

  Tasks(int64_t count, mg::DType dtype) {
    mg::Generator gen(17);
    x_spt = mg::randn({count, 6, 4}, dtype, &gen);
    x_qry = mg::randn({count, 9, 4}, dtype, &gen);
    y_spt = mg::randint(0, 3, {count, 6}, mg::kInt64, &gen);
    y_qry = mg::randint(0, 3, {count, 9}, mg::kInt64, &gen);
  }

  Tensor operator()(nn::Module& net, int64_t t) const {
    mg::MetaSGD inner(net, {.lr = 0.3});
    for (int k = 0; k < 2; ++k)
      inner.step(mg::cross_entropy(net(x_spt.select(0, t)), y_spt.select(0, t)));
    return mg::cross_entropy(net(x_qry.select(0, t)), y_qry.select(0, t));
  }
};

double max_relative_error(const Tensor& a, const Tensor& b) {
  const Tensor a64 = a.to(mg::kFloat64), b64 = b.to(mg::kFloat64);
  return ((a64 - b64).abs().max() / (b64.abs().max() + 1e-300)).item<double>();
}

void check_meta_gradient(mg::DType dtype, int64_t task_count, mg::MetaBatchReduction reduction,
                         double tolerance) {
  const Tasks tasks(task_count, dtype);
  nn::Sequential reference_net = make_net(dtype), net = make_net(dtype);
  const TensorList reference_losses =
      mg::meta_batch(reference_net, task_count, tasks, {.reduction = reduction});
  const TensorList losses = dist::meta_batch(net, task_count, tasks, {.reduction = reduction});

  const TensorList ref_params = reference_net.parameters(), params = net.parameters();
  for (size_t k = 0; k < params.size(); ++k) {
    INFO("parameter " << k << ", " << task_count << " tasks on " << world().world_size()
                      << " ranks");
    REQUIRE(params[k].grad().defined());
    REQUIRE(max_relative_error(params[k].grad(), ref_params[k].grad()) <= tolerance);
  }
  const TensorList ref_buffers = reference_net.buffers(), buffers = net.buffers();
  for (size_t k = 0; k < buffers.size(); ++k)
    REQUIRE(max_relative_error(buffers[k], ref_buffers[k]) <= tolerance);
  REQUIRE(losses.size() == reference_losses.size());
  for (size_t t = 0; t < losses.size(); ++t)
    REQUIRE(max_relative_error(losses[t], reference_losses[t]) <= tolerance);
}

}  // namespace

TEST_CASE("task_share splits a batch into contiguous, balanced shares", "[distributed]") {
  REQUIRE(dist::task_share(5, 0, 3) == std::pair<int64_t, int64_t>{0, 2});
  REQUIRE(dist::task_share(5, 1, 3) == std::pair<int64_t, int64_t>{2, 4});
  REQUIRE(dist::task_share(5, 2, 3) == std::pair<int64_t, int64_t>{4, 5});
  REQUIRE(dist::task_share(2, 2, 3) == std::pair<int64_t, int64_t>{2, 2});
  REQUIRE_THROWS_WITH(dist::task_share(4, 3, 3), MG_CONTAINS("rank 3 is not in a world of 3"));
}

TEST_CASE("distributed meta_batch gives the single-process meta-gradient", "[distributed]") {
  for (int64_t task_count : {1, 4, 5}) {
    check_meta_gradient(mg::kFloat64, task_count, mg::MetaBatchReduction::Mean, 1e-12);
    check_meta_gradient(mg::kFloat64, task_count, mg::MetaBatchReduction::Sum, 1e-12);
    // float32: the ranks' shares are summed in another order than the single process's loop.
    check_meta_gradient(mg::kFloat32, task_count, mg::MetaBatchReduction::Mean, 1e-5);
  }
}

TEST_CASE("distributed meta_batch adds to gradients already there", "[distributed]") {
  const Tasks tasks(3, mg::kFloat64);
  nn::Sequential reference_net = make_net(mg::kFloat64), net = make_net(mg::kFloat64);
  for (nn::Sequential* n : {&reference_net, &net})
    for (const Tensor& p : n->parameters()) p.set_grad(mg::ones_like(p));
  mg::meta_batch(reference_net, 3, tasks);
  dist::meta_batch(net, 3, tasks);
  const TensorList ref_params = reference_net.parameters(), params = net.parameters();
  for (size_t k = 0; k < params.size(); ++k)
    REQUIRE(max_relative_error(params[k].grad(), ref_params[k].grad()) <= 1e-12);
}
