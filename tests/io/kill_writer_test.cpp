// A writer killed by SIGKILL at random moments while it replaces a multi-MB file: the target
// always holds the old or the new complete file, and no temporary file stays behind.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <vector>

#include "tests/io/io_support.hpp"

using namespace metagrad;
using namespace metagrad::testing;

TEST_CASE("a writer killed at random moments leaves the old or the new file, never a mix",
          "[io][kill]") {
  ScratchDir dir;
  const std::string path = dir.file("big.safetensors");
  const int64_t n = int64_t{1} << 20;  // 4 MB of float32
  const Tensor old_version = arange(static_cast<double>(n), kFloat32);
  const Tensor new_version = old_version * -1.0 - 0.5;  // differs in every element
  save_file({{"w", old_version}}, path);

  // How long one save takes here, so that the kills land anywhere in a save.
  const auto start = std::chrono::steady_clock::now();
  save_file({{"w", new_version}}, path);
  save_file({{"w", old_version}}, path);
  const auto per_save = std::max<int64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now() - start)
                                                  .count() /
                                              2,
                                          200);

  std::mt19937_64 rng(20261203);
  std::uniform_int_distribution<int64_t> delay(0, 3 * per_save);
  int saw_old = 0;
  int saw_new = 0;
  int left_in_commit_window = 0;
  std::vector<pid_t> dead_writers;
  for (int kill = 0; kill < 50; ++kill) {
    INFO("kill " << kill << " (one save takes about " << per_save << " us)");
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      try {
        for (uint64_t i = 0;; ++i) save_file({{"w", i % 2 ? old_version : new_version}}, path);
      } catch (...) {
      }
      ::_exit(1);
    }
    ::usleep(static_cast<useconds_t>(delay(rng)));
    REQUIRE(::kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));

    const Tensor w = load_file(path).at("w");
    const bool is_old = bitwise_equal(w, old_version);
    const bool is_new = bitwise_equal(w, new_version);
    CHECK((is_old || is_new));
    saw_old += is_old;
    saw_new += is_new;
    // Only a kill between naming the finished file and renaming it (microseconds) can leave a
    // temporary file, and then only a dead writer's own: this one's, or an earlier one's that
    // this writer was killed before sweeping.
    dead_writers.push_back(child);
    const std::vector<std::string> entries = dir.entries();
    CHECK(std::count(entries.begin(), entries.end(), "big.safetensors") == 1);
    for (const std::string& name : entries) {
      if (name == "big.safetensors") continue;
      const bool of_a_dead_writer =
          std::any_of(dead_writers.begin(), dead_writers.end(), [&name](pid_t pid) {
            return name.rfind(fmt::format(".big.safetensors.tmp.{}.", pid), 0) == 0;
          });
      CHECK(of_a_dead_writer);
      if (name.rfind(fmt::format(".big.safetensors.tmp.{}.", child), 0) == 0)
        ++left_in_commit_window;
    }
  }
  INFO("old " << saw_old << ", new " << saw_new << ", leftovers " << left_in_commit_window);
  CHECK(saw_old + saw_new == 50);
  // With O_TMPFILE (the temporary file is anonymous while written) a kill almost never leaves a
  // file; without it, most kills do, and only the sweep below removes them.
  const bool anonymous = AtomicFile(dir.file("probe"), "probe").temp_path().empty();
  if (anonymous) CHECK(left_in_commit_window <= 3);
  // The next save of the same target sweeps whatever a dead writer left.
  save_file({{"w", new_version}}, path);
  CHECK(dir.entries() == std::vector<std::string>{"big.safetensors"});
  CHECK(bitwise_equal(load_file(path).at("w"), new_version));
}
