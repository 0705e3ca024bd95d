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

void make_out_dir(std::string_view program, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  MG_CHECK(std::filesystem::is_directory(dir), "{}: cannot create --out '{}': {}", program, dir,
           ec.message());
}

void print_written(const std::string& dir, const std::string& a, const std::string& b) {
  const std::filesystem::path out(dir);
  fmt::print("wrote {} and {}\n", (out / a).string(), (out / b).string());
}

}  // namespace metagrad::examples
