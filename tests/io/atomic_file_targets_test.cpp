// Atomic writes and what the target path names: symbolic links are written through, special files
// are refused, and temporary files of dead writers are swept.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "tests/io/io_support.hpp"

using namespace metagrad;
using namespace metagrad::testing;
namespace fs = std::filesystem;

TEST_CASE("atomic writes through a symbolic link replace the file it points to", "[io]") {
  ScratchDir dir;
  fs::create_directory(dir.file("store"));
  const std::string real = dir.file("store/weights.safetensors");
  save_file({{"w", ones({2})}}, real);
  const std::string link = dir.file("latest.safetensors");
  fs::create_symlink("store/weights.safetensors", link);  // relative, as `ln -s` makes them
  const std::string chain = dir.file("chain.safetensors");
  fs::create_symlink("latest.safetensors", chain);

  save_file({{"w", zeros({3})}}, chain);
  CHECK(fs::is_symlink(link));
  CHECK(fs::is_symlink(chain));
  CHECK(fs::read_symlink(link) == "store/weights.safetensors");
  CHECK(load_file(real).at("w").to_vector<float>() == std::vector<float>{0, 0, 0});
  CHECK(dir.entries() ==
        std::vector<std::string>{"chain.safetensors", "latest.safetensors", "store"});
  CHECK(fs::directory_iterator(dir.file("store"))->path().filename() == "weights.safetensors");

  AtomicFile file(link, "test");
  CHECK(file.target() == dir.file("store/weights.safetensors"));
}

TEST_CASE("atomic writes through a dangling link create its target; a link loop is refused",
          "[io]") {
  ScratchDir dir;
  const std::string link = dir.file("out.npy");
  fs::create_symlink(dir.file("made.npy"), link);
  save_npy(arange(3.0, kFloat64), link);
  CHECK(fs::is_symlink(link));
  CHECK(load_npy(dir.file("made.npy")).to_vector<double>() == std::vector<double>{0, 1, 2});

  fs::create_symlink("loop_b", dir.file("loop_a"));
  fs::create_symlink("loop_a", dir.file("loop_b"));
  CHECK_THROWS_WITH(save_npy(ones({1}), dir.file("loop_a")),
                    MG_CONTAINS("save_npy: cannot write '" + dir.file("loop_a") + "'") &&
                        MG_CONTAINS("levels of symbolic links"));
}

TEST_CASE("atomic writes refuse devices, FIFOs and links to them, leaving them in place", "[io]") {
  // As root, rename() would replace /dev/full itself with a regular file.
  CHECK_THROWS_WITH(save_npy(ones({1}), "/dev/full"),
                    MG_CONTAINS("save_npy: cannot write '/dev/full': it is a character device, "
                                "not a regular file"));
  struct stat st {};
  REQUIRE(::stat("/dev/full", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));

  ScratchDir dir;
  const std::string fifo = dir.file("pipe");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(write_file_atomically(fifo, "x"), MG_CONTAINS("it is a FIFO (named pipe)"));
  CHECK(fs::is_fifo(fifo));

  const std::string link = dir.file("null.safetensors");
  fs::create_symlink("/dev/null", link);
  CHECK_THROWS_WITH(save_file({{"a", ones({1})}}, link),
                    MG_CONTAINS("its target '/dev/null' is a character device"));
  CHECK(fs::is_symlink(link));
  CHECK(dir.entries() == std::vector<std::string>{"null.safetensors", "pipe"});
}

TEST_CASE("an atomic write removes the temporary files that dead writers left for its target",
          "[io]") {
  ScratchDir dir;
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);  // `child` is now a pid that no process has

  const std::string dead = fmt::format(".model.safetensors.tmp.{}.7", child);
  const std::string live = fmt::format(".model.safetensors.tmp.{}.7", ::getpid());
  const std::string other_target = fmt::format(".other.tmp.{}.0", child);
  const std::string not_ours = fmt::format(".model.safetensors.tmp.{}.x", child);
  for (const std::string& name : {dead, live, other_target, not_ours})
    write_bytes(dir.file(name), "leftover");
  save_file({{"a", ones({2})}}, dir.file("model.safetensors"));
  std::vector<std::string> expected{live, not_ours, other_target, "model.safetensors"};
  std::sort(expected.begin(), expected.end());
  CHECK(dir.entries() == expected);
}
