#include "optim/transforms/per_parameter.hpp"

#include <memory>

#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

GradientTransformation per_parameter_transform(PerParameterLayout layout, BeginUpdateFn begin) {
  MG_CHECK(begin != nullptr, "per_parameter_transform({}): the update function is empty",
           layout.who);
  auto shared = std::make_shared<const PerParameterLayout>(std::move(layout));
  return {[shared](const TensorList& params) {
            const PerParameterLayout& l = *shared;
            OptState state;
            state.kind = l.kind;
            for (size_t k = 0; k < l.tensors.size(); ++k) {
              TensorList list;
              list.reserve(params.size());
              for (const auto& p : params) {
                list.push_back(l.init ? l.init(k, p) : zero_moment(p, l.moment_requires_grad));
              }
              state.tensors.emplace_back(l.tensors[k], std::move(list));
            }
            for (const auto& counter : l.counters) state.counters.push_back(counter);
            return state;
          },
          [shared, begin = std::move(begin)](const TensorList& updates, OptState& state,
                                             const TensorList& params, bool inplace) {
            const PerParameterLayout& l = *shared;
            const char* who = l.who.c_str();
            expect_kind(state, l.kind, who);
            std::vector<TensorList*> lists;
            lists.reserve(l.tensors.size());
            for (const auto& name : l.tensors) {
              lists.push_back(&state.tensor_list(name));
              expect_size(*lists.back(), updates, who, name.c_str());
            }
            if (l.needs_params) expect_params(params, updates, who);
            const ParamUpdateFn step = begin(state);
            TensorList out(updates.size());
            TensorList slots(lists.size());
            for (size_t i = 0; i < updates.size(); ++i) {
              if (!updates[i].defined()) continue;
              for (size_t k = 0; k < lists.size(); ++k) slots[k] = (*lists[k])[i];
              out[i] = step(updates[i], slots, l.needs_params ? params[i] : Tensor(), inplace);
              for (size_t k = 0; k < lists.size(); ++k) (*lists[k])[i] = std::move(slots[k]);
            }
            return out;
          }};
}

}  // namespace metagrad
