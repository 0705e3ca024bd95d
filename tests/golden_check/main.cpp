// golden_check: evaluates the reference cases made with TorchOpt (shared/golden/README.md) and
// compares metagrad's results with them.
//
//   golden_check [CASE.safetensors | FOLDER]...      (default: the repository's tests/golden)
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
#include <string>
#include <string_view>
#include <vector>

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

void run_case(const fs::path& path, Totals& totals) {
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

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "-h" || args[0] == "--help")) {
    fmt::print("usage: {} [CASE.safetensors | FOLDER]...\n(default folder: {})\n", argv[0],
               MG_GOLDEN_DIR);
    return 0;
  }
  if (args.empty()) args.emplace_back(MG_GOLDEN_DIR);

  Totals totals;
  for (const std::string& arg : args) {
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
      run_case(file, totals);
      std::fflush(stdout);
    }
  }
  fmt::print("{} passed, {} failed, {} skipped\n", totals.passed, totals.failed, totals.skipped);
  return totals.failed > 0 ? 1 : 0;
}
