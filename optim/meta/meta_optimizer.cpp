#include "optim/meta/meta_optimizer.hpp"

#include <utility>

#include "engine/autograd/engine.hpp"
#include "engine/error.hpp"

namespace metagrad {

MetaOptimizer::MetaOptimizer(nn::Module& module, GradientTransformation impl)
    : impl_(std::move(impl)) {
  MG_CHECK(impl_.defined(),
           "MetaOptimizer: the transformation is undefined; pass e.g. sgd({{.lr = 0.1}})");
  add_param_group(module);
}

void MetaOptimizer::add_param_group(nn::Module& module) {
  OptState state = impl_.init(module.parameters());
  modules_.push_back(&module);
  states_.push_back(std::move(state));
}

void MetaOptimizer::step(const Tensor& loss) {
  MG_CHECK(loss.defined(), "MetaOptimizer.step: the loss is undefined");
  std::vector<TensorList> groups;
  groups.reserve(modules_.size());
  TensorList wrt;
  for (nn::Module* m : modules_) {
    groups.push_back(m->parameters());
    wrt.reserve(wrt.size() + groups.back().size());
    for (const auto& p : groups.back()) {
      if (p.defined() && p.requires_grad()) wrt.push_back(p);
    }
  }
  TensorList flat_grads;
  if (!wrt.empty()) {
    flat_grads = grad({loss}, wrt, {}, {.create_graph = true, .allow_unused = true});
  }
  size_t next = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    const TensorList& params = groups[i];
    TensorList grads;
    grads.reserve(params.size());
    for (const auto& p : params) {
      grads.push_back(p.defined() && p.requires_grad() ? flat_grads[next++] : Tensor());
    }
    TensorList updates = impl_.update(grads, states_[i], params, /*inplace=*/false);
    modules_[i]->set_parameters(apply_updates(params, updates, /*inplace=*/false));
  }
}

void MetaOptimizer::load_state_dict(const std::vector<OptState>& states) {
  MG_CHECK(states.size() == states_.size(),
           "MetaOptimizer.load_state_dict: got {} group states for {} parameter groups",
           states.size(), states_.size());
  for (size_t i = 0; i < states.size(); ++i) {
    MG_CHECK(states_[i].same_structure(states[i]),
             "MetaOptimizer.load_state_dict: the state of group {} ({}) does not match the "
             "optimizer's ({}) in kind, names, lengths, shapes or dtypes",
             i, states[i].kind, states_[i].kind);
  }
  states_ = states;
}

}  // namespace metagrad
