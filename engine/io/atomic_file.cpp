#include "engine/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "engine/error.hpp"

namespace metagrad {
namespace {

std::atomic<uint64_t> temp_counter{0};

/// The folder holding `path` ("." for a bare file name).
std::string parent_folder(const std::filesystem::path& path) {
  const auto parent = path.parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

/// Flushes a folder's entry list so that a rename inside it survives a crash. Best effort: some
/// file systems refuse fsync on folders, and the rename itself has already succeeded.
void sync_folder(const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicFile::AtomicFile(std::string path, std::string op)
    : path_(std::move(path)), op_(std::move(op)) {
  const std::filesystem::path target(path_);
  MG_CHECK(!path_.empty() && target.has_filename(),
           "{}: '{}' is not a file path (it names no file); pass a path like 'dir/name.ext'", op_,
           path_);
  const std::string folder = parent_folder(target);
  const std::string base = target.filename().string();
  for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
    temp_path_ = fmt::format("{}/.{}.tmp.{}.{}", folder, base, static_cast<long>(::getpid()),
                             temp_counter.fetch_add(1));
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno != EEXIST) break;
  }
  if (fd_ < 0) {
    const int err = errno;
    const std::string tried = temp_path_;
    temp_path_.clear();
    MG_FAIL("{}: cannot write '{}': creating the temporary file '{}' in folder '{}' failed: {}",
            op_, path_, tried, folder, std::strerror(err));
  }
  struct stat existing {};
  if (::stat(path_.c_str(), &existing) == 0 && S_ISREG(existing.st_mode))
    ::fchmod(fd_, existing.st_mode & 07777);
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!temp_path_.empty()) {
    ::unlink(temp_path_.c_str());
    temp_path_.clear();
  }
}

void AtomicFile::fail(std::string_view what, int err) {
  const std::string temp = temp_path_;
  discard();
  MG_FAIL("{}: cannot write '{}': {} (temporary file '{}'): {}; the target was left unchanged", op_,
          path_, what, temp, std::strerror(err));
}

void AtomicFile::write(const void* data, size_t nbytes) {
  MG_CHECK(fd_ >= 0 && !committed_,
           "{}: write to '{}' after commit or after a failed write; create a new AtomicFile", op_,
           path_);
  const char* p = static_cast<const char*>(data);
  constexpr size_t kChunk = size_t{1} << 30;
  while (nbytes > 0) {
    const ssize_t n = ::write(fd_, p, nbytes < kChunk ? nbytes : kChunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("writing data failed", errno);
    }
    if (n == 0) fail("writing data made no progress", EIO);
    p += n;
    nbytes -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  MG_CHECK(fd_ >= 0 && !committed_,
           "{}: commit of '{}' after commit or after a failed write; create a new AtomicFile", op_,
           path_);
  if (::fsync(fd_) != 0) fail("flushing to disk (fsync) failed", errno);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) fail("closing the file failed", errno);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    fail("renaming the temporary file over the target failed", errno);
  committed_ = true;
  temp_path_.clear();
  sync_folder(parent_folder(std::filesystem::path(path_)));
}

void write_file_atomically(const std::string& path, std::string_view bytes, const std::string& op) {
  AtomicFile file(path, op);
  file.write(bytes);
  file.commit();
}

}  // namespace metagrad
