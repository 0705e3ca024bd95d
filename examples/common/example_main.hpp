#pragma once

#include <fmt/core.h>

#include <functional>
#include <string>
#include <string_view>

#include "examples/common/cli.hpp"

// What every example program does around its run: read its options, answer -h/--help, report an
// error instead of crashing, and make the folder its outputs go to.

namespace metagrad::examples {

/// Runs `body`; returns 0, or, when it throws, prints "<program>: error: <what>" to stderr (after
/// flushing stdout) and returns 1.
int run_guarded(std::string_view program, const std::function<void()>& body);

/// The whole of an example's main(): a default Config, its options declared by `declare`, the
/// flags of argv read into it (parse_flags, Options::apply), then run(config). On -h/--help it
/// prints the usage instead. Returns run_guarded's exit code.
template <typename Config, typename Run>
int run_example(std::string_view program, int argc, const char* const* argv,
                void (*declare)(Options&, Config&), const Run& run) {
  return run_guarded(program, [&] {
    Config config;
    Options options{std::string(program)};
    declare(options, config);
    const Flags flags = parse_flags(program, argc, argv, options.switches());
    if (flags.help) {
      fmt::print("{}", options.usage());
      return;
    }
    options.apply(flags);
    run(config);
  });
}

/// The whole of main() for a program whose one optional argument is its output folder (the
/// tutorials that write graphs): `run(folder)` with folder "." when none is given; -h/--help prints
/// the usage; an option or a second argument is an error. Returns run_guarded's exit code.
int run_with_output_folder(std::string_view program, int argc, const char* const* argv,
                           const std::function<void(const std::string& folder)>& run);

/// Creates the folder `dir` (with its parents) unless it exists; throws "<program>: cannot create
/// <flag> '<dir>': <reason>" when it is not a folder afterwards (`flag` names the option that gave
/// the folder).
void make_out_dir(std::string_view program, const std::string& dir,
                  std::string_view flag = "--out");

/// Prints "wrote <dir>/<a> and <dir>/<b>" for the two files an example wrote into `dir`.
void print_written(const std::string& dir, const std::string& a, const std::string& b);

}  // namespace metagrad::examples
