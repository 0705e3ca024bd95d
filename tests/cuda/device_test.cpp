// Device semantics on CUDA: to(device) is differentiable, mixing devices is an error naming both,
// nothing moves implicitly, host reads (item, to_vector, printing, safetensors) work, modules move
// with their buffers, kernels report bad indices with the CPU's message.
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/cuda/cuda_test_device.hpp"
#include "tests/cuda/op_cases.hpp"
#include "tests/support/helpers.hpp"

using namespace metagrad;
using namespace metagrad::testing;

namespace {

// A path in the temp folder unique to this process, removed on destruction.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_((std::filesystem::temp_directory_path() /
               ("metagrad_cuda_" + std::to_string(::getpid()) + "_" + name))
                  .string()) {}
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("cuda to(device) is differentiable: gradients go back to the leaf's device",
          "[cuda][device]") {
  CudaTestDevice device;
  const Device dev = device.device();
  const Tensor x = uniform({2, 3}, kFloat64, 1);

  // A CPU leaf through a device computation: its gradient lands on the CPU.
  const Tensor xd = x.to(dev);
  CHECK(xd.device() == dev);
  CHECK(xd.requires_grad());
  CHECK_FALSE(xd.is_leaf());
  const Tensor loss = (xd * xd * xd).sum();
  CHECK(loss.device() == dev);
  const Tensor g = grad({loss}, {x}, {}, GradOptions{.create_graph = true})[0];
  CHECK(g.device() == kCPU);
  CHECK(allclose(g, 3.0 * x * x));
  // Second order across the move: d/dx sum(3 x^2) = 6 x, on the CPU.
  const Tensor gg = grad({g.sum()}, {x})[0];
  CHECK(gg.device() == kCPU);
  CHECK(allclose(gg, 6.0 * x));

  // backward() accumulates into .grad on the leaf's device.
  (x.to(dev) * 2.0).sum().backward();
  (x.to(dev) * 3.0).sum().backward();
  REQUIRE(x.grad().defined());
  CHECK(x.grad().device() == kCPU);
  CHECK(allclose(x.grad(), full({2, 3}, 5.0, kFloat64)));

  // A device leaf through a CPU computation: its gradient lands on the device.
  const Tensor leaf = leaf_on(x, dev);
  CHECK(leaf.is_leaf());
  const Tensor on_cpu = exp(leaf.to(kCPU)).sum();
  CHECK(on_cpu.device() == kCPU);
  on_cpu.backward();
  REQUIRE(leaf.grad().defined());
  CHECK(leaf.grad().device() == dev);
  CHECK(allclose(leaf.grad(), exp(x)));
  (leaf * leaf).sum().backward();  // accumulates on the device
  CHECK(leaf.grad().device() == dev);
  CHECK(allclose(leaf.grad(), exp(x) + 2.0 * x));

  // to() onto the tensor's own device is the tensor itself.
  CHECK(leaf.to(dev).is_same(leaf));
  CHECK(x.to(kCPU).is_same(x));
}

TEST_CASE("cuda mixing devices in an op is an error naming both devices", "[cuda][device]") {
  CudaTestDevice device;
  const Device dev = device.device();
  const Tensor c = ones({2, 2}), d = ones({2, 2}, dev);
  const Tensor index_cpu = zeros({1, 2}, kInt64), index_dev = index_cpu.to(dev);
// Both devices named (a macro: Catch's combined matchers must live in one expression).
#define MG_BOTH_DEVICES (MG_CONTAINS("cpu") && MG_CONTAINS("cuda:0"))
  CHECK_THROWS_WITH(
      c + d, MG_CONTAINS("add: expected both operands on the same device") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(d * c, MG_CONTAINS("mul") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(maximum(c, d), MG_CONTAINS("maximum") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(pow(d, c), MG_CONTAINS("pow") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(lt(c, d), MG_CONTAINS("lt") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(matmul(c, d), MG_CONTAINS("matmul") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(matmul(d.unsqueeze(0), c), MG_CONTAINS("matmul") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(cat({c, d}), MG_CONTAINS("cat") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(stack({d, c}), MG_CONTAINS("stack: ") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(where(gt(c, 0.0), d, d), MG_CONTAINS("where") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(gather(d, 0, index_cpu), MG_CONTAINS("gather") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(scatter_add(d, 0, index_dev, c.slice(0, 0, 1)),
                    MG_CONTAINS("scatter_add") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(index_select(c, 0, index_dev.reshape({-1})),
                    MG_CONTAINS("index_select") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(linear(c, d), MG_CONTAINS("cpu") && MG_CONTAINS("cuda:0"));
  CHECK_THROWS_WITH(conv2d(ones({1, 1, 3, 3}), ones({1, 1, 2, 2}, dev)), MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(mse_loss(c, d), MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(linalg::solve(c + eye(2), d.select(1, 0)),
                    MG_CONTAINS("linalg::solve") && MG_BOTH_DEVICES);
  CHECK_THROWS_WITH(Tensor(c).add_(d), MG_BOTH_DEVICES);
#undef MG_BOTH_DEVICES
}

TEST_CASE("cuda results stay on the device; host reads copy", "[cuda][device]") {
  CudaTestDevice device;
  const Device dev = device.device();
  try {
    const Tensor x = tensor({1.5, -2.0, 3.25, 0.5}, {2, 2}, TensorOptions(kFloat64, dev));
    CHECK(x.device() == dev);
    CHECK((x + 1.0).device() == dev);
    CHECK(x.sum().device() == dev);
    CHECK(std::get<1>(x.max(1)).device() == dev);
    CHECK(gt(x, 0.0).device() == dev);
    CHECK(x.to(kFloat32).device() == dev);
    CHECK(x.t().device() == dev);
    CHECK(x.sum().item<double>() == 3.25);
    CHECK(x.select(0, 1).select(0, 0).item<double>() == 3.25);
    CHECK(x.t().to_vector<double>() == std::vector<double>{1.5, 3.25, -2.0, 0.5});
    CHECK(gt(x, 0.0).to_vector<bool>() == std::vector<bool>{true, false, true, true});
    CHECK(x.to(kInt64).to_vector<int64_t>() == std::vector<int64_t>{1, -2, 3, 0});
    CHECK_THROWS_WITH(x.item<double>(), MG_CONTAINS("item: a Tensor with 4 elements"));
  } catch (const std::exception& e) {
    FAIL_CHECK("threw: " << e.what());
  }
}

TEST_CASE("cuda tensors print as the CPU's with the device", "[cuda][device]") {
  CudaTestDevice device;
  const Device dev = device.device();
  try {
    const Tensor x = tensor({1.0, 2.5, -3.0});
    CHECK(to_string(x.to(dev)) == "tensor([ 1.0000,  2.5000, -3.0000], device='cuda:0')");
    CHECK(to_string(x.to(kFloat64).to(dev).requires_grad_()) ==
          "tensor([ 1.0000,  2.5000, -3.0000], device='cuda:0', dtype=metagrad.float64,\n"
          "       requires_grad=True)");
    const Tensor big = arange(2000, TensorOptions(kFloat32, dev)).reshape({40, 50});
    std::string expected = to_string(big.to(kCPU));
    expected.insert(expected.size() - 1, ", device='cuda:0'");
    CHECK(to_string(big) == expected);
    CHECK(fmt::format("{}", gt(x, 0.0).to(dev)) ==
          "tensor([ True,  True, False], device='cuda:0')");
  } catch (const std::exception& e) {
    FAIL_CHECK("threw: " << e.what());
  }
}

TEST_CASE("cuda tensors save to and load from safetensors", "[cuda][device][io]") {
  CudaTestDevice device;
  const Device dev = device.device();
  TempFile file("tensors.safetensors");
  try {
    const Tensor a = uniform({3, 4}, kFloat32, 1, -1, 1, false);
    const Tensor b = integers({2, 5}, -9, 9, 2);
    const Tensor c = uniform({4, 2}, kFloat64, 3, -1, 1, false);
    save_file({{"a", a.to(dev)},
               {"b", b.to(dev).t()},
               {"c", c.to(dev).slice(0, 0, 4, 2)},
               {"m", gt(a, 0.0).to(dev)}},
              file.path());
    const SafetensorsFile host = load_file(file.path());
    CHECK(host.at("a").device() == kCPU);
    CHECK(mismatch(host.at("a"), a, {}).empty());
    CHECK(mismatch(host.at("b"), b.t().contiguous(), {}).empty());
    CHECK(mismatch(host.at("c"), c.slice(0, 0, 4, 2).contiguous(), {}).empty());
    CHECK(mismatch(host.at("m"), gt(a, 0.0), {}).empty());
    const SafetensorsFile there = load_file(file.path(), dev);
    CHECK(there.at("a").device() == dev);
    CHECK(there.at("m").device() == dev);
    CHECK(mismatch(there.at("b"), b.t().contiguous(), {}).empty());
  } catch (const std::exception& e) {
    FAIL_CHECK("threw: " << e.what());
  }
}

TEST_CASE("cuda module.to(device) moves parameters and buffers; the module computes there",
          "[cuda][device][nn]") {
  CudaTestDevice device;
  const Device dev = device.device();
  TempFile file("module.safetensors");
  try {
    Generator g(3);
    nn::Sequential cpu_net(nn::Linear(3, 4, {.dtype = kFloat64, .generator = &g}),
                           nn::BatchNorm1d(4, {.dtype = kFloat64}), nn::ReLU(),
                           nn::Linear(4, 2, {.dtype = kFloat64, .generator = &g}));
    nn::Sequential dev_net = cpu_net;
    dev_net.to(dev);
    for (const auto& [name, p] : dev_net.named_parameters()) {
      INFO(name);
      CHECK(p.device() == dev);
      CHECK(p.is_leaf());
      CHECK(p.requires_grad());
    }
    for (const auto& [name, b] : dev_net.named_buffers()) {
      INFO(name);
      CHECK(b.device() == dev);
    }
    CHECK(dev_net.get_buffer("1.num_batches_tracked").dtype() == kInt64);
    for (const Tensor& p : cpu_net.parameters()) CHECK(p.device() == kCPU);

    const Tensor x = uniform({5, 3}, kFloat64, 4, -1, 1, false);
    const Tensor y_cpu = cpu_net(x), y_dev = dev_net(x.to(dev));
    check_matches(y_dev, y_cpu, dev, tolerance_for(kFloat64, 4), "forward in training mode");
    check_matches(dev_net.get_buffer("1.running_var"), cpu_net.get_buffer("1.running_var"), dev,
                  tolerance_for(kFloat64, 5), "running_var");
    CHECK(dev_net.get_buffer("1.num_batches_tracked").item<int64_t>() == 1);

    const TensorList g_cpu = grad({y_cpu.square().sum()}, cpu_net.parameters());
    const TensorList g_dev = grad({y_dev.square().sum()}, dev_net.parameters());
    for (size_t i = 0; i < g_cpu.size(); ++i)
      check_matches(g_dev[i], g_cpu[i], dev, tolerance_for(kFloat64, 5),
                    "parameter gradient " + std::to_string(i));

    // Saved from the device, loaded into a CPU module and back into the device module.
    dev_net.save(file.path());
    nn::Sequential restored = cpu_net;
    for (const Tensor& p : restored.parameters()) {
      NoGradGuard no_grad;
      p.detach().zero_();
    }
    restored.load(file.path());
    const NamedTensors loaded = restored.state_dict(), saved = dev_net.state_dict();
    REQUIRE(loaded.size() == saved.size());
    for (size_t i = 0; i < saved.size(); ++i) {
      INFO(saved[i].first);
      CHECK(loaded[i].first == saved[i].first);
      CHECK(loaded[i].second.device() == kCPU);
      CHECK(mismatch(saved[i].second, loaded[i].second, {}).empty());
    }
    dev_net.load(file.path());
    for (const Tensor& p : dev_net.parameters()) CHECK(p.device() == dev);
    dev_net.eval();
    cpu_net.eval();
    check_matches(dev_net(x.to(dev)), cpu_net(x), dev, tolerance_for(kFloat64, 4),
                  "forward in eval mode");
    dev_net.to(kCPU);
    for (const Tensor& b : dev_net.buffers()) CHECK(b.device() == kCPU);
  } catch (const std::exception& e) {
    FAIL_CHECK("threw: " << e.what());
  }
}

TEST_CASE("cuda views share device storage; in-place writes bump versions", "[cuda][device]") {
  CudaTestDevice device;
  const Device dev = device.device();
  try {
    Tensor base = zeros({3, 4}, TensorOptions(kFloat64, dev));
    Tensor column = base.select(1, 2);
    const uint64_t version = base.version();
    column.fill_(5.0);
    CHECK(base.version() > version);
    base.t().slice(0, 0, 1).add_(1.0);
    const Tensor expected = tensor({1, 0, 5, 0, 1, 0, 5, 0, 1, 0, 5, 0}, {3, 4}, kFloat64);
    CHECK(mismatch(base, expected, {}).empty());
    CHECK(base.reshape({12}).storage() == base.storage());
    // A saved tensor overwritten in place makes backward throw, on the device as on the CPU.
    const Tensor w = ones({3}, TensorOptions(kFloat64, dev, true));
    Tensor h = w * 2.0;
    const Tensor y = (h * h).sum();
    h.mul_(3.0);
    CHECK_THROWS_WITH(y.backward(), MG_CONTAINS("has been modified by an inplace operation"));
  } catch (const std::exception& e) {
    FAIL_CHECK("threw: " << e.what());
  }
}

TEST_CASE("cuda kernels report a bad index with the CPU's message at the next synchronisation",
          "[cuda][device][errors]") {
  CudaTestDevice device;
  const Device dev = device.device();
  const Tensor x = uniform({3, 4}, kFloat32, 1, -1, 1, false);
  const Tensor bad = tensor({0, 1, 7, 2}, {1, 4}, kInt64);        // 7 >= 3 rows
  const Tensor negative = tensor({0, -1, 1, 2}, {1, 4}, kInt64);  // -1 < 0
  const Tensor src = ones({1, 4});
  auto message = [](const auto& call) -> std::string {
    try {
      call();
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  const std::vector<std::pair<
      std::string, std::function<void(const Tensor&, const Tensor&, const Tensor&, const Tensor&)>>>
      calls = {
          {"gather", [](auto& a, auto& i, auto&, auto&) { (void)gather(a, 0, i); }},
          {"gather negative", [](auto& a, auto&, auto& n, auto&) { (void)gather(a, 0, n); }},
          {"scatter_add", [](auto& a, auto& i, auto&, auto& s) { (void)scatter_add(a, 0, i, s); }},
          {"index_select",
           [](auto& a, auto&, auto&, auto&) {
             (void)index_select(a, 0, tensor({2, 3}, kInt64).to(a.device()));
           }},
          {"index_add",
           [](auto& a, auto&, auto&, auto&) {
             (void)index_add(a, 0, tensor({2, 3}, kInt64).to(a.device()),
                             ones({2, 4}, TensorOptions(a.dtype(), a.device())));
           }},
      };
  const Tensor xd = x.to(dev), bad_d = bad.to(dev), negative_d = negative.to(dev),
               src_d = src.to(dev);
  for (const auto& [name, bound_call] : calls) {
    INFO(name);
    const auto& call = bound_call;  // lambdas capture it (clang before 16: no structured bindings)
    const std::string on_cpu = message([&] { call(x, bad, negative, src); });
    CHECK(on_cpu != "no error");
    // Note [deferred kernel errors]: the op returns; the next synchronisation point throws the
    // CPU's message, saying where it was found.
    const std::string on_device = message([&] {
      call(xd, bad_d, negative_d, src_d);
      cuda::synchronize();
    });
    CHECK(on_device ==
          on_cpu + " (found by a CUDA kernel, so reported at the next synchronisation)");
    // Reported once; the backend stays usable.
    CHECK(message([] { cuda::synchronize(); }) == "no error");
    CHECK((xd * 2.0).sum().item<float>() == Approx((x * 2.0).sum().item<float>()));
  }
  // A read of the result is a synchronisation point too.
  CHECK_THROWS_WITH(gather(xd, 0, bad_d).to(kCPU),
                    MG_CONTAINS("gather: index 7 is out of bounds for dimension 0 with size 3"));
  CHECK(message([] { cuda::synchronize(); }) == "no error");
}

TEST_CASE("cuda cross_entropy reads no targets on the host; a bad target is reported later",
          "[cuda][device][errors]") {
  CudaTestDevice device;
  const Device dev = device.device();
  const Tensor logits = uniform({4, 3}, kFloat64, 7, -1, 1, false).to(dev);
  const Tensor good = tensor({0, 2, -100, 1}, kInt64).to(dev);
  const Tensor bad = tensor({0, 3, 1, 2}, kInt64).to(dev);  // 3 >= 3 classes
  // Note [loss targets on a device]: no wait for the stream (counted on the emulation).
  const int64_t waits_before = emulated_launch_counts().synchronizations;
  const Tensor loss = cross_entropy(logits, good);
  if (device.emulated()) CHECK(emulated_launch_counts().synchronizations == waits_before);
  // The ignored target leaves the mean over the other three, as on the CPU.
  CHECK(loss.item<double>() ==
        Approx(cross_entropy(logits.to(kCPU), good.to(kCPU)).item<double>()).epsilon(1e-14));
  // The bad target is found by the kernel: the loss returns, its first read throws.
  const Tensor bad_loss = cross_entropy(logits, bad);
  CHECK_THROWS_WITH(bad_loss.item<double>(),
                    MG_CONTAINS("gather: index 3 is out of bounds for dimension 1 with size 3 "
                                "(found by a CUDA kernel"));
  // On the CPU the loss itself names the target.
  CHECK_THROWS_WITH(cross_entropy(logits.to(kCPU), bad.to(kCPU)),
                    MG_CONTAINS("cross_entropy: target 3 is out of bounds for 3 classes"));
}

TEST_CASE("cuda empty and 0-d tensors", "[cuda][device]") {
  CudaTestDevice device;
  const Device dev = device.device();
  try {
    const Tensor e = zeros({0, 3}, TensorOptions(kFloat32, dev));
    CHECK((e + 1.0).shape() == Dims{0, 3});
    CHECK(e.sum().item<float>() == 0.0f);
    CHECK(matmul(e.t(), e).to_vector<float>() == std::vector<float>(9, 0.0f));
    CHECK(cat({e, ones({1, 3}, dev)}).shape() == Dims{1, 3});
    const Tensor s = scalar_tensor(2.0, TensorOptions(kFloat64, dev, true));
    const Tensor y = s * s * s;
    CHECK(y.dim() == 0);
    CHECK(grad({y}, {s})[0].item<double>() == 12.0);
  } catch (const std::exception& e) {
    FAIL_CHECK("threw: " << e.what());
  }
}
