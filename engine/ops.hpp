#pragma once

// The op catalogue: every public tensor op, as free functions in namespace metagrad.
#include "engine/ops/binary.hpp"
#include "engine/ops/conv.hpp"
#include "engine/ops/convert.hpp"
#include "engine/ops/dense_linalg.hpp"
#include "engine/ops/elementwise_math.hpp"
#include "engine/ops/factory.hpp"
#include "engine/ops/index_ops.hpp"
#include "engine/ops/linalg.hpp"
#include "engine/ops/reduce.hpp"
#include "engine/ops/scan.hpp"
#include "engine/ops/shape_ops.hpp"
#include "engine/ops/sort.hpp"
#include "engine/ops/unary.hpp"
#include "engine/ops/volume.hpp"
#include "engine/tensor.hpp"
