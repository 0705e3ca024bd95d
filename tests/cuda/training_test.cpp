// Training on the CUDA device equals training on the CPU: optimizer steps (SGD, Adam, the fused
// accelerated Adam in place and out of place) and MAML meta-gradients through MetaSGD / MetaAdam
// inner loops, in float64 to 1e-12 and in float32 to a scaled tolerance.
#include <functional>
#include <string>
#include <vector>

#include "tests/cuda/cuda_test_device.hpp"
#include "tests/cuda/op_cases.hpp"

using namespace metagrad;
using namespace metagrad::testing;

namespace {

// A float64 MLP 3 -> 6 -> 2 with tanh, its initial values from `seed`.
nn::Sequential mlp(DType dtype, uint64_t seed = 1) {
  Generator g(seed);
  return nn::Sequential(nn::Linear(3, 6, {.dtype = dtype, .generator = &g}), nn::Tanh(),
                        nn::Linear(6, 2, {.dtype = dtype, .generator = &g}));
}

// A conv net as in MAML on Omniglot, shrunk: [N, 1, 6, 6] -> 3 classes. The convolution has no
// bias: batch norm cancels it, so its gradient is rounding noise that Adam would amplify.
nn::Sequential conv_net(DType dtype) {
  Generator g(2);
  return nn::Sequential(nn::Conv2d(1, 2, 3, {.bias = false, .dtype = dtype, .generator = &g}),
                        nn::BatchNorm2d(2, {.momentum = 1.0, .dtype = dtype}), nn::ReLU(),
                        nn::MaxPool2d(2), nn::Flatten(),
                        nn::Linear(8, 3, {.dtype = dtype, .generator = &g}));
}

void check_lists(const TensorList& device, const TensorList& cpu, Device dev, Tolerance t,
                 const std::string& what) {
  REQUIRE(device.size() == cpu.size());
  for (size_t i = 0; i < cpu.size(); ++i)
    check_matches(device[i], cpu[i], dev, t, what + " " + std::to_string(i));
}

// Optimizer factories by name: each makes a classic optimizer over `params`.
using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(const TensorList&)>;
std::vector<std::pair<std::string, MakeOptimizer>> optimizers() {
  return {
      {"sgd", [](const TensorList& p) { return std::make_unique<SGD>(p, SGDOptions{.lr = 0.1}); }},
      {"sgd with nesterov momentum and weight decay",
       [](const TensorList& p) {
         return std::make_unique<SGD>(
             p, SGDOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-2, .nesterov = true});
       }},
      {"adam",
       [](const TensorList& p) { return std::make_unique<Adam>(p, AdamOptions{.lr = 1e-2}); }},
      {"accelerated adam",
       [](const TensorList& p) {
         return std::make_unique<Adam>(
             p, AdamOptions{.lr = 1e-2, .eps_root = 1e-10, .use_accelerated_op = true});
       }},
      {"adamw (accelerated)",
       [](const TensorList& p) {
         return std::make_unique<AdamW>(p, AdamWOptions{.lr = 1e-2, .use_accelerated_op = true});
       }},
      {"rmsprop centered",
       [](const TensorList& p) {
         return std::make_unique<RMSProp>(
             p, RMSPropOptions{.lr = 1e-2, .momentum = 0.5, .centered = true});
       }},
  };
}

}  // namespace

TEST_CASE("cuda optimizer steps equal the CPU's", "[cuda][training]") {
  CudaTestDevice device;
  const Device dev = device.device();
  for (DType dtype : {kFloat64, kFloat32}) {
    const Tensor x = uniform({5, 3}, dtype, 1, -1, 1, false),
                 y = uniform({5, 2}, dtype, 2, -1, 1, false);
    for (const auto& [name, make] : optimizers()) {
      INFO(name << " (" << dtype_name(dtype) << ")");
      try {
        nn::Sequential cpu_net = mlp(dtype), dev_net = mlp(dtype);
        dev_net.to(dev);
        auto cpu_opt = make(cpu_net.parameters()), dev_opt = make(dev_net.parameters());
        const Tensor xd = x.to(dev), yd = y.to(dev);
        for (int step = 0; step < 3; ++step) {
          cpu_opt->zero_grad();
          dev_opt->zero_grad();
          mse_loss(cpu_net(x), y).backward();
          mse_loss(dev_net(xd), yd).backward();
          cpu_opt->step();
          dev_opt->step();
        }
        check_lists(dev_net.parameters(), cpu_net.parameters(), dev, tolerance_for(dtype, 10),
                    "parameter");
        const std::vector<OptState> cs = cpu_opt->state_dict(), ds = dev_opt->state_dict();
        const auto ct = cs[0].named_tensors(), dt = ds[0].named_tensors();
        REQUIRE(ct.size() == dt.size());
        for (size_t i = 0; i < ct.size(); ++i)
          check_matches(dt[i].second, ct[i].second, dev, tolerance_for(dtype, 10),
                        "state " + ct[i].first);
      } catch (const std::exception& e) {
        FAIL_CHECK("threw: " << e.what());
      }
    }
  }
}

TEST_CASE("cuda fused accelerated adam: bit-identical to the CPU in float64", "[cuda][training]") {
  CudaTestDevice device;
  const Device dev = device.device();
  const std::vector<Dims> shapes = {{3, 4}, {}, {0}, {257}};
  for (const bool inplace : {true, false}) {
    INFO((inplace ? "in place" : "out of place"));
    try {
      const ScaleByAdamOptions o{.b1 = 0.8, .b2 = 0.95, .eps = 1e-6, .eps_root = 1e-9};
      const auto fused = scale_by_accelerated_adam(o);
      TensorList cpu_params, dev_params;
      for (const Dims& s : shapes) {
        cpu_params.push_back(zeros(s, kFloat64));
        dev_params.push_back(zeros(s, TensorOptions(kFloat64, dev)));
      }
      OptState cs = fused.init(cpu_params), ds = fused.init(dev_params);
      for (int k = 1; k <= 3; ++k) {
        TensorList cg, dg;
        for (size_t i = 0; i < shapes.size(); ++i) {
          cg.push_back(uniform(shapes[i], kFloat64, 100 * k + i, -1, 1, false));
          dg.push_back(cg.back().to(dev));
        }
        NoGradGuard no_grad;
        const TensorList cu = fused.update(cg, cs, cpu_params, inplace);
        const TensorList du = fused.update(dg, ds, dev_params, inplace);
        check_lists(du, cu, dev, {}, "update");
        check_lists(ds.tensor_list("mu"), cs.tensor_list("mu"), dev, {}, "mu");
        check_lists(ds.tensor_list("nu"), cs.tensor_list("nu"), dev, {}, "nu");
        if (inplace) CHECK(du[0].is_same(dg[0]));
      }
    } catch (const std::exception& e) {
      FAIL_CHECK("threw: " << e.what());
    }
  }
}

TEST_CASE("cuda fused accelerated adam is differentiable as on the CPU", "[cuda][training]") {
  CudaTestDevice device;
  const Device dev = device.device();
  try {
    // Two differentiable steps of p <- p - 0.1 adam(grad of a quadratic), then the meta-gradient
    // of the final loss (and second moment) with respect to the initial parameters and the data.
    auto meta_gradient = [](const Tensor& p0, const Tensor& a) {
      const auto opt = scale_by_accelerated_adam({.eps_root = 1e-8, .moment_requires_grad = true});
      Tensor p = p0;
      OptState state = opt.init({p0});
      for (int k = 0; k < 2; ++k) {
        const Tensor loss = ((p - a) * (p - a) * a).sum();
        const Tensor g = grad({loss}, {p}, {}, GradOptions{.create_graph = true})[0];
        p = p - 0.1 * opt.update({g}, state, {p}, false)[0];
      }
      const Tensor final_loss = (p * p).sum() + state.tensor_list("nu")[0].sum();
      return grad({final_loss}, {p0, a}, {}, GradOptions{.create_graph = true});
    };
    const Tensor p0 = uniform({2, 3}, kFloat64, 1), a = uniform({2, 3}, kFloat64, 2, 0.5, 1.5);
    const TensorList cpu = meta_gradient(p0, a);
    const TensorList on_dev = meta_gradient(leaf_on(p0, dev), leaf_on(a, dev));
    check_lists(on_dev, cpu, dev, tolerance_for(kFloat64, 6), "meta-gradient");
  } catch (const std::exception& e) {
    FAIL_CHECK("threw: " << e.what());
  }
}

namespace {

// MAML: `steps` differentiable inner steps of `make_inner` on the support set, then the
// gradient of the query loss with respect to the initial parameters.
template <typename Loss>
TensorList maml_meta_gradient(nn::Sequential& net, const Tensor& xs, const Tensor& ys,
                              const Tensor& xq, const Tensor& yq, bool adam_inner, Loss loss,
                              int steps = 2) {
  const TensorList initial = net.parameters();
  std::unique_ptr<MetaOptimizer> inner;
  if (adam_inner)
    inner =
        std::make_unique<MetaAdam>(net, MetaAdamOptions{.lr = 0.05, .use_accelerated_op = true});
  else
    inner = std::make_unique<MetaSGD>(net, MetaSGDOptions{.lr = 0.3, .momentum = 0.5});
  for (int k = 0; k < steps; ++k) inner->step(loss(net(xs), ys));
  return grad({loss(net(xq), yq)}, initial);
}

}  // namespace

TEST_CASE("cuda MAML meta-gradients equal the CPU's", "[cuda][training][meta]") {
  CudaTestDevice device;
  const Device dev = device.device();
  for (DType dtype : {kFloat64, kFloat32}) {
    for (const bool adam_inner : {false, true}) {
      INFO(dtype_name(dtype) << (adam_inner ? ", MetaAdam (accelerated)" : ", MetaSGD"));
      try {
        // Regression with the MLP.
        const Tensor xs = uniform({6, 3}, dtype, 3, -1, 1, false);
        const Tensor ys = uniform({6, 2}, dtype, 4, -1, 1, false);
        const Tensor xq = uniform({5, 3}, dtype, 5, -1, 1, false);
        const Tensor yq = uniform({5, 2}, dtype, 6, -1, 1, false);
        auto mse = [](const Tensor& p, const Tensor& t) { return mse_loss(p, t); };
        nn::Sequential cpu_net = mlp(dtype), dev_net = mlp(dtype);
        dev_net.to(dev);
        const TensorList cpu = maml_meta_gradient(cpu_net, xs, ys, xq, yq, adam_inner, mse);
        const TensorList on_dev = maml_meta_gradient(dev_net, xs.to(dev), ys.to(dev), xq.to(dev),
                                                     yq.to(dev), adam_inner, mse);
        check_lists(on_dev, cpu, dev, tolerance_for(dtype, 64), "mlp meta-gradient");

        // Classification with the conv net (conv, batch norm, max pool, cross entropy).
        const Tensor is = uniform({6, 1, 6, 6}, dtype, 7, -1, 1, false);
        const Tensor ls = integers({6}, 0, 3, 8);
        const Tensor iq = uniform({6, 1, 6, 6}, dtype, 9, -1, 1, false);
        const Tensor lq = integers({6}, 0, 3, 10);
        auto ce = [](const Tensor& logits, const Tensor& t) { return cross_entropy(logits, t); };
        nn::Sequential cpu_conv = conv_net(dtype), dev_conv = conv_net(dtype);
        dev_conv.to(dev);
        const TensorList cpu_c = maml_meta_gradient(cpu_conv, is, ls, iq, lq, adam_inner, ce);
        const TensorList dev_c = maml_meta_gradient(dev_conv, is.to(dev), ls.to(dev), iq.to(dev),
                                                    lq.to(dev), adam_inner, ce);
        check_lists(dev_c, cpu_c, dev, tolerance_for(dtype, 256), "conv meta-gradient");
        check_lists(dev_conv.buffers(), cpu_conv.buffers(), dev, tolerance_for(dtype, 64),
                    "conv buffer");
      } catch (const std::exception& e) {
        FAIL_CHECK("threw: " << e.what());
      }
    }
  }
}
