#include "tests/examples_data/data_support.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

#include "tests/support/catch.hpp"

namespace metagrad::testing {

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  root_ = std::filesystem::temp_directory_path() /
          fmt::format("metagrad_examples_data_{}_{}", static_cast<long>(::getpid()), counter++);
  std::filesystem::remove_all(root_);
  std::filesystem::create_directories(root_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  REQUIRE(out.is_open());
  out << text;
  REQUIRE(out.good());
}

std::string jhf_record(int id, const std::string& data) {
  REQUIRE(data.size() % 2 == 0);
  return fmt::format("{:5d}{:3d}{}", id, data.size() / 2, data);
}

}  // namespace metagrad::testing
