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

}  // namespace metagrad
