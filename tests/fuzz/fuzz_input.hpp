#pragma once

// Shared by the libFuzzer targets: the fuzz input as a file (the readers take paths), and the one
// exception type a reader may throw.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace metagrad::fuzz {

/// A file for this process's inputs, in memory (/dev/shm) where it exists; `tag` tells files apart.
inline std::string scratch_path(const char* tag) {
  const std::filesystem::path shm("/dev/shm");
  std::error_code ec;
  const std::filesystem::path dir =
      std::filesystem::is_directory(shm, ec) ? shm : std::filesystem::temp_directory_path();
  return (dir / ("metagrad_fuzz_" + std::to_string(::getpid()) + "_" + tag)).string();
}

/// Replaces the file at `path` with `size` bytes of `data`; aborts when that fails (a harness
/// problem, not a finding).
inline void write_input(const std::string& path, const uint8_t* data, size_t size) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr || (size > 0 && std::fwrite(data, 1, size, file) != size) ||
      std::fclose(file) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
}

}  // namespace metagrad::fuzz
