#include "engine/io/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

#include "engine/error.hpp"

namespace metagrad {
namespace {

std::atomic<uint64_t> temp_counter{0};
/// Symbolic links followed before giving up (the kernel's own limit, MAXSYMLINKS).
constexpr int kMaxLinkHops = 40;

/// The folder holding `path` ("." for a bare file name).
std::string parent_folder(const std::filesystem::path& path) {
  const auto parent = path.parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

/// A fresh temporary file name for `base` in `folder`: `.<base>.tmp.<pid>.<n>`.
std::string temp_name(const std::string& folder, const std::string& base) {
  return fmt::format("{}/.{}.tmp.{}.{}", folder, base, static_cast<long>(::getpid()),
                     temp_counter.fetch_add(1));
}

/// Flushes a folder's entry list so that a rename inside it survives a crash. Best effort: some
/// file systems refuse fsync on folders, and the rename itself has already succeeded.
void sync_folder(const std::string& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

/// `path` with the symbolic links of its last component followed, as open() would.
std::string follow_links(const std::string& op, const std::string& path) {
  std::filesystem::path current(path);
  for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
    struct stat st {};
    if (::lstat(current.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return current.string();
    std::error_code ec;
    const std::filesystem::path next = std::filesystem::read_symlink(current, ec);
    MG_CHECK(!ec, "{}: cannot write '{}': reading the symbolic link '{}' failed: {}", op, path,
             current.string(), ec.message());
    current = next.is_absolute() ? next : current.parent_path() / next;
  }
  MG_FAIL("{}: cannot write '{}': more than {} levels of symbolic links (a link loop?)", op, path,
          kMaxLinkHops);
}

/// What a non-regular file is, for messages.
const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

/// The pid in a temporary file name `<prefix><pid>.<n>`, or -1 when `name` is not one.
long temp_owner(std::string_view name, std::string_view prefix) {
  if (name.substr(0, prefix.size()) != prefix) return -1;
  name.remove_prefix(prefix.size());
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) return -1;
  for (size_t i = 0; i < name.size(); ++i)
    if (i != dot && (name[i] < '0' || name[i] > '9')) return -1;
  long pid = -1;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + dot, pid);
  return ec == std::errc() && end == name.data() + dot && pid > 0 ? pid : -1;
}

/// Removes the temporary files `.<base>.tmp.<pid>.<n>` of `folder` whose writer process no longer
/// exists (killed while committing, or while writing where O_TMPFILE is unsupported).
void remove_stale_temps(const std::string& folder, const std::string& base) {
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return;
  const std::string prefix = "." + base + ".tmp.";
  const long self = static_cast<long>(::getpid());
  while (const dirent* entry = ::readdir(dir)) {
    const long pid = temp_owner(entry->d_name, prefix);
    if (pid <= 0 || pid == self || pid != static_cast<pid_t>(pid)) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    ::unlinkat(::dirfd(dir), entry->d_name, 0);
  }
  ::closedir(dir);
}

}  // namespace

AtomicFile::AtomicFile(std::string path, std::string op)
    : path_(std::move(path)), op_(std::move(op)) {
  MG_CHECK(!path_.empty() && std::filesystem::path(path_).has_filename(),
           "{}: '{}' is not a file path (it names no file); pass a path like 'dir/name.ext'", op_,
           path_);
  target_ = follow_links(op_, path_);
  const std::filesystem::path target(target_);
  MG_CHECK(target.has_filename(),
           "{}: cannot write '{}': it is a symbolic link to '{}', which names no file", op_, path_,
           target_);
  struct stat existing {};
  const bool exists = ::stat(target_.c_str(), &existing) == 0;
  MG_CHECK(!exists || S_ISREG(existing.st_mode),
           "{}: cannot write '{}': {} is {}, not a regular file; atomic writes only replace "
           "regular files, so pass the path of a file",
           op_, path_,
           target_ == path_ ? std::string("it") : fmt::format("its target '{}'", target_),
           file_kind(existing.st_mode));
  const std::string folder = parent_folder(target);
  const std::string base = target.filename().string();
  remove_stale_temps(folder, base);
#ifdef O_TMPFILE
  // linkat() names an anonymous file through /proc (AT_EMPTY_PATH would need a capability).
  if (::access("/proc/self/fd", X_OK) == 0) {
    fd_ = ::open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    anonymous_ = fd_ >= 0;
  }
#endif
  if (fd_ < 0 && !open_named(folder, base)) {
    const int err = errno;
    const std::string tried = temp_path_;
    temp_path_.clear();
    MG_FAIL("{}: cannot write '{}': creating the temporary file '{}' in folder '{}' failed: {}",
            op_, path_, tried, folder, std::strerror(err));
  }
  if (exists) ::fchmod(fd_, existing.st_mode & 07777);
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

bool AtomicFile::open_named(const std::string& folder, const std::string& base) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp_path_ = temp_name(folder, base);
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) return true;
    if (errno != EEXIST) return false;
  }
  return false;
}

bool AtomicFile::link_anonymous(const std::string& folder, const std::string& base) {
  const std::string self = fmt::format("/proc/self/fd/{}", fd_);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const std::string name = temp_name(folder, base);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
      temp_path_ = name;
      return true;
    }
    if (errno != EEXIST) return false;
  }
  return false;
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
  const std::string temp = temp_path_.empty() ? std::string("anonymous") : temp_path_;
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
  const std::filesystem::path target(target_);
  const std::string folder = parent_folder(target);
  // The anonymous file gets its name only now, so that the named file lives for microseconds.
  if (anonymous_ && !link_anonymous(folder, target.filename().string()))
    fail("naming the temporary file (linkat) failed", errno);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) fail("closing the file failed", errno);
  if (::rename(temp_path_.c_str(), target_.c_str()) != 0)
    fail("renaming the temporary file over the target failed", errno);
  committed_ = true;
  temp_path_.clear();
  sync_folder(folder);
}

void write_file_atomically(const std::string& path, std::string_view bytes, const std::string& op) {
  AtomicFile file(path, op);
  file.write(bytes);
  file.commit();
}

}  // namespace metagrad
