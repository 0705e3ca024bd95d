// golden_check: evaluates the reference cases made with TorchOpt (shared/golden/README.md) and
// compares metagrad's results with them.
//
//   golden_check [--device cpu|cuda [--emulate]] [CASE.safetensors | FOLDER]...
//                                                    (default: the repository's tests/golden)
//
// --device cuda runs every case on the CUDA device: the case's inputs are moved there, the nets,
// optimizer states and intermediate tensors live there, and the results are moved back to be
// compared with the same float64 tolerances. Without a visible GPU it stops with a message and
// exit code 2, unless --emulate registers the host emulation of the CUDA kernels
// (cuda/emulated_backend.hpp) as the CUDA backend, which is how CI runs it.
//
// Prints one line per case, "PASS name max_abs_err", "FAIL name detail" or "SKIP name kind not
// supported yet", then "N passed, M failed, K skipped". A case run several ways (an optimizer in
// place and out of place, with and without use_accelerated_op) passes when every way passes; its
// PASS line ends with "[way max_abs_err, ...]" and a failure names the way. Exits with 1 when
// anything failed (a path that is neither a case file nor a folder holding some counts as a
// failure), else 0.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cuda/cuda.hpp"
#include "cuda/emulated_backend.hpp"
#include "engine/device.hpp"
#include "tests/golden_check/golden_case.hpp"

namespace {

namespace fs = std::filesystem;

struct KindEntry {
  std::string_view kind;
  golden::Tolerance tolerance;
  golden::Handler run;
};

// The kinds golden_check evaluates, with the README's float64 tolerances. Cases of any other kind
// are reported as SKIP; a new kind is one more row here (see golden_case.hpp).
constexpr KindEntry kKinds[] = {
    {"optim", {.atol = 1e-12, .rtol = 1e-10}, golden::run_optim},
    {"meta", {.atol = 1e-10, .rtol = 1e-8}, golden::run_meta},
    {"hvp", {.atol = 1e-10, .rtol = 1e-8}, golden::run_hvp},
    {"implicit_ridge", {.atol = 1e-9, .rtol = 1e-7}, golden::run_implicit_ridge},
};

const KindEntry* find_kind(std::string_view kind) {
  for (const KindEntry& entry : kKinds) {
    if (entry.kind == kind) return &entry;
  }
  return nullptr;
}

// Messages may span lines; a result is one line.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

struct Totals {
  int passed = 0;
  int failed = 0;
  int skipped = 0;
};

void report_failure(Totals& totals, std::string_view name, const std::string& detail) {
  fmt::print("FAIL {} {}\n", name, one_line(detail));
  ++totals.failed;
}

void run_case(const fs::path& path, metagrad::Device device, Totals& totals) {
  golden::GoldenCase golden_case;
  try {
    golden_case = golden::load_case(path);
  } catch (const std::exception& e) {
    report_failure(totals, path.stem().string(), fmt::format("cannot read the case: {}", e.what()));
    return;
  }
  const KindEntry* entry = find_kind(golden_case.kind);
  if (entry == nullptr) {
    fmt::print("SKIP {} kind not supported yet\n", golden_case.name);
    ++totals.skipped;
    return;
  }
  golden::Checker check(entry->tolerance);
  try {
    golden::move_inputs(golden_case, device);
    entry->run(golden_case, check);
  } catch (const nlohmann::json::exception& e) {
    report_failure(totals, golden_case.name, fmt::format("bad spec: {}", e.what()));
    return;
  } catch (const std::exception& e) {
    report_failure(totals, golden_case.name, fmt::format("error: {}", e.what()));
    return;
  }
  if (!check.passed()) {
    report_failure(totals, golden_case.name,
                   fmt::format("{} (max_abs_err {:.3e})", check.detail(), check.max_abs_err()));
    return;
  }
  const std::string variants = check.variant_summary();
  fmt::print("PASS {} {:.3e}{}\n", golden_case.name, check.max_abs_err(),
             variants.empty() ? "" : fmt::format(" [{}]", variants));
  ++totals.passed;
}

// The case files named by `arg`: itself, or the *.safetensors files of a folder in name order.
std::vector<fs::path> case_files(const fs::path& arg) {
  std::error_code ec;
  if (!fs::is_directory(arg, ec)) return {arg};
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(arg, ec)) {
    if (entry.is_regular_file(ec) && entry.path().extension() == ".safetensors") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The command line: the options, then the case paths.
struct Args {
  metagrad::Device device = metagrad::kCPU;
  bool emulate = false;
  std::vector<std::string> paths;
};

// Reads argv; returns nullopt after printing the problem to stderr.
std::optional<Args> parse_args(int argc, char** argv) {
  Args out;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--emulate") {
      out.emulate = true;
    } else if (arg == "--device" || arg.starts_with("--device=")) {
      std::string_view value;
      if (arg == "--device") {
        if (i + 1 == argc) {
          fmt::print(stderr, "golden_check: --device needs a value (cpu or cuda)\n");
          return std::nullopt;
        }
        value = argv[++i];
      } else {
        value = arg.substr(std::string_view("--device=").size());
      }
      if (value != "cpu" && value != "cuda") {
        fmt::print(stderr, "golden_check: --device expects cpu or cuda, got '{}'\n", value);
        return std::nullopt;
      }
      out.device = value == "cuda" ? metagrad::cuda_device() : metagrad::kCPU;
    } else if (arg.starts_with("--")) {
      fmt::print(stderr, "golden_check: unknown option '{}' (see --help)\n", arg);
      return std::nullopt;
    } else {
      out.paths.emplace_back(arg);
    }
  }
  if (out.emulate && !out.device.is_cuda()) {
    fmt::print(stderr, "golden_check: --emulate goes with --device cuda\n");
    return std::nullopt;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::string_view(argv[1]) == "-h" || std::string_view(argv[1]) == "--help")) {
    fmt::print(
        "usage: {} [--device cpu|cuda [--emulate]] [CASE.safetensors | FOLDER]...\n"
        "(default folder: {})\n"
        "  --device cuda  run the cases on the CUDA device (exit code 2 when none is visible)\n"
        "  --emulate      with --device cuda: run the CUDA kernels' host emulation instead\n",
        argv[0], MG_GOLDEN_DIR);
    return 0;
  }
  std::optional<Args> args = parse_args(argc, argv);
  if (!args) return 2;
  if (args->paths.empty()) args->paths.emplace_back(MG_GOLDEN_DIR);

  std::optional<metagrad::ScopedEmulatedCuda> emulation;
  if (args->emulate) {
    emulation.emplace();
    fmt::print("device: cuda:0 (the host emulation of the CUDA kernels)\n");
  } else if (args->device.is_cuda()) {
    if (!metagrad::cuda::is_available()) {
      fmt::print(stderr,
                 "golden_check: --device cuda: no CUDA device is available ({}); "
                 "--emulate runs the CUDA kernels' host emulation instead\n",
                 metagrad::cuda::is_built() ? "no GPU visible"
                                            : "metagrad was built without the CUDA backend");
      return 2;
    }
    fmt::print("device: cuda:0\n");
  }

  Totals totals;
  for (const std::string& arg : args->paths) {
    std::error_code ec;
    if (!fs::exists(arg, ec)) {
      report_failure(totals, arg, "no such file or folder");
      continue;
    }
    const std::vector<fs::path> files = case_files(arg);
    if (files.empty()) {
      report_failure(totals, arg, "no *.safetensors case in this folder");
      continue;
    }
    for (const fs::path& file : files) {
      run_case(file, args->device, totals);
      std::fflush(stdout);
    }
  }
  fmt::print("{} passed, {} failed, {} skipped\n", totals.passed, totals.failed, totals.skipped);
  return totals.failed > 0 ? 1 : 0;
}
