// Runs every entry of the error-input table and checks that the table covers every public function
// of the headers listed below.
#include "tests/errors/error_table.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <typeinfo>

#include "tests/support/catch.hpp"

using namespace metagrad;
using metagrad::testing::ErrorCase;

namespace {

// The public headers whose functions and classes must each have an entry (or an exemption below).
const char* const kPublicHeaders[] = {
    "engine/ops/arrange_ops.hpp",
    "engine/ops/binary.hpp",
    "engine/ops/conv.hpp",
    "engine/ops/conv_padding.hpp",
    "engine/ops/convert.hpp",
    "engine/ops/factory.hpp",
    "engine/ops/index_ops.hpp",
    "engine/ops/linalg.hpp",
    "engine/ops/dense_linalg.hpp",
    "engine/ops/reduce.hpp",
    "engine/ops/scan.hpp",
    "engine/ops/sort.hpp",
    "engine/ops/statistics.hpp",
    "engine/ops/advanced_indexing.hpp",
    "engine/ops/combinatorics.hpp",
    "engine/ops/histograms.hpp",
    "engine/ops/masking.hpp",
    "engine/ops/scatter_ops.hpp",
    "engine/ops/search.hpp",
    "engine/ops/unique.hpp",
    "engine/ops/shape_ops.hpp",
    "engine/ops/unary.hpp",
    "engine/ops/volume.hpp",
    "engine/ops/elementwise_math.hpp",
    "engine/ops/special.hpp",
    "engine/ops/orthogonal_polynomials.hpp",
    "engine/ops/joining.hpp",
    "engine/ops/fused_arithmetic.hpp",
    "engine/ops/calculus.hpp",
    "engine/ops/elementwise_extras.hpp",
    "engine/distributions/distributions.hpp",
    "engine/distributions/multivariate_normal.hpp",
    "engine/distributions/relaxed.hpp",
    "engine/distributions/transformed.hpp",
    "engine/distributions/independent.hpp",
    "engine/distributions/mixture.hpp",
    "engine/distributions/univariate.hpp",
    "engine/distributions/counts.hpp",
    "engine/distributions/bounded.hpp",
    "engine/distributions/low_rank_multivariate_normal.hpp",
    "engine/distributions/logistic_normal.hpp",
    "engine/distributions/kl.hpp",
    "engine/nn/functional.hpp",
    "engine/nn/grad_utils.hpp",
    "engine/nn/init.hpp",
    "engine/autograd/engine.hpp",
    "engine/autograd/gradcheck.hpp",
    "engine/visual/make_dot.hpp",
    "engine/io/safetensors.hpp",
    "engine/io/npy.hpp",
    // The optimizers that predate optim/optimizers/: a newer optimizer checks its argument errors
    // in its own test (tests/optim/optimizers/<name>_test.cpp), so that it stays one file.
    "optim/optimizers/sgd.hpp",
    "optim/optimizers/adam.hpp",
    "optim/optimizers/adamw.hpp",
    "optim/optimizers/rmsprop.hpp",
    "optim/optimizers/adagrad.hpp",
    "optim/optimizers/adamax.hpp",
    "optim/optimizers/radam.hpp",
    "optim/optimizers/adadelta.hpp",
    "optim/transforms.hpp",
    "optim/transform.hpp",
    "optim/schedule.hpp",
    "optim/combine.hpp",
    "optim/hook.hpp",
    "optim/utils.hpp",
    "optim/checkpoint.hpp",
    "engine/nn/layers.hpp",
    "engine/nn/module.hpp",
    "engine/nn/module_dict.hpp",
    "engine/nn/pairwise_layers.hpp",
    "engine/nn/pooling_layers.hpp",
    "engine/nn/volume_layers.hpp",
    "engine/nn/packed_sequence.hpp",
    "engine/nn/recurrent.hpp",
    "engine/nn/attention.hpp",
    "engine/nn/losses.hpp",
    "engine/nn/transformer.hpp",
    "engine/nn/stateless.hpp",
    "optim/optimizer/lbfgs.hpp",
    "optim/optimizer/optimizer.hpp",
    "optim/meta/meta_optimizer.hpp",
    "optim/func_optimizer.hpp",
    "implicit/tensor_tree.hpp",
    "implicit/linalg.hpp",
    "implicit/linear_solve.hpp",
    "implicit/custom_root.hpp",
    "implicit/meta_gradient_module.hpp",
    "implicit/implicit_module.hpp",
    "implicit/zero_order.hpp",
    "implicit/zero_order_module.hpp",
    "engine/distributed/process_group.hpp",
    "engine/distributed/collectives.hpp",
    "engine/distributed/parallelize.hpp",
    "optim/meta/distributed_meta_batch.hpp",
    "engine/nn/task_batched.hpp",
    "optim/meta/meta_batch_vectorized.hpp",
};

// Functions that cannot fail on any input they accept (every argument is valid by type), each
// with the reason. Keep this list short: most functions have some bad input.
const std::map<std::string, std::string> kExempt = {
    {"identity", "no arguments"},
    {"Identity", "returns its input, whatever it is (an undefined tensor included)"},
    {"calculate_gain", "every Nonlinearity is valid and the LeakyReLU slope may be any number"},
    {"constant_schedule", "any value is a constant"},
    {"zero_nan_hook", "any tensor (an undefined one passes through, as a gradient may be absent)"},
    {"nan_to_num_hook", "any replacement values; the hook itself is covered by zero_nan_hook"},
    {"multi_steps_has_updated",
     "reads a counter of a state; a wrong state is tested by multi_steps"},
    {"extract_state_dict", "copies what any module or meta-optimizer holds"},
    {"module_detach_", "detaches what any module holds"},
    {"stop_gradient", "detaches what it is given and skips undefined tensors"},
    {"state_difference", "compares any two states and returns the difference as a value"},
    {"Cloneable", "a CRTP base; a module without it is tested under module_clone"},
    {"DotParams", "names for make_dot: any tensors, undefined ones ignored"},
    {"accelerated_op_available", "any device: false where the fused op cannot run"},
    {"backend_name", "every Backend has a name"},
    {"embedding_bag_mode_name", "every EmbeddingBagMode has a name"},
    {"is_mpi_available", "no arguments"},
    {"is_nccl_available", "no arguments"},
    {"launched_by_mpi", "no arguments"},
    {"is_initialized", "no arguments"},
    {"current_group", "no arguments"},
    {"rank", "no arguments"},
    {"world_size", "no arguments"},
    {"collective_stats", "no arguments"},
    {"reset_collective_stats", "no arguments"},
};

std::string describe_failure(const ErrorCase& c, const std::string& problem) {
  return c.op + " (" + c.what + "): " + problem;
}

}  // namespace

TEST_CASE("every error-input entry throws metagrad::Error with its message", "[errors]") {
  const auto table = metagrad::testing::all_error_cases();
  REQUIRE(table.size() > 100);
  const bool verbose = std::getenv("MG_ERRTABLE_VERBOSE") != nullptr;
  int passed = 0;
  for (const ErrorCase& c : table) {
    INFO("op " << c.op << ": " << c.what);
    try {
      c.call();
      FAIL_CHECK(describe_failure(c, "no exception"));
    } catch (const Error& e) {
      const std::string message = e.what();
      if (verbose) std::printf("[%s | %s] %s\n", c.op.c_str(), c.what.c_str(), e.what());
      bool ok = !c.fragments.empty();
      for (const std::string& fragment : c.fragments) {
        if (message.find(fragment) == std::string::npos) {
          ok = false;
          FAIL_CHECK(describe_failure(c, "message \"" + message + "\" lacks \"" + fragment + "\""));
        }
      }
      if (c.fragments.empty()) FAIL_CHECK(describe_failure(c, "no fragment to check"));
      if (ok) ++passed;
    } catch (const std::exception& e) {
      FAIL_CHECK(describe_failure(c, std::string("threw ") + typeid(e).name() + " instead of " +
                                         "metagrad::Error: " + e.what()));
    } catch (...) {
      FAIL_CHECK(describe_failure(c, "threw a non-std exception"));
    }
  }
  std::printf("error-input table: %d of %zu entries pass\n", passed, table.size());
  CHECK(passed == static_cast<int>(table.size()));
}

TEST_CASE("the error-input table covers every public function", "[errors][coverage]") {
  const char* root = std::getenv("METAGRAD_SOURCE_ROOT");
  REQUIRE(root != nullptr);  // set by meson (tests/errors/meson.build)
  std::set<std::string> declared;
  for (const char* header : kPublicHeaders) {
    const auto names = metagrad::testing::declared_public_names(std::string(root) + "/" + header);
    REQUIRE(!names.empty());
    declared.insert(names.begin(), names.end());
  }
  std::set<std::string> tabled;
  for (const ErrorCase& c : metagrad::testing::all_error_cases()) tabled.insert(c.op);

  int covered = 0;
  for (const std::string& name : declared) {
    const bool in_table = tabled.count(name) > 0;
    const bool exempt = kExempt.count(name) > 0;
    if (in_table) ++covered;
    if (!in_table && !exempt) FAIL_CHECK("public function without an error-input entry: " << name);
    if (in_table && exempt) FAIL_CHECK("exempt function also in the table: " << name);
  }
  for (const auto& [name, reason] : kExempt) {
    if (!declared.count(name)) FAIL_CHECK("exemption of an undeclared function: " << name);
  }
  for (const std::string& name : tabled) {
    if (!declared.count(name)) FAIL_CHECK("table entry for an undeclared function: " << name);
  }
  std::printf("error-input table covers %d of %zu public functions (%zu exempt)\n", covered,
              declared.size(), kExempt.size());
  CHECK(covered + kExempt.size() == declared.size());
}

TEST_CASE("declared_public_names reads free functions and operators", "[errors][coverage]") {
  const char* root = std::getenv("METAGRAD_SOURCE_ROOT");
  REQUIRE(root != nullptr);
  auto names =
      metagrad::testing::declared_public_names(std::string(root) + "/engine/ops/binary.hpp");
  std::set<std::string> set(names.begin(), names.end());
  CHECK(set.count("add"));
  CHECK(set.count("where"));
  CHECK(set.count("operator+"));
  CHECK(set.count("operator/"));
  CHECK(!set.count("Tensor"));
  names = metagrad::testing::declared_public_names(std::string(root) + "/optim/transform.hpp");
  set = std::set<std::string>(names.begin(), names.end());
  CHECK(set.count("chain"));  // a template and an inline overload too
  CHECK(set.count("apply_updates"));
  CHECK(set.count("GradientTransformation"));  // a class definition
  CHECK(!set.count("init"));                   // members are indented and skipped
  names = metagrad::testing::declared_public_names(std::string(root) + "/engine/nn/layers.hpp");
  set = std::set<std::string>(names.begin(), names.end());
  CHECK(set.count("Sequential"));
  CHECK(set.count("BatchNorm2d"));
  CHECK(!set.count("LinearOptions"));   // option structs are not classes with behaviour
  CHECK(!set.count("is_single_self"));  // in namespace detail
  names = metagrad::testing::declared_public_names(std::string(root) + "/engine/nn/module.hpp");
  set = std::set<std::string>(names.begin(), names.end());
  CHECK(set.count("Module"));
  CHECK(!set.count("float_repr"));  // in namespace detail
  CHECK_THROWS_WITH(metagrad::testing::declared_public_names(std::string(root) + "/nope.hpp"),
                    MG_CONTAINS("nope.hpp"));
}
