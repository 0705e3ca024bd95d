#pragma once

// The error-input table (issue 10 §3, after PyTorch's OpInfo error_inputs): for every public
// function, calls with bad input and the message fragments the metagrad::Error must contain.
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "cuda/cuda.hpp"
#include "cuda/emulated_backend.hpp"
#include "metagrad.hpp"

namespace metagrad::testing {

/// One bad call of a public function: `op` is the function's name as declared in its header (what
/// the coverage test matches), `what` says what is wrong with the input, `call` makes the call and
/// `fragments` must all appear in the message of the metagrad::Error it throws.
struct ErrorCase {
  std::string op;
  std::string what;
  std::function<void()> call;
  std::vector<std::string> fragments;
};

using ErrorTable = std::vector<ErrorCase>;

/// Inputs shared by the tables: all-ones float32 / float64 tensors of `shape`, an int64 tensor of
/// `values`, zeros on the CUDA device (needs a ScopedEmulatedCuda alive: the host emulation of
/// the CUDA kernels, cuda/emulated_backend.hpp), NaN and inf.
inline Tensor f32(const Dims& shape) { return ones(shape); }
inline Tensor f64(const Dims& shape) { return ones(shape, kFloat64); }
inline Tensor i64(const std::vector<double>& values) { return tensor(values, kInt64); }
inline Tensor on_cuda(const Dims& shape) { return zeros(shape, cuda_device(0)); }
/// A CUDA device that no machine has (with no backend registered), and the fragment of the error
/// that using it throws: "no such CUDA device" in a CUDA build, "built without the CUDA backend"
/// otherwise.
inline Device missing_cuda_device() { return cuda_device(64); }
inline std::string missing_cuda_device_fragment() {
  return cuda::is_built() ? "no such CUDA device" : "built without the CUDA backend";
}
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

/// Elementwise (binary, unary) ops and reductions (engine/ops/{binary,unary,reduce}.hpp).
ErrorTable elementwise_error_cases();
/// Shape, index, linalg, conversion and factory ops (the other engine/ops/*.hpp).
ErrorTable tensor_op_error_cases();
/// Selection, search and counting ops (engine/ops/{masking,scatter_ops,advanced_indexing,search,
/// unique,histograms,combinatorics}.hpp, cummax/cummin, repeat_interleave).
ErrorTable selection_error_cases();
/// Joins and splits, scaled-sum products, calculus and elementwise extras
/// (engine/ops/{joining,fused_arithmetic,calculus,elementwise_extras}.hpp).
ErrorTable joining_error_cases();
/// Convolution and pooling ops (engine/ops/conv.hpp).
ErrorTable conv_error_cases();
/// Functional nn ops and nn::init (engine/nn/functional.hpp, engine/nn/init.hpp).
ErrorTable nn_error_cases();
/// Attention, the transformer layers and the module containers (engine/nn/attention.hpp,
/// engine/nn/transformer.hpp, ModuleList).
ErrorTable attention_error_cases();
/// Entries of the 1-D pooling, unpooling, channel dropout, two-input layers, containers and losses.
ErrorTable layer_error_cases();
/// Entries of the 3-D ops and layers (engine/ops/volume.hpp, engine/nn/volume_layers.hpp).
ErrorTable volume_error_cases();
/// Optimizer aliases, transformations, schedules, combinators and hooks (optim/*.hpp).
ErrorTable optim_error_cases();
/// Layers, Module, the Optimizer and MetaOptimizer classes and FuncOptimizer (entries named by the
/// class).
ErrorTable class_error_cases();
/// Autograd entry points, make_dot, readers and writers, checkpoints and state utilities.
ErrorTable misc_error_cases();
/// Process groups, collectives, parallelize and distributed::meta_batch, in a world of one.
ErrorTable distributed_error_cases();

/// torch.linalg's dense functions (engine/ops/dense_linalg.hpp).
ErrorTable dense_linalg_error_cases();

/// Tree arithmetic, iterative solvers and linear_solve
/// (implicit/{tensor_tree,linalg,linear_solve}.hpp).
ErrorTable implicit_solver_error_cases();
/// custom_root and custom_fixed_point (implicit/custom_root.hpp).
ErrorTable implicit_root_error_cases();
/// MetaGradientModule and ImplicitMetaGradientModule (implicit/*module.hpp).
ErrorTable implicit_module_error_cases();
/// zero_order and ZeroOrderGradientModule (implicit/zero_order*.hpp).
ErrorTable zero_order_error_cases();

/// Every table above, concatenated.
ErrorTable all_error_cases();

/// The names of the public functions and classes declared at namespace scope in `header` (a path):
/// every line that starts in column 0 with a declaration containing '(' gives the identifier before
/// its first '(' ("operator+" for operators), and every `class Name` definition at column 0 gives
/// Name; `namespace detail` blocks are internal and skipped. Throws metagrad::Error when the file
/// cannot be read.
std::vector<std::string> declared_public_names(const std::string& header);

}  // namespace metagrad::testing
