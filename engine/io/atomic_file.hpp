#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace metagrad {

/// Writes a file atomically: bytes go to a temporary file in the target's folder, which commit()
/// flushes to disk (fsync) and renames over the target. Until commit() succeeds the target is
/// untouched, so a crash, a full disk or an exception never leaves a half-written file under the
/// target name. A failed write or commit, or destruction before commit, removes the temporary
/// file. Every failure throws metagrad::Error naming `op`, the target path and the system error.
///
///   AtomicFile file(path, "save_file");
///   file.write(header);
///   file.write(data, nbytes);
///   file.commit();
class AtomicFile {
 public:
  /// Creates the temporary file next to `path` (same folder, so the rename cannot cross file
  /// systems). When `path` already exists its permission bits are kept. `op` prefixes messages.
  explicit AtomicFile(std::string path, std::string op = "write");
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends `nbytes` bytes (retrying partial writes and interrupts).
  void write(const void* data, size_t nbytes);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  /// Flushes the data to disk, closes the file and renames it over the target. Call once.
  void commit();

  const std::string& path() const { return path_; }
  /// The temporary file's path (removed on failure, renamed on commit).
  const std::string& temp_path() const { return temp_path_; }

 private:
  /// Closes and removes the temporary file; never throws.
  void discard() noexcept;
  /// Discards the temporary file and throws an Error describing `what` with errno's text.
  [[noreturn]] void fail(std::string_view what, int err);

  std::string path_;
  std::string op_;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

/// Replaces the file at `path` with `bytes` atomically (see AtomicFile); `op` prefixes messages.
void write_file_atomically(const std::string& path, std::string_view bytes,
                           const std::string& op = "write_file_atomically");

}  // namespace metagrad
