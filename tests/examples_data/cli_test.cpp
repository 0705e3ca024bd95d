// The examples' command line (flags, help, number parsing, the option table and its usage, the
// error messages the programs print) and their main() wrapper, output folder and thread choice.
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "cuda/cuda.hpp"
#include "examples/common/cli.hpp"
#include "examples/common/example_main.hpp"
#include "examples/common/threads.hpp"
#include "metagrad.hpp"
#include "tests/examples_data/data_support.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;
using namespace metagrad::examples;
using namespace metagrad::testing;

namespace {

// argv of "prog" followed by `args`.
std::vector<const char*> argv_of(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"prog"};
  argv.insert(argv.end(), args);
  return argv;
}

Flags flags_of(std::initializer_list<const char*> args,
               const std::set<std::string>& switches = {}) {
  const std::vector<const char*> argv = argv_of(args);
  return parse_flags("prog", static_cast<int>(argv.size()), argv.data(), switches);
}

// A program's settings, with one option of each kind.
struct TestConfig {
  int64_t count = 3;
  uint64_t seed = 0;
  int threads = 1;
  double rate = 0.5, lr = 0.25;
  std::string name = "default", pair;
  bool verbose = false;
};

void add_test_options(Options& o, TestConfig& c) {
  o.integer("--count", "N", "how many (3)", c.count, 1)
      .integer("--seed", "S", "seed (0)", c.seed, 0)
      .integer("--threads", "N", "threads, on\ntwo lines", c.threads, 1)
      .number_in("--rate", "R", "in [0, 1] (0.5)", c.rate, 0.0, 1.0)
      .positive("--lr", "LR", "step size", c.lr)
      .text("--name", "TEXT", "anything", c.name)
      .add("--pair", "A,B", "two numbers",
           [&c](const std::string& flag, const std::string& value) { c.pair = flag + "=" + value; })
      .toggle("--verbose", "more output", c.verbose);
}

}  // namespace

TEST_CASE("parse_flags reads --flag value and --flag=value pairs", "[examples][cli]") {
  const Flags flags = flags_of({"--a", "1", "--b=x=y", "--c=", "--d", "-5", "--a", "3"});
  CHECK_FALSE(flags.help);
  CHECK(flags.values == std::map<std::string, std::string>{
                            {"--a", "3"}, {"--b", "x=y"}, {"--c", ""}, {"--d", "-5"}});
  CHECK(flags_of({}).values.empty());
}

TEST_CASE("parse_flags stops at -h or --help", "[examples][cli]") {
  const Flags help = flags_of({"--a", "1", "-h", "stray"});
  CHECK(help.help);
  CHECK(help.values == std::map<std::string, std::string>{{"--a", "1"}});
  CHECK(flags_of({"--help"}).help);
  // A value that reads like --help is the flag's value.
  const Flags value = flags_of({"--out", "--help"});
  CHECK_FALSE(value.help);
  CHECK(value.values.at("--out") == "--help");
}

TEST_CASE("parse_flags names the program and the argument it rejects", "[examples][cli]") {
  CHECK_THROWS_WITH(flags_of({"--a", "1", "stray"}),
                    "prog: unexpected argument 'stray' (see --help)");
  CHECK_THROWS_WITH(flags_of({"-n", "3"}), "prog: unexpected argument '-n' (see --help)");
  CHECK_THROWS_WITH(flags_of({"--a", "1", "--steps"}), "prog: --steps needs a value (see --help)");
  CHECK_THROWS_AS(flags_of({"stray", "--help"}), Error);
}

TEST_CASE("parse_flags reads switches without a value and rejects one with a value",
          "[examples][cli]") {
  const std::set<std::string> switches = {"--resume", "--quiet"};
  const Flags flags = flags_of({"--resume", "--a", "1", "--quiet"}, switches);
  CHECK(flags.values ==
        std::map<std::string, std::string>{{"--resume", ""}, {"--a", "1"}, {"--quiet", ""}});
  // Without the switch list, --resume takes the next argument as its value.
  CHECK(flags_of({"--resume", "--a"}).values.at("--resume") == "--a");
  CHECK_THROWS_WITH(flags_of({"--resume=yes"}, switches),
                    "prog: --resume takes no value (see --help)");
  CHECK_THROWS_WITH(flags_of({"--resume", "yes"}, switches),
                    "prog: unexpected argument 'yes' (see --help)");
}

TEST_CASE("parse_int accepts whole integers at or above the bound", "[examples][cli]") {
  CHECK(parse_int("prog", "--n", "42", 2) == 42);
  CHECK(parse_int("prog", "--n", "2", 2) == 2);
  CHECK(parse_int("prog", "--n", "-7", -10) == -7);
  CHECK(parse_int("prog", "--n", "9223372036854775807", 0) == INT64_MAX);
}

TEST_CASE("parse_int errors name the program, the flag, the bound and the text",
          "[examples][cli]") {
  CHECK_THROWS_WITH(parse_int("maml", "--n_way", "1", 2),
                    "maml: --n_way expects an integer >= 2, got '1'");
  for (const char* bad : {"", "abc", "4x", "1.5", " ", "0x10", "9223372036854775808"})
    CHECK_THROWS_WITH(parse_int("prog", "--steps", bad, 1),
                      std::string("prog: --steps expects an integer >= 1, got '") + bad + "'");
}

TEST_CASE("parse_number_in accepts numbers in the closed range", "[examples][cli]") {
  CHECK(parse_number_in("prog", "--ratio", "0.5", 0.5, 1.0) == 0.5);
  CHECK(parse_number_in("prog", "--ratio", "1", 0.5, 1.0) == 1.0);
  CHECK(parse_number_in("prog", "--ratio", "9.95e-1", 0.5, 1.0) == 0.995);
  CHECK_THROWS_WITH(parse_number_in("l2r", "--ratio", "0.3", 0.5, 1.0),
                    "l2r: --ratio expects a number in [0.5, 1], got '0.3'");
  for (const char* bad : {"", "1.01", "-0.1", "nan", "inf", "0.2x", "half"})
    CHECK_THROWS_WITH(parse_number_in("prog", "--noise", bad, 0.0, 1.0),
                      std::string("prog: --noise expects a number in [0, 1], got '") + bad + "'");
}

TEST_CASE("parse_positive accepts finite positive numbers only", "[examples][cli]") {
  CHECK(parse_positive("prog", "--lr", "0.01") == 0.01);
  CHECK(parse_positive("prog", "--lr", "1e-3") == 1e-3);
  CHECK(parse_positive("prog", "--lr", "7") == 7.0);
  CHECK_THROWS_WITH(parse_positive("maml_sinusoid", "--inner_lr", "fast"),
                    "maml_sinusoid: --inner_lr expects a finite number > 0, got 'fast'");
  for (const char* bad : {"", "0", "-1", "inf", "nan", "1e999", "0.1.2"})
    CHECK_THROWS_WITH(parse_positive("prog", "--lr", bad),
                      std::string("prog: --lr expects a finite number > 0, got '") + bad + "'");
}

TEST_CASE("parse_device accepts cpu, and cuda only when a CUDA device is visible",
          "[examples][cli]") {
  CHECK(parse_device("prog", "--device", "cpu") == kCPU);
  for (const char* bad : {"", "gpu", "cuda:0", "CPU"})
    CHECK_THROWS_WITH(parse_device("prog", "--device", bad),
                      std::string("prog: --device expects cpu or cuda, got '") + bad + "'");
  if (cuda::is_available()) {
    CHECK(parse_device("prog", "--device", "cuda") == cuda_device(0));
  } else {
    const std::string why =
        cuda::is_built() ? "no GPU is visible" : "metagrad was built without the CUDA backend";
    CHECK_THROWS_WITH(
        parse_device("maml", "--device", "cuda"),
        "maml: --device cuda: no CUDA device is available (" + why + "); run with --device cpu");
  }
  Device device = cuda_device(0);
  Options options("prog");
  options.device("--device", "where it runs", device);
  CHECK(options.usage() == "usage: prog [options]\n  --device D       where it runs\n");
  options.apply(flags_of({"--device", "cpu"}));
  CHECK(device == kCPU);
}

TEST_CASE("fail_unknown_flag names the program and the flag", "[examples][cli]") {
  CHECK_THROWS_WITH(fail_unknown_flag("l2r", "--stepz"),
                    "l2r: unknown option '--stepz' (see --help)");
}

TEST_CASE("Options prints a usage line per option in declaration order", "[examples][cli]") {
  TestConfig c;
  Options options("prog");
  add_test_options(options, c);
  options.text("--a-very-long-flag", "VALUE", "no padding left", c.name);
  CHECK(options.program() == "prog");
  CHECK(options.usage() ==
        "usage: prog [options]\n"
        "  --count N        how many (3)\n"
        "  --seed S         seed (0)\n"
        "  --threads N      threads, on\n"
        "                   two lines\n"
        "  --rate R         in [0, 1] (0.5)\n"
        "  --lr LR          step size\n"
        "  --name TEXT      anything\n"
        "  --pair A,B       two numbers\n"
        "  --verbose        more output\n"
        "  --a-very-long-flag VALUE no padding left\n");
  CHECK(options.switches() == std::set<std::string>{"--verbose"});
}

TEST_CASE("Options::apply stores checked values and keeps the defaults of absent flags",
          "[examples][cli]") {
  TestConfig c;
  Options options("prog");
  add_test_options(options, c);
  options.apply(flags_of({"--count=12", "--seed", "18446744073", "--threads", "4", "--rate", "1",
                          "--name", "", "--pair", "x"}));
  CHECK(c.count == 12);
  CHECK(c.seed == 18446744073u);
  CHECK(c.threads == 4);
  CHECK(c.rate == 1.0);
  CHECK(c.lr == 0.25);
  CHECK(c.name.empty());
  CHECK(c.pair == "--pair=x");
}

TEST_CASE("Options::apply names the program and the flag it rejects", "[examples][cli]") {
  TestConfig c;
  Options options("prog");
  add_test_options(options, c);
  CHECK_THROWS_WITH(options.apply(flags_of({"--count", "1", "--cuont", "2"})),
                    "prog: unknown option '--cuont' (see --help)");
  CHECK_THROWS_WITH(options.apply(flags_of({"--count", "-1"})),
                    "prog: --count expects an integer >= 1, got '-1'");
  CHECK_THROWS_WITH(options.apply(flags_of({"--rate", "2"})),
                    "prog: --rate expects a number in [0, 1], got '2'");
  CHECK_THROWS_WITH(options.apply(flags_of({"--lr", "-0.1"})),
                    "prog: --lr expects a finite number > 0, got '-0.1'");
  // Flags are applied in sorted order: --lr's error comes before --rate's.
  CHECK_THROWS_WITH(options.apply(flags_of({"--rate", "2", "--lr", "0"})),
                    "prog: --lr expects a finite number > 0, got '0'");
}

TEST_CASE("run_example runs with the flags applied, answers --help and returns 1 on errors",
          "[examples][cli]") {
  TestConfig seen;
  int runs = 0;
  const auto run = [&](const TestConfig& c) {
    ++runs;
    seen = c;
    if (c.name == "throw") throw Error("the run failed");
  };
  const auto main_of = [&](std::initializer_list<const char*> args) {
    const std::vector<const char*> argv = argv_of(args);
    return run_example("prog", static_cast<int>(argv.size()), argv.data(), add_test_options, run);
  };
  CHECK(main_of({"--count", "7", "--name=x"}) == 0);
  CHECK(runs == 1);
  CHECK(seen.count == 7);
  CHECK(seen.name == "x");
  CHECK(seen.rate == 0.5);
  CHECK_FALSE(seen.verbose);

  CHECK(main_of({"--count", "7", "--help"}) == 0);
  CHECK(main_of({"--count", "0"}) == 1);
  CHECK(main_of({"stray"}) == 1);
  CHECK(main_of({"--bogus", "1"}) == 1);
  CHECK(runs == 1);
  CHECK(main_of({"--name", "throw"}) == 1);
  CHECK(runs == 2);
  // A switch is given alone.
  CHECK(main_of({"--verbose", "--count", "8"}) == 0);
  CHECK(runs == 3);
  CHECK(seen.verbose);
  CHECK(seen.count == 8);
  CHECK(main_of({"--verbose=1"}) == 1);
  CHECK(runs == 3);
}

TEST_CASE("make_out_dir creates nested folders and fails naming --out", "[examples][cli]") {
  TempDir dir;
  const std::string nested = dir.file("a/b/c");
  make_out_dir("prog", nested);
  CHECK(std::filesystem::is_directory(nested));
  make_out_dir("prog", nested);  // an existing folder is fine
  const std::string file = dir.file("plain");
  write_text(file, "x");
  CHECK_THROWS_WITH(make_out_dir("prog", file + "/sub"),
                    MG_CONTAINS("prog: cannot create --out '" + file + "/sub': "));
  CHECK_THROWS_WITH(make_out_dir("prog", file), MG_CONTAINS("prog: cannot create --out '" + file));
  CHECK_THROWS_WITH(make_out_dir("prog", file, "--checkpoint"),
                    MG_CONTAINS("prog: cannot create --checkpoint '" + file));
}

TEST_CASE("use_threads sets the requested or the automatic thread count", "[examples][cli]") {
#ifdef _OPENMP
  const int before = omp_get_max_threads();
#endif
  const ThreadChoice three = use_threads(3);
  CHECK(three.threads == 3);
  CHECK_FALSE(three.automatic);
  CHECK(three.describe() == "3 thread(s)");
#ifdef _OPENMP
  CHECK(omp_get_max_threads() == 3);
#endif
  const std::optional<double> busy = busy_cores_now();
  REQUIRE(busy.has_value());  // Linux: /proc/stat is readable
  CHECK(*busy >= 0.0);
  CHECK(*busy <= std::thread::hardware_concurrency() + 1e-9);
  const ThreadChoice chosen = use_threads(0);
  CHECK(chosen.automatic);
  // Not compared with a second auto_threads(): the load may change between the two samples (it
  // did under the parallel test run).
  CHECK((chosen.threads == 1 || chosen.threads == 2));
  CHECK(chosen.describe() ==
        std::to_string(chosen.threads) +
            " thread(s) (auto from the current CPU load; --threads N to choose)");
#ifdef _OPENMP
  CHECK(omp_get_max_threads() == chosen.threads);
  omp_set_num_threads(before);
#endif
}
