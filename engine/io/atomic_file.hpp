#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace metagrad {
/// \addtogroup engine_io
/// @{

/// Writes a file atomically: bytes go to a temporary file in the target's folder, which commit()
/// flushes to disk (fsync) and renames over the target. Until commit() succeeds the target is
/// untouched, so a crash, a full disk or an exception never leaves a half-written file under the
/// target name. A failed write or commit, or destruction before commit, removes the temporary
/// file. Every failure throws metagrad::Error naming `op`, the target path and the system error.
///
/// On Linux the temporary file is anonymous (O_TMPFILE): it has no name until commit() links it
/// as `.<name>.tmp.<pid>.<n>` and at once renames it over the target, so a writer killed while
/// writing (even by SIGKILL) leaves nothing behind. Where O_TMPFILE is unsupported the named
/// temporary file exists for the whole write. Either way, a temporary file of this naming left by
/// a writer process that no longer exists is removed by the next AtomicFile of the same target.
///
/// When `path` is a symbolic link the link is kept and the file it points to is replaced (as
/// PyTorch's and safetensors' writers do, which open the path). A target that exists and is not a
/// regular file (a folder, a device such as /dev/full, a FIFO or a socket) is refused with an
/// Error before anything is written.
///
///   AtomicFile file(path, "save_file");
///   file.write(header);
///   file.write(data, nbytes);
///   file.commit();
class AtomicFile {
 public:
  /// Opens the temporary file next to the target (same folder, so the rename cannot cross file
  /// systems). When the target already exists its permission bits are kept. `op` prefixes
  /// messages.
  explicit AtomicFile(std::string path, std::string op = "write");
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends `nbytes` bytes (retrying partial writes and interrupts).
  void write(const void* data, size_t nbytes);
  /// Appends `bytes`.
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  /// Flushes the data to disk, closes the file and renames it over the target. Call once.
  void commit();

  /// The path given to the constructor.
  const std::string& path() const { return path_; }
  /// The file that commit() replaces: `path()` with symbolic links followed.
  const std::string& target() const { return target_; }
  /// The named temporary file's path, or "" while the temporary file is anonymous (O_TMPFILE).
  const std::string& temp_path() const { return temp_path_; }

 private:
  /// Closes and removes the temporary file; never throws.
  void discard() noexcept;
  /// Discards the temporary file and throws an Error describing `what` with errno's text.
  [[noreturn]] void fail(std::string_view what, int err);
  /// Creates a named temporary file in `folder` (O_EXCL, a fresh name); false on failure.
  bool open_named(const std::string& folder, const std::string& base);
  /// Gives the anonymous temporary file a fresh name in `folder`; false on failure.
  bool link_anonymous(const std::string& folder, const std::string& base);

  std::string path_;
  std::string op_;
  std::string target_;
  std::string temp_path_;
  int fd_ = -1;
  bool anonymous_ = false;
  bool committed_ = false;
};

/// Replaces the file at `path` with `bytes` atomically (see AtomicFile); `op` prefixes messages.
void write_file_atomically(const std::string& path, std::string_view bytes,
                           const std::string& op = "write_file_atomically");

/// @}

}  // namespace metagrad
