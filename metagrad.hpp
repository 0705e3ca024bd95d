#pragma once

// metagrad: TorchOpt re-created in C++20. Include this one header for the public API.
#include "engine/autograd/custom_function.hpp"
#include "engine/autograd/engine.hpp"
#include "engine/autograd/gradcheck.hpp"
#include "engine/autograd/node.hpp"
#include "engine/format.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"
