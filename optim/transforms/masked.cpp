// masked (TorchOpt's transform/add_decayed_weights.py, masked): an inner transformation applied to
// a subset of the parameters.
#include <algorithm>

#include "optim/transforms.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

namespace {

TensorList select(const TensorList& all, const std::vector<bool>& flags) {
  TensorList out;
  for (size_t i = 0; i < all.size(); ++i) {
    if (flags[i]) out.push_back(all[i]);
  }
  return out;
}

std::vector<size_t> positions_of(const std::vector<bool>& flags) {
  std::vector<size_t> out;
  for (size_t i = 0; i < flags.size(); ++i)
    if (flags[i]) out.push_back(i);
  return out;
}

}  // namespace

GradientTransformation masked(GradientTransformation inner, ParamMask mask) {
  MG_CHECK(inner.defined(), "masked: the inner transformation is undefined (default-constructed)");
  MG_CHECK(mask.defined(), "masked: a mask is required");
  return {[inner, mask](const TensorList& params) {
            OptState state;
            state.kind = "MaskedState";
            const std::vector<bool> flags = mask.resolve(params, "masked");
            const auto names = narrowed_param_names(positions_of(flags));
            ParamNamesScope scope(names.get());  // the inner one sees the selected names
            state.children.push_back(inner.init(select(params, flags)));
            return state;
          },
          [inner, mask](const TensorList& updates, OptState& state, const TensorList& params,
                        bool inplace) {
            expect_kind(state, "MaskedState", "masked");
            MG_CHECK(state.children.size() == 1, "masked: the MaskedState has no inner state");
            const std::vector<bool> flags = mask.resolve(updates, "masked");
            const TensorList sub_params =
                params.size() == updates.size() ? select(params, flags) : TensorList{};
            const auto names = narrowed_param_names(positions_of(flags));
            ParamNamesScope scope(names.get());
            const TensorList sub =
                inner.update(select(updates, flags), state.children[0], sub_params, inplace);
            const size_t selected =
                static_cast<size_t>(std::count(flags.begin(), flags.end(), true));
            MG_CHECK(sub.size() == selected,
                     "masked: the inner transformation returned {} updates for {} selected "
                     "parameters",
                     sub.size(), selected);
            TensorList out = updates;
            size_t k = 0;
            for (size_t i = 0; i < out.size(); ++i) {
              if (flags[i]) out[i] = sub[k++];
            }
            return out;
          }};
}

}  // namespace metagrad
