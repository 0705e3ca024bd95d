#include "examples/common/cli.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "cuda/cuda.hpp"
#include "engine/error.hpp"

namespace metagrad::examples {

namespace {

// The number all of `text` spells (strtod), or NaN when it is not exactly one number.
double strict_double(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  const bool whole = !text.empty() && end != nullptr && *end == '\0';
  return whole ? value : std::nan("");
}

}  // namespace

Flags parse_flags(std::string_view program, int argc, const char* const* argv,
                  const std::set<std::string>& switches) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      flags.help = true;
      return flags;
    }
    MG_CHECK(arg.rfind("--", 0) == 0, "{}: unexpected argument '{}' (see --help)", program, arg);
    std::string value;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1), arg = arg.substr(0, eq);
      MG_CHECK(!switches.contains(arg), "{}: {} takes no value (see --help)", program, arg);
    } else if (!switches.contains(arg)) {
      MG_CHECK(i + 1 < argc, "{}: {} needs a value (see --help)", program, arg);
      value = argv[++i];
    }
    flags.values[arg] = value;
  }
  return flags;
}

int64_t parse_int(std::string_view program, std::string_view flag, const std::string& text,
                  int64_t lo) {
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  MG_CHECK(!text.empty() && end != nullptr && *end == '\0' && errno == 0 && value >= lo,
           "{}: {} expects an integer >= {}, got '{}'", program, flag, lo, text);
  return value;
}

double parse_number_in(std::string_view program, std::string_view flag, const std::string& text,
                       double lo, double hi) {
  const double value = strict_double(text);
  MG_CHECK(value >= lo && value <= hi, "{}: {} expects a number in [{}, {}], got '{}'", program,
           flag, lo, hi, text);
  return value;
}

double parse_positive(std::string_view program, std::string_view flag, const std::string& text) {
  const double value = strict_double(text);
  MG_CHECK(std::isfinite(value) && value > 0, "{}: {} expects a finite number > 0, got '{}'",
           program, flag, text);
  return value;
}

Device parse_device(std::string_view program, std::string_view flag, const std::string& text) {
  MG_CHECK(text == "cpu" || text == "cuda", "{}: {} expects cpu or cuda, got '{}'", program, flag,
           text);
  if (text == "cpu") return kCPU;
  MG_CHECK(cuda::is_available(), "{}: {} cuda: no CUDA device is available ({}); run with {} cpu",
           program, flag,
           cuda::is_built() ? "no GPU is visible" : "metagrad was built without the CUDA backend",
           flag);
  return cuda_device(0);
}

void fail_unknown_flag(std::string_view program, std::string_view flag) {
  MG_FAIL("{}: unknown option '{}' (see --help)", program, flag);
}

Options& Options::number_in(std::string flag, std::string metavar, std::string help, double& target,
                            double lo, double hi) {
  return add(std::move(flag), std::move(metavar), std::move(help),
             [program = program_, &target, lo, hi](const std::string& name, const std::string& v) {
               target = parse_number_in(program, name, v, lo, hi);
             });
}

Options& Options::positive(std::string flag, std::string metavar, std::string help,
                           double& target) {
  return add(std::move(flag), std::move(metavar), std::move(help),
             [program = program_, &target](const std::string& name, const std::string& v) {
               target = parse_positive(program, name, v);
             });
}

Options& Options::device(std::string flag, std::string help, Device& target) {
  return add(std::move(flag), "D", std::move(help),
             [program = program_, &target](const std::string& name, const std::string& v) {
               target = parse_device(program, name, v);
             });
}

Options& Options::text(std::string flag, std::string metavar, std::string help,
                       std::string& target) {
  return add(std::move(flag), std::move(metavar), std::move(help),
             [&target](const std::string&, const std::string& v) { target = v; });
}

Options& Options::toggle(std::string flag, std::string help, bool& target) {
  switches_.insert(flag);
  return add(std::move(flag), "", std::move(help),
             [&target](const std::string&, const std::string&) { target = true; });
}

Options& Options::add(std::string flag, std::string metavar, std::string help, Setter set) {
  options_.push_back({std::move(flag), std::move(metavar), std::move(help), std::move(set)});
  return *this;
}

std::string Options::usage() const {
  constexpr size_t kHelpColumn = 19;
  const std::string indent(kHelpColumn, ' ');
  std::string out = fmt::format("usage: {} [options]\n", program_);
  for (const Option& o : options_) {
    const std::string head =
        fmt::format("  {}{}{}", o.flag, o.metavar.empty() ? "" : " ", o.metavar);
    out += head + std::string(head.size() < kHelpColumn ? kHelpColumn - head.size() : 1, ' ');
    for (size_t start = 0, end = 0; end != std::string::npos; start = end + 1) {
      end = o.help.find('\n', start);
      if (start > 0) out += indent;
      out += o.help.substr(start, end == std::string::npos ? end : end - start) + "\n";
    }
  }
  return out;
}

void Options::apply(const Flags& flags) const {
  for (const auto& [flag, value] : flags.values) {
    // A named reference: clang before 16 cannot capture a structured binding in a lambda.
    const auto& name = flag;
    const auto option = std::find_if(options_.begin(), options_.end(),
                                     [&](const Option& o) { return o.flag == name; });
    if (option == options_.end()) fail_unknown_flag(program_, flag);
    option->set(flag, value);
  }
}

}  // namespace metagrad::examples
