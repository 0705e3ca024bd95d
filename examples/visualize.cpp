// Graphviz export of a MAML inner loop: two differentiable SGD steps (written with
// grad(..., create_graph)) on a small tanh MLP, then the meta-loss on a query set. Writes
// maml-graph.dot and maml-graph.svg into the current folder, or into the folder given as argument.
//
//   ./visualize [--device cpu|cuda] [folder]
#include <fmt/core.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "examples/common/cli.hpp"
#include "examples/common/example_main.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;
namespace ex = metagrad::examples;

namespace {

constexpr const char* kProgram = "visualize";

// y = tanh(x W1 + b1) W2 + b2, with params = {W1, b1, W2, b2}.
mg::Tensor mlp(const mg::TensorList& params, const mg::Tensor& x) {
  return mg::matmul(mg::tanh(mg::matmul(x, params[0]) + params[1]), params[2]) + params[3];
}

mg::Tensor mse(const mg::Tensor& prediction, const mg::Tensor& target) {
  const mg::Tensor diff = prediction - target;
  return (diff * diff).mean();
}

// Writes the graph into `folder`; returns 1 when only the .dot file could be written.
int run(const std::filesystem::path& folder, mg::Device device) {
  mg::Generator gen(0);
  const mg::TensorOptions opts(mg::kFloat32);

  // A 2 -> 8 -> 1 network; the names are those a Sequential(Linear, Tanh, Linear) would give.
  // Drawn on the CPU (the same numbers for every device), then moved as leaves.
  const std::vector<std::string> names = {"0.weight", "0.bias", "2.weight", "2.bias"};
  mg::TensorList params = {mg::randn({2, 8}, opts, &gen) * 0.5, mg::zeros({8}, opts),
                           mg::randn({8, 1}, opts, &gen) * 0.5, mg::zeros({1}, opts)};
  std::vector<std::pair<std::string, mg::Tensor>> named;
  for (size_t i = 0; i < params.size(); ++i) {
    params[i] = params[i].to(device).requires_grad_();
    named.emplace_back(names[i], params[i]);
  }

  // One task: regress y = sin(x0) + x1 from 10 support and 10 query points.
  const auto task = [&](int n) {
    mg::Tensor x = mg::randn({n, 2}, opts, &gen).to(device);
    mg::Tensor y = (mg::sin(x.select(1, 0)) + x.select(1, 1)).unsqueeze(1);
    return std::pair{x, y};
  };
  const auto [x_support, y_support] = task(10);
  const auto [x_query, y_query] = task(10);

  // Inner loop: fast weights after two SGD steps, every step recorded so that the meta-loss can be
  // differentiated through it (second-order MAML).
  const double inner_lr = 0.1;
  mg::TensorList fast = params;
  for (int step = 1; step <= 2; ++step) {
    const mg::Tensor loss = mse(mlp(fast, x_support), y_support);
    const mg::TensorList grads = mg::grad({loss}, fast, {}, {.create_graph = true});
    for (size_t i = 0; i < fast.size(); ++i) {
      fast[i] = fast[i] - grads[i] * inner_lr;
      named.emplace_back(fmt::format("step{}.{}", step, names[i]), fast[i]);
    }
  }
  const mg::Tensor meta_loss = mse(mlp(fast, x_query), y_query);
  fmt::print("meta-loss after two inner SGD steps: {:.6f}\n", meta_loss.item<double>());

  const std::string dot = mg::make_dot(meta_loss, named);
  const std::string base = (folder / "maml-graph").string();
  try {
    const std::string image = mg::render(dot, base, "svg");
    fmt::print("wrote {}.dot and {}\n", base, image);
  } catch (const mg::Error& e) {
    fmt::print("wrote {}.dot; no SVG: {}\n", base, e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int status = 0;
  const int guarded = ex::run_guarded(kProgram, [&] {
    std::filesystem::path folder = ".";
    mg::Device device = mg::kCPU;
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "-h" || arg == "--help") {
        fmt::print("usage: {} [--device cpu|cuda] [folder]\n", kProgram);
        return;
      }
      if (arg == "--device" || arg.rfind("--device=", 0) == 0) {
        MG_CHECK(arg != "--device" || i + 1 < argc, "{}: --device needs a value (see --help)",
                 kProgram);
        device =
            ex::parse_device(kProgram, "--device", arg == "--device" ? argv[++i] : arg.substr(9));
      } else {
        MG_CHECK(arg.rfind("--", 0) != 0, "{}: unknown option '{}' (see --help)", kProgram, arg);
        folder = arg;
      }
    }
    status = run(folder, device);
  });
  return guarded != 0 ? guarded : status;
}
