#include "optim/func_optimizer.hpp"

#include <optional>
#include <string>
#include <utility>

#include "engine/autograd/engine.hpp"
#include "engine/error.hpp"
#include "engine/grad_mode.hpp"
#include "optim/utils.hpp"

namespace metagrad {
namespace {

constexpr const char* kUninitialized = "UninitializedState";

std::vector<std::pair<Dims, DType>> signature_of(const TensorList& params) {
  std::vector<std::pair<Dims, DType>> out;
  out.reserve(params.size());
  for (const auto& p : params) out.emplace_back(p.shape(), p.dtype());
  return out;
}

}  // namespace

FuncOptimizer::FuncOptimizer(GradientTransformation impl, bool inplace)
    : impl_(std::move(impl)), inplace_(inplace) {
  MG_CHECK(impl_.defined(),
           "FuncOptimizer: the transformation is undefined; pass e.g. adam({{.lr = 1e-3}})");
  state_.kind = kUninitialized;
}

void FuncOptimizer::check_params(const TensorList& params) const {
  MG_CHECK(!params.empty(),
           "FuncOptimizer.step: no parameters given; pass the tensors the loss is computed from");
  for (size_t i = 0; i < params.size(); ++i) {
    MG_CHECK(params[i].defined(), "FuncOptimizer.step: parameter {} is undefined", i);
    MG_CHECK(params[i].requires_grad(),
             "FuncOptimizer.step: parameter {} (shape {}, {}) does not require grad; call "
             "requires_grad_() on it or leave it out of the parameters",
             i, shape_str(params[i].shape()), dtype_name(params[i].dtype()));
  }
  if (!initialized_) return;
  MG_CHECK(params.size() == signature_.size(),
           "FuncOptimizer.step: got {} parameters, but the state was created for {}; pass the same "
           "parameters at every step (or a fresh FuncOptimizer for others)",
           params.size(), signature_.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& [shape, dtype] = signature_[i];
    MG_CHECK(params[i].shape() == shape && params[i].dtype() == dtype,
             "FuncOptimizer.step: parameter {} has shape {} and dtype {}, but the state was "
             "created for shape {} and dtype {}",
             i, shape_str(params[i].shape()), dtype_name(params[i].dtype()), shape_str(shape),
             dtype_name(dtype));
  }
}

TensorList FuncOptimizer::step(const Tensor& loss, const TensorList& params,
                               std::optional<bool> inplace) {
  MG_CHECK(loss.defined(), "FuncOptimizer.step: the loss is undefined");
  MG_CHECK(loss.numel() == 1,
           "FuncOptimizer.step: the loss must have one element, got shape {}; reduce it first "
           "(e.g. loss.mean())",
           shape_str(loss.shape()));
  MG_CHECK(loss.requires_grad(),
           "FuncOptimizer.step: the loss does not require grad; compute it from the parameters "
           "with grad mode on (not under NoGradGuard)");
  check_params(params);
  const bool in_place = inplace.value_or(inplace_);

  // Lazy initialisation (TorchOpt's UninitializedState), committed only once the step succeeds.
  OptState state;
  if (initialized_) {
    state = state_;
  } else {
    OptState fresh = impl_.init(params);
    if (pending_) {
      const std::optional<std::string> diff =
          state_difference(*pending_, fresh, "the loaded state", "the state these parameters need");
      MG_CHECK(!diff,
               "FuncOptimizer.step: the state given to load_state_dict does not fit these {} "
               "parameters and this transformation: {}; load a state saved from the same "
               "transformation and parameters",
               params.size(), diff.value_or(""));
      state = *pending_;
    } else {
      state = std::move(fresh);
    }
  }

  TensorList grads = grad({loss}, params, {}, {.create_graph = !in_place, .allow_unused = true});
  TensorList result;
  if (in_place) {
    NoGradGuard no_grad;
    impl_.step_in_place(grads, state, params);  // update + apply_updates, fused if it can
    result = params;
  } else {
    TensorList updates = impl_.update(grads, state, params, /*inplace=*/false);
    result = apply_updates(params, updates, /*inplace=*/false);
  }
  if (!initialized_) {
    signature_ = signature_of(params);
    pending_.reset();
    initialized_ = true;
  }
  state_ = std::move(state);
  return result;
}

OptState FuncOptimizer::state_dict() const {
  if (!initialized_ && pending_) return *pending_;
  return state_;
}

void FuncOptimizer::load_state_dict(const OptState& state) {
  if (state.kind == kUninitialized) {
    MG_CHECK(state.tensors.empty() && state.counters.empty() && state.children.empty(),
             "FuncOptimizer.load_state_dict: an UninitializedState must hold no tensors, "
             "counters or children");
    initialized_ = false;
    pending_.reset();
    signature_.clear();
    state_ = OptState{};
    state_.kind = kUninitialized;
    return;
  }
  if (!initialized_) {
    pending_ = state;
    return;
  }
  const std::optional<std::string> diff = state_difference(state, state_);
  MG_CHECK(!diff,
           "FuncOptimizer.load_state_dict: the state does not match the optimizer's: {}; load a "
           "state saved from the same transformation and parameters",
           diff.value_or(""));
  state_ = state;
}

}  // namespace metagrad
