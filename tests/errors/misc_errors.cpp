// Error inputs of the autograd entry points, gradcheck, make_dot/render, the file readers and
// writers, optimizer checkpoints and the state utilities.
#include <string>

#include "tests/errors/error_table.hpp"

namespace metagrad::testing {
namespace {

const char* const kMissing = "/nonexistent-metagrad-dir/missing.file";

// A module that does not derive from nn::Cloneable.
struct NotCloneable : nn::Module {
  NotCloneable() { register_parameter("w", ones({2}, kFloat64)); }
};

}  // namespace

ErrorTable misc_error_cases() {
  return {
      {"grad",
       "non-scalar output without grad_outputs",
       [] {
         Tensor x = ones({2, 2}, kFloat64).requires_grad_();
         (void)grad({x * 2.0}, {x});
       },
       {"grad can be implicitly created only for scalar outputs", "[2, 2]"}},
      {"grad",
       "grad_output of the wrong shape",
       [] {
         Tensor x = ones({2}, kFloat64).requires_grad_();
         (void)grad({x * 2.0}, {x}, {ones({3}, kFloat64)});
       },
       {"grad_outputs[0] has shape [3] but output 0 has shape [2]"}},
      {"grad",
       "input not used",
       [] {
         Tensor x = ones({1}, kFloat64).requires_grad_();
         Tensor unused = ones({3}, kFloat64).requires_grad_();
         (void)grad({(x * 2.0).sum()}, {x, unused});
       },
       {"input 1 (shape [3]) appears to not have been used in the graph", "allow_unused=true"}},
      {"grad",
       "undefined output",
       [] {
         Tensor x = ones({1}, kFloat64).requires_grad_();
         (void)grad({Tensor()}, {x});
       },
       {"grad", "undefined"}},
      {"backward",
       "second backward without retain_graph",
       [] {
         Tensor x = ones({2}, kFloat64).requires_grad_();
         Tensor y = (x * x).sum();
         backward({y});
         backward({y});
       },
       {"trying to backward through the graph a second time", "retain_graph=true"}},
      {"backward",
       "output that does not require grad",
       [] { backward({ones({1}, kFloat64).sum()}); },
       {"does not require grad"}},
      {"backward",
       "grad_outputs of the wrong count",
       [] {
         Tensor x = ones({2}, kFloat64).requires_grad_();
         backward({x.sum()}, {ones({}, kFloat64), ones({}, kFloat64)});
       },
       {"backward", "2", "1"}},
      {"gradcheck",
       "no input requires grad",
       [] {
         (void)gradcheck([](const TensorList& in) { return TensorList{in[0] * 2.0}; },
                         {ones({2}, kFloat64)});
       },
       {"gradcheck: no input requires grad"}},
      {"gradcheck",
       "a wrong gradient",
       [] {
         (void)gradcheck(
             [](const TensorList& in) {
               return TensorList{in[0] * 2.0 + (in[0].detach() * in[0].detach())};
             },
             {ones({2}, kFloat64).requires_grad_()});
       },
       {"gradcheck: Jacobian mismatch for output 0 with respect to input 0", "analytical 2"}},
      {"gradgradcheck",
       "no input requires grad",
       [] {
         (void)gradgradcheck([](const TensorList& in) { return TensorList{in[0] * 2.0}; },
                             {ones({2}, kFloat64)});
       },
       {"gradgradcheck: no input requires grad; call requires_grad_()"}},
      {"make_dot",
       "undefined output",
       [] { (void)make_dot(Tensor()); },
       {"make_dot: output 0 of 1 is undefined"}},
      {"resize_graph",
       "not a digraph",
       [] {
         std::string text = "graph {\n}\n";
         resize_graph(text);
       },
       {"resize_graph", "digraph {", "make_dot"}},
      {"resize_graph",
       "NaN min_size",
       [] {
         std::string dot = "digraph {\n}\n";
         resize_graph(dot, 0.5, kNaN);
       },
       {"resize_graph: size_per_element (0.5) and min_size (nan)", "finite"}},
      {"render", "empty path", [] { (void)render("digraph {}", ""); }, {"render", "path"}},
      {"render",
       "format with a path separator",
       [] { (void)render("digraph {}", "/tmp/mg_errtable_dot", "../svg"); },
       {"render", "format"}},
      // Readers and writers: a missing file and a bad argument (malformed files are the readers'
      // own suites, tests/io).
      {"load_file", "missing file", [] { (void)load_file(kMissing); }, {"load_file", kMissing}},
      {"save_file",
       "empty tensor name",
       [] {
         save_file({{"", ones({1})}}, "/tmp/mg_errtable.safetensors");
       },
       {"save_file('/tmp/mg_errtable.safetensors'): tensor names must be non-empty"}},
      {"save_file",
       "unwritable directory",
       [] {
         save_file({{"a", ones({1})}}, kMissing);
       },
       {"save_file", kMissing}},
      {"load_npy", "missing file", [] { (void)load_npy(kMissing); }, {"load_npy", kMissing}},
      {"save_npy",
       "undefined tensor",
       [] { save_npy(Tensor(), "/tmp/mg_errtable.npy"); },
       {"save_npy('/tmp/mg_errtable.npy'): the tensor is undefined"}},
      {"read_state", "missing file", [] { (void)read_state(kMissing); }, {"read_state", kMissing}},
      {"load_state",
       "missing file",
       [] {
         std::vector<OptState> states;
         load_state(states, kMissing);
       },
       {"load_state", kMissing}},
      {"save_state",
       "unwritable directory",
       [] { save_state(std::vector<OptState>{OptState()}, kMissing); },
       {"save_state", kMissing}},
      {"save_checkpoint",
       "unwritable directory",
       [] {
         nn::Linear net(2, 3);
         Adam opt(net.parameters());
         save_checkpoint(kMissing, net, opt);
       },
       {"save_checkpoint", kMissing}},
      {"load_checkpoint",
       "missing file",
       [] {
         nn::Linear net(2, 3);
         Adam opt(net.parameters());
         (void)load_checkpoint(kMissing, net, opt);
       },
       {"load_checkpoint", kMissing}},
      {"read_checkpoint_extra",
       "missing file",
       [] { (void)read_checkpoint_extra(kMissing); },
       {"read_checkpoint_extra", kMissing}},
      // State utilities.
      {"recover_state_dict",
       "names that differ from the module's",
       [] {
         nn::Linear net(2, 3);
         ModuleState state = extract_state_dict(net);
         state.params[0].first = "renamed";
         recover_state_dict(net, state);
       },
       {"recover_state_dict: entry 0 of the parameters is named 'renamed' in the state"}},
      {"recover_state_dict",
       "fewer entries than the module",
       [] {
         nn::Linear net(2, 3);
         ModuleState state = extract_state_dict(net);
         state.params.pop_back();
         recover_state_dict(net, state);
       },
       {"recover_state_dict: the state has 1 parameters but the module has 2"}},
      {"module_clone",
       "module without clone()",
       [] { (void)module_clone(NotCloneable()); },
       {"clone:", "does not override clone()"}},
  };
}

}  // namespace metagrad::testing
