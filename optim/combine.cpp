#include "optim/combine.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "engine/ops.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

std::vector<std::string> ParamLabels::resolve(const TensorList& tensors, const char* who) const {
  if (by_name_) {
    const std::vector<std::string>* names = ParamNamesScope::current();
    MG_CHECK(names != nullptr && names->size() == tensors.size(),
             "{}: the labels are a function of parameter names, but the {} parameters came "
             "without names; call init/update with NamedParams (such as net.named_parameters())",
             who, tensors.size());
    std::vector<std::string> labels;
    labels.reserve(names->size());
    for (const std::string& name : *names) labels.push_back(by_name_(name));
    return labels;
  }
  std::vector<std::string> labels = fixed_ ? labels_ : fn_(tensors);
  MG_CHECK(labels.size() == tensors.size(),
           "{}: got {} labels for {} parameters; give one label per parameter", who, labels.size(),
           tensors.size());
  return labels;
}

namespace {

using TransformMap = std::map<std::string, GradientTransformation>;

// The positions of each transformation's parameters, in map order; throws when a label has no
// transformation.
std::vector<std::vector<size_t>> group_positions(const TransformMap& transforms,
                                                 const std::vector<std::string>& labels) {
  std::set<std::string> unknown;
  for (const auto& label : labels) {
    if (transforms.count(label) == 0) unknown.insert(label);
  }
  if (!unknown.empty()) {
    std::vector<std::string> keys;
    for (const auto& [key, t] : transforms) keys.push_back(key);
    MG_FAIL(
        "multi_transform: some parameters have no corresponding transformation: labels {} are "
        "not among the transformations' keys {}",
        unknown, keys);
  }
  std::vector<std::vector<size_t>> groups;
  for (const auto& [key, t] : transforms) {
    std::vector<size_t> positions;
    for (size_t i = 0; i < labels.size(); ++i) {
      if (labels[i] == key) positions.push_back(i);
    }
    groups.push_back(std::move(positions));
  }
  return groups;
}

TensorList take(const TensorList& all, const std::vector<size_t>& positions) {
  TensorList out;
  out.reserve(positions.size());
  for (size_t i : positions) out.push_back(all[i]);
  return out;
}

}  // namespace

GradientTransformation multi_transform(TransformMap transforms, ParamLabels param_labels) {
  for (const auto& [key, t] : transforms) {
    MG_CHECK(t.defined(), "multi_transform: the transformation for label '{}' is undefined", key);
  }
  auto shared = std::make_shared<const TransformMap>(std::move(transforms));
  return {[shared, param_labels](const TensorList& params) {
            const auto groups =
                group_positions(*shared, param_labels.resolve(params, "multi_transform"));
            OptState state;
            state.kind = "MultiTransformState";
            size_t g = 0;
            for (const auto& [key, t] : *shared) {
              const auto names = narrowed_param_names(groups[g]);
              ParamNamesScope scope(names.get());  // each group sees its own names
              state.children.push_back(t.init(take(params, groups[g++])));
            }
            return state;
          },
          [shared, param_labels](const TensorList& updates, OptState& state,
                                 const TensorList& params, bool inplace) {
            expect_kind(state, "MultiTransformState", "multi_transform");
            MG_CHECK(state.children.size() == shared->size(),
                     "multi_transform: the state has {} inner states for {} transformations",
                     state.children.size(), shared->size());
            const auto groups =
                group_positions(*shared, param_labels.resolve(updates, "multi_transform"));
            const bool with_params = params.size() == updates.size();
            TensorList out = updates;
            size_t g = 0;
            for (const auto& [key, t] : *shared) {
              const auto& positions = groups[g];
              const auto names = narrowed_param_names(positions);
              ParamNamesScope scope(names.get());
              const TensorList sub =
                  t.update(take(updates, positions), state.children[g],
                           with_params ? take(params, positions) : TensorList{}, inplace);
              MG_CHECK(sub.size() == positions.size(),
                       "multi_transform: the transformation for label '{}' returned {} updates for "
                       "{} parameters",
                       key, sub.size(), positions.size());
              for (size_t k = 0; k < positions.size(); ++k) out[positions[k]] = sub[k];
              ++g;
            }
            return out;
          }};
}

GradientTransformation multi_steps(GradientTransformation inner,
                                   std::function<int64_t(int64_t)> every_k_schedule,
                                   bool use_grad_mean) {
  MG_CHECK(inner.defined(), "multi_steps: the inner transformation is undefined");
  MG_CHECK(every_k_schedule != nullptr, "multi_steps: every_k_schedule is empty (a null function)");
  return {[inner](const TensorList& params) {
            OptState state;
            state.kind = "MultiStepsState";
            state.tensors.emplace_back("acc_grads", zero_moments(params, false));
            state.counters.emplace_back("mini_step", 0);
            state.counters.emplace_back("gradient_step", 0);
            state.children.push_back(inner.init(params));
            return state;
          },
          [inner, every_k_schedule, use_grad_mean](const TensorList& updates, OptState& state,
                                                   const TensorList& params, bool inplace) {
            const char* who = "multi_steps";
            expect_kind(state, "MultiStepsState", who);
            TensorList& acc = state.tensor_list("acc_grads");
            expect_size(acc, updates, who, "acc_grads");
            int64_t& mini_step = state.counter("mini_step");
            int64_t& gradient_step = state.counter("gradient_step");
            const int64_t k = every_k_schedule(gradient_step);
            MG_CHECK(k >= 1, "multi_steps: every_k_schedule({}) = {} must be >= 1", gradient_step,
                     k);
            for (size_t i = 0; i < updates.size(); ++i) {
              const Tensor& g = updates[i];
              if (!g.defined()) continue;
              // mean: acc + (g - acc) / (mini_step + 1); sum: acc + g
              const Tensor term =
                  use_grad_mean ? div(sub(g, acc[i]), static_cast<double>(mini_step + 1)) : g;
              if (inplace) {
                acc[i].add_(term);
              } else {
                acc[i] = add(acc[i], term);
              }
            }
            if (mini_step < k - 1) {
              ++mini_step;
              TensorList zeros(updates.size());
              for (size_t i = 0; i < updates.size(); ++i) {
                if (updates[i].defined()) zeros[i] = zeros_like(updates[i]);
              }
              return zeros;
            }
            TensorList out = inner.update(acc, state.children.at(0), params, inplace);
            // New buffers: in place, the inner transformation may have written into (and
            // returned) the old ones.
            for (auto& a : acc) a = zeros_like(a);
            mini_step = 0;
            gradient_step = inc_count(gradient_step);
            return out;
          }};
}

GradientTransformation multi_steps(GradientTransformation inner, int64_t every_k,
                                   bool use_grad_mean) {
  MG_CHECK(every_k >= 1, "multi_steps: invalid every_k value: {} (must be >= 1)", every_k);
  return multi_steps(
      std::move(inner), [every_k](int64_t) { return every_k; }, use_grad_mean);
}

bool multi_steps_has_updated(const OptState& state) {
  expect_kind(state, "MultiStepsState", "multi_steps_has_updated");
  return state.counter("mini_step") == 0 && state.counter("gradient_step") > 0;
}

}  // namespace metagrad
