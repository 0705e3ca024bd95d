// TorchOpt tutorial 4, "torchopt.stop_gradient in Meta-Learning", as a program: two bi-level
// steps where the second inner loop starts from the parameters the first one produced. Without
// stop_gradient the second backward runs into the first graph, whose saved tensors are freed;
// stop_gradient(net) and stop_gradient(optimizer) cut that link in place. Prints the losses and
// meta-gradients and writes the graphs the notebook draws (.dot and .svg) into the folder given
// as argument (default: the current folder).
//
//   ./tutorial4_stop_gradient [folder]
#include <fmt/core.h>

#include <filesystem>
#include <string>

#include "examples/common/example_main.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;

namespace {

constexpr const char* kProgram = "tutorial4_stop_gradient";

class Net : public mg::nn::Cloneable<Net> {
 public:
  explicit Net(int64_t dim) : fc_(register_module("fc", mg::nn::Linear(dim, 1))) {}
  std::string type_name() const override { return "Net"; }
  mg::Tensor forward(const mg::Tensor& x) override { return module_at(fc_)(x); }

 private:
  size_t fc_;
};

void write_graph(const std::filesystem::path& folder, const std::string& name,
                 const std::string& dot) {
  const std::string base = (folder / name).string();
  fmt::print("wrote {}.dot and {}\n", base, mg::render(dot, base, "svg"));
}

// The squared norm of d inner_loss / d parameters, printed with the losses so that the numbers
// can be checked by hand: the loss is quadratic in the parameters, so after the step
// p1 = p0 - lr m g the meta-gradient is lr |g|^2 + 2 (outer - inner) / m.
double squared_grad_norm(const mg::Tensor& inner_loss, const mg::TensorList& params) {
  double total = 0;
  for (const mg::Tensor& g : mg::grad({inner_loss}, params, {}, {.retain_graph = true}))
    total += (g * g).sum().item<double>();
  return total;
}

void run(const std::filesystem::path& folder) {
  metagrad::examples::make_out_dir(kProgram, folder.string());
  // The data and the network are random (torch.randn in the notebook); the seed fixes them.
  mg::manual_seed(0);
  const int64_t batch_size = 64, dim = 16;
  const mg::Tensor x = mg::randn({batch_size, dim});
  const mg::Tensor y = mg::zeros({batch_size, 1});
  Net net(dim);

  // The meta-parameter scales the inner loss; MetaSGD is the inner optimizer, Adam the outer.
  const mg::Tensor meta_parameter = mg::scalar_tensor(1.0).requires_grad_();
  mg::MetaSGD optim(net, {.lr = 1e-1});
  mg::Adam meta_optim({meta_parameter}, {.lr = 1e-1});

  // The inner loss and its graph.
  const mg::ModuleState init_net_state =
      mg::extract_state_dict(net, {.enable_visual = true, .visual_prefix = "step0."});
  mg::Tensor inner_loss = mg::mse_loss(net(x), y);
  fmt::print("inner loss: {:.4f}\n", inner_loss.item<double>());
  const double grad_norm_1 = squared_grad_norm(inner_loss, net.parameters());
  write_graph(folder, "inner_loss",
              mg::make_dot(inner_loss, {init_net_state, {{"inner_loss", inner_loss}}}));

  // One inner step on the scaled loss.
  optim.step(inner_loss * meta_parameter);

  // The outer loss; its graph holds the inner forward, the MetaSGD step and the outer forward.
  const mg::ModuleState one_step_net_state =
      mg::extract_state_dict(net, {.enable_visual = true, .visual_prefix = "step1."});
  const std::vector<mg::OptState> one_step_optim_state = mg::extract_state_dict(optim);
  mg::Tensor outer_loss = mg::mse_loss(net(x), y);
  fmt::print("outer loss: {:.4f}\n", outer_loss.item<double>());
  fmt::print("check: inner loss {:.6f}, outer loss {:.6f}, |d inner / d params|^2 {:.6f}\n",
             inner_loss.item<double>(), outer_loss.item<double>(), grad_norm_1);
  write_graph(
      folder, "outer_loss",
      mg::make_dot(outer_loss, {init_net_state,
                                one_step_net_state,
                                {{"meta_parameter", meta_parameter}, {"outer_loss", outer_loss}}}));

  // The outer step.
  meta_optim.zero_grad();
  outer_loss.backward();
  fmt::print("meta_parameter.grad = {}\n", meta_parameter.grad());
  meta_optim.step();
  fmt::print("meta_parameter = {}\n", meta_parameter);

  // A second bi-level step from the updated parameters, without stop_gradient: the new graph is
  // joined to the first one, whose saved tensors the first backward freed, so backward fails.
  inner_loss = mg::mse_loss(net(x), y);
  optim.step(inner_loss * meta_parameter);
  outer_loss = mg::mse_loss(net(x), y);
  write_graph(
      folder, "without_stop_gradient",
      mg::make_dot(outer_loss, {init_net_state,
                                one_step_net_state,
                                {{"meta_parameter", meta_parameter}, {"outer_loss", outer_loss}}}));
  meta_optim.zero_grad();
  try {
    outer_loss.backward();
    fmt::print("backward through the joined graphs unexpectedly succeeded\n");
  } catch (const mg::Error& e) {
    fmt::print("without stop_gradient, backward fails: {}\n", e.what());
  }

  // Back to the one-step state, then cut it from the first graph: the parameters and the
  // optimizer's state become leaves (in place, so every handle sees it).
  mg::recover_state_dict(net, one_step_net_state);
  mg::recover_state_dict(optim, one_step_optim_state);
  mg::stop_gradient(net);
  mg::stop_gradient(optim);
  const mg::ModuleState one_step_net_state_detached =
      mg::extract_state_dict(net, {.enable_visual = true, .visual_prefix = "step1.detached."});

  inner_loss = mg::mse_loss(net(x), y);
  const double grad_norm_2 = squared_grad_norm(inner_loss, net.parameters());
  optim.step(inner_loss * meta_parameter);
  outer_loss = mg::mse_loss(net(x), y);
  meta_optim.zero_grad();
  outer_loss.backward();
  fmt::print("meta_parameter.grad = {}\n", meta_parameter.grad());
  meta_optim.step();
  fmt::print("meta_parameter = {}\n", meta_parameter);
  fmt::print("check: inner loss {:.6f}, outer loss {:.6f}, |d inner / d params|^2 {:.6f}\n",
             inner_loss.item<double>(), outer_loss.item<double>(), grad_norm_2);
  // The graph is again one bi-level step, starting from the detached parameters.
  write_graph(
      folder, "with_stop_gradient",
      mg::make_dot(outer_loss, {one_step_net_state_detached,
                                {{"meta_parameter", meta_parameter}, {"outer_loss", outer_loss}}}));
}

}  // namespace

int main(int argc, char** argv) {
  return metagrad::examples::run_with_output_folder(kProgram, argc, argv, run);
}
