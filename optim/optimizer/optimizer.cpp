#include "optim/optimizer/optimizer.hpp"

#include <optional>
#include <string>
#include <utility>

#include "engine/error.hpp"
#include "engine/grad_mode.hpp"
#include "optim/utils.hpp"

namespace metagrad {

Optimizer::Optimizer(const TensorList& params, GradientTransformation impl)
    : impl_(std::move(impl)) {
  MG_CHECK(impl_.defined(), "Optimizer: the transformation is undefined; pass e.g. adam({{...}})");
  add_param_group(params);
}

void detail::zero_grads(const TensorList& params, bool set_to_none) {
  NoGradGuard no_grad;
  for (const auto& p : params) {
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

void Optimizer::zero_grad(bool set_to_none) {
  for (const auto& group : param_groups_) detail::zero_grads(group, set_to_none);
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
    impl_.step_in_place(grads, states_[i], params);  // update + apply_updates, fused if it can
  }
  return loss;
}

void Optimizer::add_param_group(const TensorList& params) {
  const size_t group = param_groups_.size();
  for (size_t i = 0; i < params.size(); ++i) {
    MG_CHECK(params[i].defined(),
             "Optimizer.add_param_group: parameter {} of group {} is undefined", i, group);
    for (size_t j = 0; j < i; ++j) {
      MG_CHECK(!params[j].is_same(params[i]),
               "Optimizer.add_param_group: parameter {} of group {} is the same tensor as "
               "parameter {}; each parameter may appear only once",
               i, group, j);
    }
    for (size_t g = 0; g < param_groups_.size(); ++g) {
      for (size_t j = 0; j < param_groups_[g].size(); ++j) {
        MG_CHECK(!param_groups_[g][j].is_same(params[i]),
                 "Optimizer.add_param_group: parameter {} of group {} is already parameter {} of "
                 "group {}; each parameter may appear in only one group",
                 i, group, j, g);
      }
    }
  }
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
    const std::optional<std::string> diff = state_difference(states[i], states_[i]);
    MG_CHECK(!diff,
             "Optimizer.load_state_dict: the state of group {} does not match the optimizer's: "
             "{}; pass a state_dict() of an optimizer with the same transformation and parameters",
             i, diff.value_or(""));
  }
  NoGradGuard no_grad;
  for (size_t i = 0; i < states.size(); ++i) states_[i] = states[i].clone();
}

}  // namespace metagrad
