// Atomic writes: a failure at any point leaves the target as it was and no temporary file behind.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include "tests/io/io_support.hpp"

using namespace metagrad;
using namespace metagrad::testing;

namespace {

/// Caps the size of files this process may write (as a full disk would) for its lifetime;
/// writes past the cap fail with EFBIG instead of raising SIGXFSZ.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &previous_);
    rlimit capped = previous_;
    capped.rlim_cur = bytes;
    ok_ = ::setrlimit(RLIMIT_FSIZE, &capped) == 0;
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &previous_);
    std::signal(SIGXFSZ, previous_handler_);
  }
  bool ok() const { return ok_; }

 private:
  rlimit previous_{};
  void (*previous_handler_)(int) = nullptr;
  bool ok_ = false;
};

}  // namespace

TEST_CASE("a write that fails part way (disk full) leaves the existing target unchanged", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("model.safetensors");
  save_file({{"w", arange(4.0, kFloat32)}}, path, {{"version", "1"}});
  const std::string before = read_bytes(path);
  REQUIRE(before.size() < 4096);
  const Tensor big = zeros({100000}, kFloat64);  // 800 KB, far past the cap
  {
    FileSizeLimit limit(4096);
    REQUIRE(limit.ok());
    CHECK_THROWS_WITH(save_file({{"w", big}}, path),
                      MG_CONTAINS("save_file: cannot write '" + path + "'") &&
                          MG_CONTAINS("the target was left unchanged"));
    CHECK_THROWS_WITH(save_npy(big, dir.file("x.npy")), MG_CONTAINS("save_npy: cannot write"));
  }
  CHECK(read_bytes(path) == before);
  CHECK(dir.entries() == std::vector<std::string>{"model.safetensors"});
  CHECK(load_file(path).at("w").to_vector<float>() == std::vector<float>{0, 1, 2, 3});
}

TEST_CASE("an AtomicFile abandoned before commit removes its temporary file", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("notes.txt");
  write_bytes(path, "old contents");
  try {
    AtomicFile file(path, "test");
    file.write("new contents, half written");
    if (file.temp_path().empty()) {
      // O_TMPFILE: the data being written has no name at all.
      CHECK(dir.entries() == std::vector<std::string>{"notes.txt"});
    } else {
      CHECK(std::filesystem::exists(file.temp_path()));
      CHECK(std::filesystem::path(file.temp_path()).parent_path() == dir.root());
    }
    CHECK(read_bytes(path) == "old contents");
    throw std::runtime_error("simulated crash in the middle of writing");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "simulated crash in the middle of writing");
  }
  CHECK(read_bytes(path) == "old contents");
  CHECK(dir.entries() == std::vector<std::string>{"notes.txt"});

  write_file_atomically(path, "replaced");
  CHECK(read_bytes(path) == "replaced");
  CHECK(dir.entries() == std::vector<std::string>{"notes.txt"});
}

TEST_CASE("a rename that fails leaves the target and no temporary file", "[io]") {
  ScratchDir dir;
  // The target is a file when the writer opens, then a non-empty folder takes its name: the data
  // is written and synced, then the rename over the target fails.
  const std::string path = dir.file("taken");
  write_bytes(path, "old");
  AtomicFile file(path, "save_npy");
  file.write("new bytes");
  std::filesystem::remove(path);
  std::filesystem::create_directory(path);
  write_bytes(dir.file("taken/inner.txt"), "keep");
  CHECK_THROWS_WITH(file.commit(), MG_CONTAINS("save_npy: cannot write '" + path + "'") &&
                                       MG_CONTAINS("renaming the temporary file over the target "
                                                   "failed"));
  CHECK(std::filesystem::is_directory(path));
  CHECK(read_bytes(dir.file("taken/inner.txt")) == "keep");
  CHECK(dir.entries() == std::vector<std::string>{"taken"});
}

TEST_CASE("atomic writes refuse a folder as the target before writing anything", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("taken");
  std::filesystem::create_directory(path);
  CHECK_THROWS_WITH(save_npy(ones({3}), path), MG_CONTAINS("save_npy: cannot write '" + path +
                                                           "': it is a folder, not a "
                                                           "regular file"));
  CHECK(std::filesystem::is_directory(path));
  CHECK(dir.entries() == std::vector<std::string>{"taken"});
}

TEST_CASE("atomic writes report a missing or read-only folder and a path without a file name",
          "[io]") {
  ScratchDir dir;
  CHECK_THROWS_WITH(
      save_file({{"a", ones({1})}}, dir.file("no/such/folder/x.safetensors")),
      MG_CONTAINS("creating the temporary file") && MG_CONTAINS("No such file or directory"));
  CHECK_THROWS_WITH(write_file_atomically(dir.root().string() + "/", "x"),
                    MG_CONTAINS("is not a file path"));
  CHECK(dir.entries().empty());

  if (::geteuid() == 0) return;  // root writes into read-only folders anyway
  const std::string path = dir.file("kept.npy");
  save_npy(ones({2}), path);
  const std::string before = read_bytes(path);
  std::filesystem::permissions(
      dir.root(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  CHECK_THROWS_WITH(save_npy(zeros({5}), path), MG_CONTAINS("Permission denied"));
  std::filesystem::permissions(dir.root(), std::filesystem::perms::owner_all);
  CHECK(read_bytes(path) == before);
  CHECK(dir.entries() == std::vector<std::string>{"kept.npy"});
}

TEST_CASE("replacing a file keeps its permission bits", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("private.safetensors");
  save_file({{"a", ones({2})}}, path);
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  save_file({{"a", zeros({2})}}, path);
  const auto perms = std::filesystem::status(path).permissions();
  CHECK(perms == (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  CHECK(load_file(path).at("a").to_vector<float>() == std::vector<float>{0, 0});
}
