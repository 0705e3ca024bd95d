// Error inputs of the optimizer aliases, transformations, schedules, combinators and hooks.
#include <cmath>
#include <limits>

#include "tests/errors/error_table.hpp"

namespace metagrad::testing {
namespace {

// Runs one update of `tx` on one parameter [2] with a state made for `state_params` parameters.
void update_with_state_for(const GradientTransformation& tx, size_t state_params) {
  TensorList params;
  for (size_t i = 0; i < state_params; ++i) params.push_back(ones({2}, kFloat64));
  OptState state = tx.init(params);
  (void)tx.update({ones({2}, kFloat64)}, state, {ones({2}, kFloat64)});
}

// Runs one update of `tx` with a state of another transformation.
void update_with_foreign_state(const GradientTransformation& tx) {
  const TensorList params = {ones({2}, kFloat64)};
  OptState state = scale_by_rss().init(params);
  (void)tx.update({ones({2}, kFloat64)}, state, params);
}

}  // namespace

ErrorTable optim_error_cases() {
  return {
      // Aliases: TorchOpt's argument checks, each naming the alias, the argument and its value.
      {"sgd", "lr unset", [] { (void)sgd({}); }, {"sgd: lr is required"}},
      {"sgd",
       "negative lr",
       [] { (void)sgd({.lr = -0.1}); },
       {"sgd: invalid lr value: -0.1 (must be >= 0)"}},
      {"sgd", "NaN lr", [] { (void)sgd({.lr = kNaN}); }, {"sgd: invalid lr value: nan"}},
      {"sgd",
       "negative momentum",
       [] { (void)sgd({.lr = 0.1, .momentum = -1.0}); },
       {"sgd: invalid momentum value: -1"}},
      {"sgd",
       "nesterov without momentum",
       [] { (void)sgd({.lr = 0.1, .nesterov = true}); },
       {"sgd: Nesterov momentum requires a momentum and zero dampening (got momentum = 0"}},
      {"adam",
       "beta1 = 1",
       [] {
         (void)adam({.betas = {1.0, 0.999}});
       },
       {"adam", "1", "[0, 1)"}},
      {"adam",
       "beta2 negative",
       [] {
         (void)adam({.betas = {0.9, -0.5}});
       },
       {"adam", "-0.5", "[0, 1)"}},
      {"adam",
       "negative eps",
       [] { (void)adam({.eps = -1e-8}); },
       {"adam: invalid eps value: -1e-08"}},
      {"adam",
       "negative weight_decay",
       [] { (void)adam({.weight_decay = -1.0}); },
       {"adam: invalid weight_decay value: -1"}},
      {"adam",
       "negative eps_root",
       [] { (void)adam({.eps_root = -1.0}); },
       {"adam: invalid eps_root value: -1"}},
      {"adam",
       "infinite lr is accepted by >= 0 but NaN is not",
       [] { (void)adam({.lr = kNaN}); },
       {"adam: invalid lr value: nan"}},
      {"adamw", "negative lr", [] { (void)adamw({.lr = -1.0}); }, {"adamw: invalid lr value: -1"}},
      {"adamw",
       "beta1 above 1",
       [] {
         (void)adamw({.betas = {1.5, 0.9}});
       },
       {"adamw", "1.5", "[0, 1)"}},
      {"rmsprop",
       "negative alpha",
       [] { (void)rmsprop({.alpha = -0.1}); },
       {"rmsprop: invalid alpha value: -0.1"}},
      {"rmsprop",
       "nesterov without momentum",
       [] { (void)rmsprop({.nesterov = true}); },
       {"rmsprop: Nesterov momentum requires a momentum (got momentum = 0)"}},
      {"adagrad",
       "negative lr_decay",
       [] { (void)adagrad({.lr_decay = -1.0}); },
       {"adagrad: invalid lr_decay value: -1"}},
      {"adagrad",
       "negative initial_accumulator_value",
       [] { (void)adagrad({.initial_accumulator_value = -1.0}); },
       {"adagrad: invalid initial_accumulator_value value: -1"}},
      {"adamax",
       "beta2 = 1",
       [] {
         (void)adamax({.betas = {0.9, 1.0}});
       },
       {"adamax", "[0, 1)"}},
      {"adamax",
       "negative eps",
       [] { (void)adamax({.eps = -1.0}); },
       {"adamax: invalid eps value: -1"}},
      {"radam",
       "negative lr",
       [] { (void)radam({.lr = -1e-3}); },
       {"radam: invalid lr value: -0.001"}},
      {"adadelta",
       "rho = 1",
       [] { (void)adadelta({.rho = 1.0}); },
       {"adadelta: invalid rho value: 1 (must be in [0, 1))"}},
      // Transformations: option checks and updates with a state they did not make.
      {"scale",
       "state of another transformation",
       [] { update_with_foreign_state(scale(0.5)); },
       {"scale: expected a EmptyState, got a ScaleByRssState"}},
      {"scale_by_schedule",
       "null schedule",
       [] { (void)scale_by_schedule(Schedule()); },
       {"scale_by_schedule: the schedule is empty"}},
      {"scale_by_adam",
       "b1 = 1",
       [] { (void)scale_by_adam({.b1 = 1.0}); },
       {"scale_by_adam: invalid b1 value: 1 (must be in [0, 1))"}},
      {"scale_by_adam",
       "state made for two parameters",
       [] { update_with_state_for(scale_by_adam(), 2); },
       {"scale_by_adam: got 1 updates but the state's", "holds 2 tensors"}},
      {"scale_by_accelerated_adam",
       "negative eps_root",
       [] { (void)scale_by_accelerated_adam({.eps_root = -1.0}); },
       {"scale_by_accelerated_adam: invalid eps_root value: -1"}},
      {"scale_by_accelerated_adam",
       "state of another transformation",
       [] { update_with_foreign_state(scale_by_accelerated_adam()); },
       {"scale_by_accelerated_adam", "ScaleByRssState"}},
      {"scale_by_rms",
       "negative alpha",
       [] { (void)scale_by_rms({.alpha = -1.0}); },
       {"scale_by_rms: invalid alpha value: -1"}},
      {"scale_by_stddev",
       "negative eps",
       [] { (void)scale_by_stddev({.eps = -1.0}); },
       {"scale_by_stddev: invalid eps value: -1"}},
      {"scale_by_rss",
       "negative initial_accumulator_value",
       [] { (void)scale_by_rss({.initial_accumulator_value = -0.5}); },
       {"scale_by_rss: invalid initial_accumulator_value value: -0.5"}},
      {"scale_by_adadelta",
       "rho negative",
       [] { (void)scale_by_adadelta({.rho = -0.1}); },
       {"scale_by_adadelta: invalid rho value: -0.1"}},
      {"scale_by_adamax",
       "b2 = 1",
       [] { (void)scale_by_adamax({.b2 = 1.0}); },
       {"scale_by_adamax: invalid b2 value: 1"}},
      {"scale_by_radam",
       "b1 negative",
       [] { (void)scale_by_radam({.b1 = -0.1}); },
       {"scale_by_radam: invalid b1 value: -0.1"}},
      {"trace",
       "nesterov with dampening",
       [] { (void)trace({.momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
       {"trace: Nesterov momentum requires a momentum and zero dampening", "dampening = 0.1"}},
      {"trace",
       "negative momentum",
       [] { (void)trace({.momentum = -0.9}); },
       {"trace: invalid momentum value: -0.9"}},
      {"add_decayed_weights",
       "update without params",
       [] {
         auto tx = add_decayed_weights({.weight_decay = 0.1});
         const TensorList params = {ones({2}, kFloat64)};
         OptState state = tx.init(params);
         (void)tx.update({ones({2}, kFloat64)}, state);
       },
       {"add_decayed_weights: parameters are required (got 0 for 1 updates)"}},
      {"add_decayed_weights",
       "mask of the wrong length",
       [] {
         auto tx = add_decayed_weights({.weight_decay = 0.1, .mask = ParamMask({true, false})});
         (void)tx.init({ones({2}, kFloat64)});
       },
       {"masked: the mask has 2 entries but there are 1 parameters"}},
      {"masked",
       "no mask",
       [] { (void)masked(scale(2.0), ParamMask()); },
       {"masked: a mask is required"}},
      {"masked",
       "undefined inner",
       [] { (void)masked(GradientTransformation(), {true}); },
       {"masked: the inner transformation is undefined"}},
      {"nan_to_num",
       "state of another transformation",
       [] { update_with_foreign_state(nan_to_num()); },
       {"nan_to_num", "ScaleByRssState"}},
      {"clip_grad_norm",
       "max_norm unset",
       [] { (void)clip_grad_norm({}); },
       {"clip_grad_norm: max_norm is required"}},
      {"clip_grad_norm",
       "zero norm_type",
       [] { (void)clip_grad_norm({.max_norm = 1.0, .norm_type = 0.0}); },
       {"clip_grad_norm", "norm_type"}},
      {"clip_grad_norm",
       "non-finite total norm with error_if_nonfinite",
       [] {
         auto tx = clip_grad_norm({.max_norm = 1.0, .error_if_nonfinite = true});
         const TensorList params = {ones({2}, kFloat64)};
         OptState state = tx.init(params);
         (void)tx.update({full({2}, kInf, kFloat64)}, state, params);
       },
       {"clip_grad_norm", "non-finite"}},
      {"flip_sign_and_add_weight_decay",
       "negative weight_decay",
       [] { (void)flip_sign_and_add_weight_decay(-0.1); },
       {"flip_sign_and_add_weight_decay: invalid weight_decay value: -0.1"}},
      {"scale_by_neg_lr",
       "negative lr",
       [] { (void)scale_by_neg_lr(-1.0); },
       {"scale_by_neg_lr: invalid lr value: -1"}},
      {"scale_by_neg_lr",
       "unset lr",
       [] { (void)scale_by_neg_lr(ScalarOrSchedule()); },
       {"scale_by_neg_lr: lr is required"}},
      // transform.hpp
      {"chain",
       "undefined part",
       [] {
         (void)chain({scale(1.0), GradientTransformation()});
       },
       {"chain: transformation 1 is undefined"}},
      // combine.hpp
      {"chain_flat",
       "undefined part (it is chain)",
       [] { (void)chain_flat(scale(1.0), GradientTransformation()); },
       {"chain: transformation 1 is undefined"}},
      {"apply_updates",
       "counts differ",
       [] { (void)apply_updates({ones({2}, kFloat64)}, {}); },
       {"apply_updates: got 1 parameters but 0 updates"}},
      {"apply_updates",
       "shapes differ",
       [] { (void)apply_updates({ones({2}, kFloat64)}, {ones({3}, kFloat64)}); },
       {"apply_updates: update 0 (float64 [3] on cpu) does not match its parameter (float64 [2] on "
        "cpu)"}},
      {"apply_updates",
       "update that would broadcast (out of place)",
       [] {
         (void)apply_updates({ones({3}, kFloat64)}, {ones({2, 3}, kFloat64)}, false);
       },
       {"apply_updates: update 0 (float64 [2, 3] on cpu)", "parameter (float64 [3] on cpu)"}},
      {"apply_updates",
       "dtype differs",
       [] { (void)apply_updates({ones({2})}, {ones({2}, kFloat64)}); },
       {"apply_updates: update 0 (float64 [2] on cpu)", "(float32 [2] on cpu)"}},
      {"apply_updates_named",
       "names differ",
       [] {
         (void)apply_updates_named({{"a", ones({2}, kFloat64)}}, {{"b", ones({2}, kFloat64)}});
       },
       {"apply_updates: entry 0 is 'b' among the updates but 'a' among the parameters"}},
      {"apply_updates_named",
       "counts differ",
       [] {
         (void)apply_updates_named({{"a", ones({2}, kFloat64)}}, {});
       },
       {"apply_updates: 0 updates but 1 parameters"}},
      {"GradientTransformation",
       "init of a default-constructed transformation",
       [] { (void)GradientTransformation().init({}); },
       {"GradientTransformation", "undefined"}},
      {"ParamMask",
       "flags of the wrong count",
       [] {
         (void)ParamMask({true}).resolve({ones({1}), ones({1})}, "my_transform");
       },
       {"my_transform", "1", "2"}},
      {"apply_updates",
       "undefined parameter with an update",
       [] { (void)apply_updates({Tensor()}, {ones({2})}); },
       {"apply_updates: parameter 0 is undefined but has an update"}},
      // Schedules.
      {"ScalarOrSchedule",
       "value() of a schedule",
       [] { (void)ScalarOrSchedule(constant_schedule(1.0)).value(); },
       {"ScalarOrSchedule::value: holds"}},
      {"ScalarOrSchedule",
       "null schedule",
       [] { (void)ScalarOrSchedule(Schedule()); },
       {"ScalarOrSchedule: the schedule is empty"}},
      {"polynomial_schedule",
       "NaN init_value",
       [] { (void)polynomial_schedule(kNaN, 0.0, 1.0, 10); },
       {"polynomial_schedule: init_value = nan must be finite"}},
      {"polynomial_schedule",
       "infinite power",
       [] { (void)polynomial_schedule(1.0, 0.0, kInf, 10); },
       {"polynomial_schedule: power = inf must be finite"}},
      {"linear_schedule",
       "infinite end_value",
       [] { (void)linear_schedule(1.0, -kInf, 10); },
       {"linear_schedule: end_value = -inf must be finite"}},
      {"exponential_decay",
       "negative decay_rate",
       [] { (void)exponential_decay(1.0, -0.5, 0, 10); },
       {"exponential_decay: decay_rate = -0.5 must be >= 0"}},
      {"exponential_decay",
       "infinite end_value",
       [] { (void)exponential_decay(1.0, 0.5, 0, 1, false, kInf); },
       {"exponential_decay: end_value = inf must be finite"}},
      {"exponential_decay",
       "NaN init_value",
       [] { (void)exponential_decay(kNaN, 0.5); },
       {"exponential_decay: init_value = nan must be finite"}},
      {"cosine_decay_schedule",
       "zero decay_steps",
       [] { (void)cosine_decay_schedule(1.0, 0); },
       {"cosine_decay_schedule: decay_steps = 0 must be positive"}},
      {"warmup_cosine_decay_schedule",
       "decay_steps within the warmup",
       [] { (void)warmup_cosine_decay_schedule(0.0, 1.0, 10, 10); },
       {"warmup_cosine_decay_schedule: decay_steps = 10 must exceed warmup_steps = 10"}},
      {"piecewise_constant_schedule",
       "negative scale",
       [] {
         (void)piecewise_constant_schedule(1.0, {{5, -0.5}});
       },
       {"piecewise_constant_schedule: the scale -0.5 at boundary 5 is negative"}},
      {"join_schedules",
       "as many boundaries as schedules",
       [] { (void)join_schedules({constant_schedule(1.0)}, {5}); },
       {"join_schedules: got 1 schedules and 1 boundaries"}},
      {"join_schedules",
       "null schedule",
       [] {
         (void)join_schedules({constant_schedule(1.0), Schedule()}, {5});
       },
       {"join_schedules: schedule 1 is empty"}},
      // Combinators and hooks.
      {"multi_transform",
       "label without a transformation",
       [] {
         auto tx = multi_transform({{"a", scale(1.0)}}, ParamLabels({"b"}));
         (void)tx.init({ones({2}, kFloat64)});
       },
       {"multi_transform: some parameters have no corresponding transformation", "\"b\""}},
      {"multi_transform",
       "labels of the wrong count",
       [] {
         auto tx = multi_transform({{"a", scale(1.0)}}, ParamLabels({"a", "a"}));
         (void)tx.init({ones({2}, kFloat64)});
       },
       {"multi_transform: got 2 labels for 1 parameters"}},
      {"ParamLabels",
       "labels of the wrong count",
       [] {
         (void)ParamLabels({"a"}).resolve({ones({1}), ones({1})}, "my_transform");
       },
       {"my_transform: got 1 labels for 2 parameters"}},
      {"multi_steps",
       "every_k = 0",
       [] { (void)multi_steps(scale(1.0), int64_t{0}); },
       {"multi_steps: invalid every_k value: 0 (must be >= 1)"}},
      {"multi_steps",
       "undefined inner",
       [] { (void)multi_steps(GradientTransformation(), 2); },
       {"multi_steps: the inner transformation is undefined"}},
      {"register_hook",
       "null hook",
       [] { (void)register_hook(GradHook()); },
       {"register_hook: the hook is empty"}},
  };
}

}  // namespace metagrad::testing
