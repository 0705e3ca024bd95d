#pragma once

// Helpers of the examples-data tests: a scratch folder, text files, .jhf records.
#include <filesystem>
#include <string>

namespace metagrad::testing {

/// A fresh folder under the system temp folder, removed with its content on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// The path of `name` inside the folder.
  std::string file(const std::string& name) const { return (root_ / name).string(); }
  std::string path() const { return root_.string(); }

 private:
  std::filesystem::path root_;
};

/// Writes `text` to `path` (the tests' own plain writer).
void write_text(const std::string& path, const std::string& text);

/// One .jhf record on one line: id in 5 columns, the vertex count (pairs in `data`, margins
/// included) in 3 columns, then `data` (margins first).
std::string jhf_record(int id, const std::string& data);

}  // namespace metagrad::testing
