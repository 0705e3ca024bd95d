#include "examples/common/example_main.hpp"

#include <cstdio>
#include <exception>
#include <filesystem>
#include <system_error>

#include "engine/error.hpp"

namespace metagrad::examples {

int run_guarded(std::string_view program, const std::function<void()>& body) {
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "{}: error: {}\n", program, e.what());
    return 1;
  }
}

int run_with_output_folder(std::string_view program, int argc, const char* const* argv,
                           const std::function<void(const std::string& folder)>& run) {
  return run_guarded(program, [&] {
    MG_CHECK(argc <= 2, "{}: expected at most one argument, the output folder", program);
    const std::string arg = argc == 2 ? argv[1] : ".";
    if (arg == "-h" || arg == "--help") {
      fmt::print("usage: {} [folder]\n", program);
      return;
    }
    MG_CHECK(arg.rfind("--", 0) != 0, "{}: unknown option '{}' (see --help)", program, arg);
    run(arg);
  });
}

void make_out_dir(std::string_view program, const std::string& dir, std::string_view flag) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  MG_CHECK(std::filesystem::is_directory(dir), "{}: cannot create {} '{}': {}", program, flag, dir,
           ec.message());
}

void print_written(const std::string& dir, const std::string& a, const std::string& b) {
  const std::filesystem::path out(dir);
  fmt::print("wrote {} and {}\n", (out / a).string(), (out / b).string());
}

}  // namespace metagrad::examples
