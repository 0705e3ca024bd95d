#pragma once

// Helpers for the tensor-file tests: a scratch folder, raw file bytes, bit-exact comparison.
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/helpers.hpp"

namespace metagrad::testing {

/// A fresh, empty folder under the system temp folder, removed with everything in it on
/// destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  /// The path of `name` inside the folder.
  std::string file(const std::string& name) const { return (root_ / name).string(); }
  const std::filesystem::path& root() const { return root_; }
  /// Names of everything in the folder, sorted.
  std::vector<std::string> entries() const;

 private:
  std::filesystem::path root_;
};

/// Writes `bytes` to `path` (plain, non-atomic: the tests' own independent writer).
void write_bytes(const std::string& path, const std::string& bytes);
/// The whole content of `path`.
std::string read_bytes(const std::string& path);
/// `value` as `size` little-endian bytes.
std::string le_bytes(uint64_t value, size_t size);
/// A safetensors file assembled by hand: the 8-byte little-endian length of `header` padded with
/// spaces to a multiple of 8, the header, then `data`.
std::string safetensors_bytes(const std::string& header, const std::string& data);

/// True when both tensors have the same dtype and shape and identical element bytes (NaN
/// payloads and signed zeros included), whatever their strides.
bool bitwise_equal(const Tensor& a, const Tensor& b);

}  // namespace metagrad::testing
