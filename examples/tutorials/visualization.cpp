// TorchOpt tutorial 2, "Visualization in TorchOpt", as a program: make_dot draws the autograd
// graph of a tensor as Graphviz DOT, with boxes named by the tensors we pass it. Writes each
// graph the notebook displays as <name>.dot and <name>.svg (rendered by Graphviz's `dot`) into
// the folder given as argument (default: the current folder).
//
//   ./tutorial2_visualization [folder]
#include <fmt/core.h>

#include <filesystem>
#include <string>

#include "examples/common/example_main.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;

namespace {

constexpr const char* kProgram = "tutorial2_visualization";

// Writes `dot` as <folder>/<name>.dot and renders <folder>/<name>.svg.
void write_graph(const std::filesystem::path& folder, const std::string& name,
                 const std::string& dot) {
  const std::string base = (folder / name).string();
  const std::string image = mg::render(dot, base, "svg");
  fmt::print("wrote {}.dot and {}\n", base, image);
}

// A linear regression network with the default (random) initialisation.
class Net : public mg::nn::Cloneable<Net> {
 public:
  explicit Net(int64_t dim) : fc_(register_module("fc", mg::nn::Linear(dim, 1))) {}
  std::string type_name() const override { return "Net"; }
  mg::Tensor forward(const mg::Tensor& x) override { return module_at(fc_)(x); }

 private:
  size_t fc_;
};

// The same network whose output is shifted by a meta-parameter.
class MetaNet : public mg::nn::Cloneable<MetaNet> {
 public:
  explicit MetaNet(int64_t dim) : fc_(register_module("fc", mg::nn::Linear(dim, 1))) {}
  std::string type_name() const override { return "MetaNet"; }
  mg::Tensor forward(const mg::Tensor& x, const mg::Tensor& meta_param) {
    return module_at(fc_)(x) + meta_param;
  }
  using mg::nn::Module::forward;

 private:
  size_t fc_;
};

void run(const std::filesystem::path& folder) {
  metagrad::examples::make_out_dir(kProgram, folder.string());
  mg::manual_seed(0);

  // A multiplication: y = 2 x. The gradient of y flows through MulBackward and is accumulated
  // on x. The names in `params` label the boxes.
  const mg::Tensor x = mg::scalar_tensor(1.0).requires_grad_();
  const mg::Tensor y = 2 * x;
  fmt::print("y = 2 * x = {}\n", y);
  write_graph(folder, "multiplication", mg::make_dot(y, {{"x", x}, {"y", y}}));

  // A network: named_parameters() labels its weights; several sets of names can be given.
  const int64_t dim = 5, batch_size = 2;
  Net net(dim);
  const mg::Tensor xs = mg::ones({batch_size, dim});
  const mg::Tensor ys = mg::ones({batch_size, 1});
  const mg::Tensor loss = mg::mse_loss(net(xs), ys);
  fmt::print("net loss: {:.6f}\n", loss.item<double>());
  write_graph(folder, "net", mg::make_dot(loss, {net.named_parameters(), {{"loss", loss}}}));

  // A meta-learning step. States extracted with enable_visual name the parameters of each
  // step ("step0.fc.weight" is the initial weight, "step1.fc.weight" the one MetaSGD computed),
  // so the graph shows how the second loss depends on both and on the meta-parameter.
  MetaNet meta_net(dim);
  mg::MetaSGD optimizer(meta_net, {.lr = 1e-3});
  const mg::Tensor meta_param = mg::scalar_tensor(1.0).requires_grad_();
  const mg::nn::NamedTensors init = meta_net.named_parameters();
  fmt::print("initial fc.weight: {}\ninitial fc.bias: {}\n", init[0].second, init[1].second);

  const mg::ModuleState net_state_0 =
      mg::extract_state_dict(meta_net, {.enable_visual = true, .visual_prefix = "step0."});
  const mg::Tensor inner_loss = mg::mse_loss(meta_net.forward(xs, meta_param), ys);
  fmt::print("inner loss: {:.6f}\n", inner_loss.item<double>());
  optimizer.step(inner_loss);

  const mg::ModuleState net_state_1 =
      mg::extract_state_dict(meta_net, {.enable_visual = true, .visual_prefix = "step1."});
  const mg::Tensor pred = meta_net.forward(xs, meta_param);
  const mg::Tensor outer_loss = mg::mse_loss(pred, mg::ones_like(pred));
  fmt::print("outer loss: {:.6f}\n", outer_loss.item<double>());
  write_graph(
      folder, "meta_net",
      mg::make_dot(outer_loss,
                   {net_state_0, net_state_1, {{"meta_param", meta_param}, {"loss", outer_loss}}}));
}

}  // namespace

int main(int argc, char** argv) {
  return metagrad::examples::run_with_output_folder(kProgram, argc, argv, run);
}
