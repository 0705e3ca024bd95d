// TorchOpt tutorial 3, "TorchOpt as Meta-Optimizer", as a program: MetaOptimizer / MetaSGD /
// MetaAdam take differentiable steps on a module, extract_state_dict / recover_state_dict reset
// an inner loop, a chain adds gradient clipping, and schedules set the learning rate. Prints what
// the notebook prints and writes the graphs it draws (.dot and .svg) into the folder given as
// argument (default: the current folder).
//
//   ./tutorial3_meta_optimizer [folder]
#include <fmt/core.h>

#include <filesystem>
#include <string>

#include "examples/common/example_main.hpp"
#include "examples/tutorials/printing.hpp"
#include "metagrad.hpp"

namespace mg = metagrad;
namespace tut = metagrad::tutorials;

namespace {

constexpr const char* kProgram = "tutorial3_meta_optimizer";

// A network with one scalar parameter a (initially 1) computing a * x^2. Task 1 of the multi-task
// example is this forward; task 2 is a * x.
class Net : public mg::nn::Cloneable<Net> {
 public:
  Net() : a_(register_parameter("a", mg::scalar_tensor(1.0))) {}
  std::string type_name() const override { return "Net"; }
  mg::Tensor forward(const mg::Tensor& x) override { return task1(x); }
  mg::Tensor task1(const mg::Tensor& x) const { return parameter_at(a_) * (x * x); }
  mg::Tensor task2(const mg::Tensor& x) const { return parameter_at(a_) * x; }
  const mg::Tensor& a() const { return parameter_at(a_); }

 private:
  size_t a_;
};

// The meta-parameter x = 2, a leaf.
mg::Tensor meta_parameter() { return mg::scalar_tensor(2.0).requires_grad_(); }

void write_graph(const std::filesystem::path& folder, const std::string& name,
                 const std::string& dot) {
  const std::string base = (folder / name).string();
  fmt::print("wrote {}.dot and {}\n", base, mg::render(dot, base, "svg"));
}

// 1. The inner loss a0 x^2 takes a to a1 = a0 - lr x^2; the outer loss a1 x^2 then has
// d/dx = -4 lr x^3 + 2 a0 x, which is -28 for lr = 1, a0 = 1, x = 2.
void basic_api() {
  Net net;
  const mg::Tensor x = meta_parameter();
  // Two equivalent ways to build the meta-optimizer: the low-level one from the functional sgd,
  // and the high-level class.
  mg::MetaOptimizer low_level(net, mg::sgd({.lr = 1.0}));
  mg::MetaSGD optim(net, {.lr = 1.0});

  optim.step(net(x));
  net(x).backward();
  fmt::print("x.grad = {}\n", x.grad());
}

// 1.1 The same bi-level step with MetaAdam and an MSE loss, drawn with and without the moments
// in the graph: with moment_requires_grad the moments mu and nu become part of it.
void track_moments(const std::filesystem::path& folder, bool moment_requires_grad,
                   bool use_accelerated_op, const std::string& name) {
  Net net;
  const mg::Tensor x = meta_parameter();
  const mg::Tensor y = mg::scalar_tensor(1.0);
  mg::MetaAdam optim(net, {.lr = 1.0,
                           .moment_requires_grad = moment_requires_grad,
                           .use_accelerated_op = use_accelerated_op});

  const mg::ModuleState net_state_0 =
      mg::extract_state_dict(net, {.enable_visual = true, .visual_prefix = "step0."});
  optim.step(mg::mse_loss(net(x), y));
  const mg::ModuleState net_state_1 =
      mg::extract_state_dict(net, {.enable_visual = true, .visual_prefix = "step1."});

  const mg::Tensor outer_loss = mg::mse_loss(net(x), y);
  write_graph(
      folder, name,
      mg::make_dot(outer_loss, {net_state_0, net_state_1, {{"x", x}, {"outer_loss", outer_loss}}}));
}

// 2.1 Extract and recover. A reference snapshot taken before the inner loop brings the network
// and the optimizer back to their start, so repeating the loop gives the same a. (copy keeps
// history with new tensors; deepcopy gives detached leaves; detach_buffers detaches only the
// buffers.) Two MetaAdam steps from the gradient 4 move a by about -1 each (float32 bias
// corrections, as TorchOpt's): a = 1 -> 6.7e-06 -> -1.0000, as the notebook prints.
void extract_and_recover() {
  Net net;
  const mg::Tensor x = meta_parameter();
  mg::MetaAdam optim(net, {.lr = 1.0});

  const mg::ModuleState init_net_state =
      mg::extract_state_dict(net, {.by = mg::CopyMode::reference});
  const std::vector<mg::OptState> init_optim_state =
      mg::extract_state_dict(optim, {.by = mg::CopyMode::reference});
  const mg::ModuleState init_net_state_detached =
      mg::extract_state_dict(net, {.by = mg::CopyMode::reference, .detach_buffers = true});
  const mg::ModuleState init_net_state_copy =
      mg::extract_state_dict(net, {.by = mg::CopyMode::copy});
  const mg::ModuleState init_net_state_deepcopy =
      mg::extract_state_dict(net, {.by = mg::CopyMode::deepcopy});
  fmt::print("snapshots of a: reference {}, detach_buffers {}, copy {}, deepcopy {}\n",
             init_net_state.params[0].second, init_net_state_detached.params[0].second,
             init_net_state_copy.params[0].second, init_net_state_deepcopy.params[0].second);

  for (int i = 0; i < 2; ++i) optim.step(net(x));
  fmt::print("a = {}\n", net.a());

  mg::recover_state_dict(net, init_net_state);
  mg::recover_state_dict(optim, init_optim_state);
  for (int i = 0; i < 2; ++i) optim.step(net(x));
  fmt::print("a = {}\n", net.a());
}

// 2.2 Two tasks from the same start. Task 1 is the basic example (-28). Task 2 has inner and
// outer loss a x, so a2 = a0 - lr x and d(a2 x)/dx = -2 lr x + a0 = -3. The snapshot holds
// references, so the meta-gradients of both tasks accumulate in x.grad: -31. Plain SGD keeps no
// state: the optimizer snapshot is empty.
void multi_task() {
  Net net;
  const mg::Tensor x = meta_parameter();
  mg::MetaSGD optim(net, {.lr = 1.0});

  const mg::ModuleState init_net_state = mg::extract_state_dict(net);
  const std::vector<mg::OptState> init_optim_state = mg::extract_state_dict(optim);
  fmt::print("init_optim_state = {}\n", tut::states_repr(init_optim_state));

  optim.step(net.task1(x));
  net.task1(x).backward();
  fmt::print("Task 1: x.grad = {}\n", x.grad());

  mg::recover_state_dict(net, init_net_state);
  mg::recover_state_dict(optim, init_optim_state);
  optim.step(net.task2(x));
  net.task2(x).backward();
  fmt::print("Accumulated: x.grad = {}\n", x.grad());
}

// 3. A chain in a MetaOptimizer: clipping the inner gradient x^2 = 4 to norm 2 divides it by
// 2, so d/dx = -4 lr x^3 / 2 + 2 a0 x = -12.
void gradient_transformation() {
  Net net;
  const mg::Tensor x = meta_parameter();
  mg::MetaOptimizer optim(net, mg::chain(mg::clip_grad_norm({.max_norm = 2.0}),
                                         mg::sgd({.lr = 1.0, .moment_requires_grad = true})));
  optim.step(net(x));
  net(x).backward();
  fmt::print("x.grad = {}\n", x.grad());
}

// 4. A learning-rate schedule wherever a learning rate goes: the functional adam, Adam and
// MetaAdam. linear_schedule holds 1e-3 for 2000 steps, then falls linearly to 1e-4 over 10000.
void learning_rate_scheduler() {
  Net net;
  const mg::Schedule schedule = mg::linear_schedule(1e-3, 1e-4, 10000, 2000);
  const mg::GradientTransformation functional_adam = mg::adam({.lr = schedule});
  mg::Adam adam(net.parameters(), {.lr = schedule});
  mg::MetaAdam meta_adam(net, {.lr = schedule});
  for (int64_t count : {0, 2000, 7000, 12000, 20000})
    fmt::print("lr at step {}: {:.6g}\n", count, schedule(count));
}

void run(const std::filesystem::path& folder) {
  metagrad::examples::make_out_dir(kProgram, folder.string());
  fmt::print("## 1. Basic API\n");
  basic_api();
  fmt::print("\n## 1.1 Track the gradient of the moments\n");
  track_moments(folder, false, false, "meta_adam_untracked_moments");
  track_moments(folder, true, false, "meta_adam_tracked_moments");
  fmt::print("\n## 2.1 Extract and recover\n");
  extract_and_recover();
  fmt::print("\n## 2.2 Multi-task\n");
  multi_task();
  fmt::print("\n## 3. Gradient transformation in MetaOptimizer\n");
  gradient_transformation();
  fmt::print("\n## 4. Learning rate scheduler\n");
  learning_rate_scheduler();
  // 5. The accelerated (fused) Adam; its step and its backward are each one op in the graph.
  fmt::print("\n## 5. Accelerated optimizer\n");
  track_moments(folder, true, true, "meta_adam_accelerated");
  // 6. Known issues. Differentiating through Adam's sqrt at a zero second moment gives NaN;
  // use_accelerated_op avoids the second derivative of sqrt, and so does a hook that zeroes
  // NaN gradients: MetaOptimizer(net, chain(register_hook(zero_nan_hook), adam({.lr = 1e-1}))).
  // "Trying to backward through the graph a second time" is tutorial 4's subject.
}

}  // namespace

int main(int argc, char** argv) {
  return metagrad::examples::run_with_output_folder(kProgram, argc, argv, run);
}
