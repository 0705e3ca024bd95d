#include "optim/transform.hpp"

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"

namespace metagrad {

OptState GradientTransformation::init(const TensorList& params) const {
  MG_CHECK(defined(),
           "GradientTransformation::init: the transformation is undefined "
           "(default-constructed); build one with an alias such as adam() or chain()");
  return init_(params);
}

TensorList GradientTransformation::update(const TensorList& updates, OptState& state,
                                          const TensorList& params, bool inplace) const {
  MG_CHECK(defined(),
           "GradientTransformation::update: the transformation is undefined "
           "(default-constructed); build one with an alias such as adam() or chain()");
  return update_(updates, state, params, inplace);
}

const std::vector<GradientTransformation>& GradientTransformation::parts() const {
  static const std::vector<GradientTransformation> kNone;
  return parts_ ? *parts_ : kNone;
}

namespace {

// Throws unless `state` is the state of a chain of `parts` transformations.
void check_chain_state(const OptState& state, size_t parts) {
  MG_CHECK(state.kind == "ChainState" && state.children.size() == parts,
           "chain: expected a ChainState with {} sub-states, got a {} with {}; the state must come "
           "from this chain's init()",
           parts, state.kind, state.children.size());
}

}  // namespace

void GradientTransformation::step_in_place(const TensorList& updates, OptState& state,
                                           const TensorList& params) const {
  MG_CHECK(defined(),
           "GradientTransformation::step_in_place: the transformation is undefined "
           "(default-constructed); build one with an alias such as adam() or chain()");
  const std::vector<GradientTransformation>& p = parts();
  const size_t n = p.size();
  if (n < 2 || !p[n - 1].scale_factor_ || !p[n - 2].apply_scaled_) {
    apply_updates(params, update(updates, state, params, /*inplace=*/true), /*inplace=*/true);
    return;
  }
  // Note [folded adam step]: the parts before the last two as chain runs them, then the fused
  // update-scale-apply of the last two, or, when it declines, the plain steps.
  check_chain_state(state, n);
  TensorList current = updates;
  for (size_t i = 0; i + 2 < n; ++i)
    current = p[i].update(current, state.children[i], params, /*inplace=*/true);
  OptState& scaling = state.children[n - 1];
  if (p[n - 2].apply_scaled_(current, state.children[n - 2], params,
                             p[n - 1].scale_factor_(scaling))) {
    (void)p[n - 1].update({}, scaling, params, /*inplace=*/true);  // advances its count, if any
    return;
  }
  current = p[n - 2].update(current, state.children[n - 2], params, /*inplace=*/true);
  current = p[n - 1].update(current, scaling, params, /*inplace=*/true);
  apply_updates(params, current, /*inplace=*/true);
}

GradientTransformation GradientTransformation::with_scale_factor(ScaleFactorFn factor) const {
  GradientTransformation out = *this;
  out.scale_factor_ = std::move(factor);
  return out;
}

GradientTransformation GradientTransformation::with_apply_scaled(ApplyScaledFn apply) const {
  GradientTransformation out = *this;
  out.apply_scaled_ = std::move(apply);
  return out;
}

GradientTransformation identity() {
  GradientTransformation t(
      [](const TensorList&) { return OptState{}; },
      [](const TensorList& updates, OptState&, const TensorList&, bool) { return updates; });
  t.identity_ = true;
  return t;
}

GradientTransformation chain(std::vector<GradientTransformation> transforms) {
  for (size_t i = 0; i < transforms.size(); ++i) {
    MG_CHECK(transforms[i].defined(), "chain: transformation {} is undefined (default-constructed)",
             i);
  }
  if (transforms.empty()) return identity();
  if (transforms.size() == 1) return transforms[0];

  auto parts = std::make_shared<std::vector<GradientTransformation>>();
  for (const auto& t : transforms) {
    if (t.parts_) {
      parts->insert(parts->end(), t.parts_->begin(), t.parts_->end());
    } else if (!t.identity_) {
      parts->push_back(t);
    }
  }
  if (parts->empty()) parts->push_back(identity());

  std::shared_ptr<const std::vector<GradientTransformation>> shared = parts;
  GradientTransformation result(
      [shared](const TensorList& params) {
        OptState state;
        state.kind = "ChainState";
        state.children.reserve(shared->size());
        for (const auto& t : *shared) state.children.push_back(t.init(params));
        return state;
      },
      [shared](const TensorList& updates, OptState& state, const TensorList& params, bool inplace) {
        check_chain_state(state, shared->size());
        TensorList current = updates;
        for (size_t i = 0; i < shared->size(); ++i) {
          current = (*shared)[i].update(current, state.children[i], params, inplace);
        }
        return current;
      });
  result.parts_ = std::move(shared);
  return result;
}

TensorList apply_updates(const TensorList& params, const TensorList& updates, bool inplace) {
  MG_CHECK(params.size() == updates.size(),
           "apply_updates: got {} parameters but {} updates; pass one update per parameter "
           "(an undefined Tensor for none)",
           params.size(), updates.size());
  for (size_t i = 0; i < params.size(); ++i) {
    if (!updates[i].defined()) continue;
    MG_CHECK(params[i].defined(), "apply_updates: parameter {} is undefined but has an update", i);
    MG_CHECK(updates[i].shape() == params[i].shape() && updates[i].dtype() == params[i].dtype() &&
                 updates[i].device() == params[i].device(),
             "apply_updates: update {} ({} {} on {}) does not match its parameter ({} {} on {}); "
             "updates must have their parameter's shape, dtype and device",
             i, dtype_name(updates[i].dtype()), shape_str(updates[i].shape()),
             updates[i].device().str(), dtype_name(params[i].dtype()), shape_str(params[i].shape()),
             params[i].device().str());
  }
  if (inplace) {
    NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) {
      if (!updates[i].defined()) continue;
      Tensor data = params[i].detach();  // shares storage and version counter
      data.add_(updates[i].detach());
    }
    return params;
  }
  TensorList out(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    out[i] = updates[i].defined() ? add(params[i], updates[i]) : params[i];
  }
  return out;
}

namespace {

thread_local const std::vector<std::string>* current_names = nullptr;

// The names of a NamedParams list; `other`, when not empty, must have the same ones.
std::vector<std::string> names_of(const NamedParams& named, const NamedParams& other,
                                  const char* who) {
  std::vector<std::string> names;
  names.reserve(named.size());
  for (const auto& [name, t] : named) names.push_back(name);
  if (other.empty()) return names;
  MG_CHECK(other.size() == named.size(),
           "{}: {} updates but {} parameters; give both for the same names, in the same order", who,
           named.size(), other.size());
  for (size_t i = 0; i < named.size(); ++i) {
    MG_CHECK(other[i].first == names[i],
             "{}: entry {} is '{}' among the updates but '{}' among the parameters; give both for "
             "the same names, in the same order",
             who, i, names[i], other[i].first);
  }
  return names;
}

TensorList values_of(const NamedParams& named) {
  TensorList values;
  values.reserve(named.size());
  for (const auto& [name, t] : named) values.push_back(t);
  return values;
}

NamedParams with_names(const std::vector<std::string>& names, const TensorList& values,
                       const char* who) {
  MG_CHECK(values.size() == names.size(), "{}: {} results for {} named parameters", who,
           values.size(), names.size());
  NamedParams out;
  out.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) out.emplace_back(names[i], values[i]);
  return out;
}

}  // namespace

optim_detail::ParamNamesScope::ParamNamesScope(const std::vector<std::string>* names)
    : previous_(current_names) {
  current_names = names;
}

optim_detail::ParamNamesScope::~ParamNamesScope() { current_names = previous_; }

const std::vector<std::string>* optim_detail::ParamNamesScope::current() { return current_names; }

std::unique_ptr<std::vector<std::string>> optim_detail::narrowed_param_names(
    const std::vector<size_t>& positions) {
  if (current_names == nullptr) return nullptr;
  auto out = std::make_unique<std::vector<std::string>>();
  out->reserve(positions.size());
  for (size_t i : positions) out->push_back(i < current_names->size() ? (*current_names)[i] : "");
  return out;
}

OptState GradientTransformation::init_named(const NamedParams& params) const {
  const std::vector<std::string> names = names_of(params, {}, "init");
  optim_detail::ParamNamesScope scope(&names);
  return init(values_of(params));
}

NamedParams GradientTransformation::update_named(const NamedParams& updates, OptState& state,
                                                 const NamedParams& params, bool inplace) const {
  const std::vector<std::string> names = names_of(updates, params, "update");
  optim_detail::ParamNamesScope scope(&names);
  return with_names(names, update(values_of(updates), state, values_of(params), inplace), "update");
}

NamedParams apply_updates_named(const NamedParams& params, const NamedParams& updates,
                                bool inplace) {
  const std::vector<std::string> names = names_of(updates, params, "apply_updates");
  return with_names(names, apply_updates(values_of(params), values_of(updates), inplace),
                    "apply_updates");
}

std::vector<bool> ParamMask::resolve(const TensorList& tensors, const char* who) const {
  if (by_name_) {
    const std::vector<std::string>* names = optim_detail::ParamNamesScope::current();
    MG_CHECK(names != nullptr && names->size() == tensors.size(),
             "{}: the mask is a predicate on parameter names, but the {} parameters came without "
             "names; call init/update with NamedParams (such as net.named_parameters())",
             who, tensors.size());
    std::vector<bool> flags;
    flags.reserve(names->size());
    for (const std::string& name : *names) flags.push_back(by_name_(name));
    return flags;
  }
  std::vector<bool> flags = fixed_ ? flags_ : fn_(tensors);
  MG_CHECK(flags.size() == tensors.size(),
           "{}: the mask has {} entries but there are {} parameters; give one flag per parameter",
           who, flags.size(), tensors.size());
  return flags;
}

}  // namespace metagrad
