#include "optim/optimizer/optimizer.hpp"

#include <utility>

#include "engine/error.hpp"
#include "engine/grad_mode.hpp"

namespace metagrad {

Optimizer::Optimizer(const TensorList& params, GradientTransformation impl)
    : impl_(std::move(impl)) {
  MG_CHECK(impl_.defined(), "Optimizer: the transformation is undefined; pass e.g. adam({{...}})");
  add_param_group(params);
}

void Optimizer::zero_grad(bool set_to_none) {
  NoGradGuard no_grad;
  for (const auto& group : param_groups_) {
    for (const auto& p : group) {
      if (!p.defined()) continue;
      Tensor g = p.grad();
      if (!g.defined()) continue;
      if (set_to_none) {
        p.set_grad(Tensor());
      } else {
        g.zero_();
      }
    }
  }
}

Tensor Optimizer::step(const std::function<Tensor()>& closure) {
  Tensor loss;
  if (closure) {
    EnableGradGuard enable;
    loss = closure();
  }
  NoGradGuard no_grad;
  for (size_t i = 0; i < param_groups_.size(); ++i) {
    const TensorList& params = param_groups_[i];
    TensorList grads;
    grads.reserve(params.size());
    for (const auto& p : params) grads.push_back(p.defined() ? p.grad() : Tensor());
    TensorList updates = impl_.update(grads, states_[i], params, /*inplace=*/true);
    apply_updates(params, updates, /*inplace=*/true);
  }
  return loss;
}

void Optimizer::add_param_group(const TensorList& params) {
  OptState state = impl_.init(params);
  param_groups_.push_back(params);
  states_.push_back(std::move(state));
}

std::vector<OptState> Optimizer::state_dict() const {
  std::vector<OptState> out;
  out.reserve(states_.size());
  for (const auto& s : states_) out.push_back(s.clone());
  return out;
}

void Optimizer::load_state_dict(const std::vector<OptState>& states) {
  MG_CHECK(states.size() == states_.size(),
           "Optimizer.load_state_dict: got {} group states for {} parameter groups", states.size(),
           states_.size());
  for (size_t i = 0; i < states.size(); ++i) {
    MG_CHECK(states_[i].same_structure(states[i]),
             "Optimizer.load_state_dict: the state of group {} ({}) does not match the "
             "optimizer's ({}) in kind, names, lengths, shapes or dtypes",
             i, states[i].kind, states_[i].kind);
  }
  NoGradGuard no_grad;
  for (size_t i = 0; i < states.size(); ++i) states_[i] = states[i].clone();
}

}  // namespace metagrad
