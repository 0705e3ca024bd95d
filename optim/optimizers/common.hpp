#pragma once

// What every optimizer file (optim/optimizers/<name>.hpp) builds on. One file holds one
// optimizer in all its forms, following TorchOpt:
//  - its options, `<Name>OptionsFor<Form>`: one aggregate whose defaults are TorchOpt's for the
//    functional alias and the classic class (Form::functional, `<Name>Options`) or for the Meta*
//    class (Form::meta, `Meta<Name>Options`), where TorchOpt's differ;
//  - its transformation (scale_by_<name>, built with per_parameter_transform) when it has one of
//    its own;
//  - the functional alias `<name>(options)`: a chain of transformations;
//  - the classic optimizer `<Name>` (an Optimizer) and the differentiable `Meta<Name>` (a
//    MetaOptimizer), both driving the alias.
// A new optimizer is that file, its test tests/optim/optimizers/<name>_test.cpp and its name in
// the `optimizers` list of optim/meson.build (which also lists it in optim/optimizers.hpp).
#include <array>
#include <utility>

#include "optim/meta/meta_optimizer.hpp"
#include "optim/optimizer/optimizer.hpp"
#include "optim/schedule.hpp"
#include "optim/transform.hpp"
#include "optim/transforms.hpp"
#include "optim/transforms/per_parameter.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {
/// \addtogroup optim
/// @{

/// Which defaults an options struct carries: TorchOpt's functional alias and classic class share
/// theirs (functional); its Meta* classes differ in some (meta), e.g. moment_requires_grad = true.
enum class Form { functional, meta };

/// @}

namespace optim_detail {

/// Throws unless each of three betas (Adan's) is in [0, 1), naming the first bad one betas[k].
inline void check_betas(const std::array<double, 3>& betas, const char* who) {
  check_unit_interval(betas[0], who, "betas[0]");
  check_unit_interval(betas[1], who, "betas[1]");
  check_unit_interval(betas[2], who, "betas[2]");
}

/// The Adam scaler shared by adam and adamw (`o`: their options, `who`: the alias named in
/// errors). Checks lr, eps, betas, weight_decay and eps_root in TorchOpt's order, throws when
/// amsgrad is asked with use_accelerated_op (the fused kernels keep no maximum of the second
/// moments), and returns scale_by_accelerated_adam (use_accelerated_op) or scale_by_adam with
/// o's betas, eps, eps_root, moment_requires_grad and amsgrad.
template <typename AdamLikeOptions>
GradientTransformation adam_scaler(const AdamLikeOptions& o, const char* who) {
  check_lr(o.lr, who);
  check_nonnegative(o.eps, who, "eps");
  check_betas(o.betas, who);
  check_nonnegative(o.weight_decay, who, "weight_decay");
  check_nonnegative(o.eps_root, who, "eps_root");
  MG_CHECK(!o.amsgrad || !o.use_accelerated_op,
           "{}: amsgrad is not supported with use_accelerated_op (the fused kernels keep no "
           "maximum of the second moments); set use_accelerated_op = false",
           who);
  const ScaleByAdamOptions scaler{.b1 = o.betas.first,
                                  .b2 = o.betas.second,
                                  .eps = o.eps,
                                  .eps_root = o.eps_root,
                                  .moment_requires_grad = o.moment_requires_grad,
                                  .amsgrad = o.amsgrad};
  return o.use_accelerated_op ? scale_by_accelerated_adam(scaler) : scale_by_adam(scaler);
}

}  // namespace optim_detail

}  // namespace metagrad
