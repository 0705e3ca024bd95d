#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/device.hpp"

// The command line of an example program: `--flag value` or `--flag=value` pairs, switches
// (`--flag` alone), -h/--help, the
// checked number parsing of flag values, and the table of a program's options that both prints
// its usage and stores the values. Every error is a metagrad::Error whose message starts with the
// program's name and names the flag, the text given and the form expected.

namespace metagrad::examples {

/// The flags of one command line.
struct Flags {
  /// -h or --help was given (the arguments after it are not read).
  bool help = false;
  /// Each flag with its value ("--flag" -> "value"); a repeated flag keeps its last value.
  std::map<std::string, std::string> values;
};

/// Reads argv[1..argc): `--flag value` or `--flag=value` pairs, and the flags named in `switches`
/// alone (stored with the value ""), stopping at -h/--help. Throws "<program>: unexpected argument
/// '<arg>' (see --help)" for an argument that does not start with "--", "<program>: <flag> needs a
/// value (see --help)" for a last flag without its value and "<program>: <flag> takes no value
/// (see --help)" for a switch written `--flag=value`.
Flags parse_flags(std::string_view program, int argc, const char* const* argv,
                  const std::set<std::string>& switches = {});

/// The decimal integer `text` of `flag`; throws "<program>: <flag> expects an integer >= <lo>,
/// got '<text>'" unless all of it is an integer in [lo, INT64_MAX].
int64_t parse_int(std::string_view program, std::string_view flag, const std::string& text,
                  int64_t lo);

/// The number `text` of `flag`; throws "<program>: <flag> expects a number in [<lo>, <hi>], got
/// '<text>'" unless all of it is a number in [lo, hi].
double parse_number_in(std::string_view program, std::string_view flag, const std::string& text,
                       double lo, double hi);

/// The number `text` of `flag`; throws "<program>: <flag> expects a finite number > 0, got
/// '<text>'" unless all of it is a finite positive number.
double parse_positive(std::string_view program, std::string_view flag, const std::string& text);

/// The device `text` of `flag` names: "cpu" or "cuda" (cuda:0). Throws "<program>: <flag> expects
/// cpu or cuda, got '<text>'", and for cuda without a visible CUDA device "<program>: <flag> cuda:
/// no CUDA device is available (<why>); run with --device cpu".
Device parse_device(std::string_view program, std::string_view flag, const std::string& text);

/// Throws "<program>: unknown option '<flag>' (see --help)".
[[noreturn]] void fail_unknown_flag(std::string_view program, std::string_view flag);

/// The options of one example program, in the order its usage lists them: each flag's name, the
/// placeholder and help text the usage shows, and where (checked) values are stored. The targets
/// are held by reference and must outlive apply().
class Options {
 public:
  /// Stores a flag's text (throws for text it rejects).
  using Setter = std::function<void(const std::string& flag, const std::string& value)>;

  explicit Options(std::string program) : program_(std::move(program)) {}

  /// The program's name, which starts every error message.
  const std::string& program() const { return program_; }

  /// An integer >= lo (parse_int), stored into an integer `target` of any type.
  template <typename Int>
  Options& integer(std::string flag, std::string metavar, std::string help, Int& target,
                   int64_t lo) {
    return add(std::move(flag), std::move(metavar), std::move(help),
               [program = program_, &target, lo](const std::string& name, const std::string& v) {
                 target = static_cast<Int>(parse_int(program, name, v, lo));
               });
  }
  /// A number in [lo, hi] (parse_number_in).
  Options& number_in(std::string flag, std::string metavar, std::string help, double& target,
                     double lo, double hi);
  /// A finite number > 0 (parse_positive).
  Options& positive(std::string flag, std::string metavar, std::string help, double& target);
  /// A device, cpu or cuda (parse_device: cuda must be available).
  Options& device(std::string flag, std::string help, Device& target);
  /// Any text, stored as given.
  Options& text(std::string flag, std::string metavar, std::string help, std::string& target);
  /// A switch, given without a value: its presence sets `target` to true.
  Options& toggle(std::string flag, std::string help, bool& target);
  /// A flag whose text `set` checks and stores.
  Options& add(std::string flag, std::string metavar, std::string help, Setter set);

  /// The flags declared with toggle (for parse_flags).
  const std::set<std::string>& switches() const { return switches_; }

  /// "usage: <program> [options]" and a line per option: "  <flag> <metavar>" ("  <flag>" for a
  /// switch) padded to 19
  /// columns (at least one space), then its help; each further line of a multi-line help is
  /// indented to that column.
  std::string usage() const;

  /// Stores each flag of `flags` (in their sorted order) through its option; throws
  /// fail_unknown_flag's error for a flag that is not an option.
  void apply(const Flags& flags) const;

 private:
  struct Option {
    std::string flag, metavar, help;
    Setter set;
  };
  std::string program_;
  std::vector<Option> options_;
  std::set<std::string> switches_;
};

}  // namespace metagrad::examples
