// A small distributed job that fails on purpose, for fault_test.py: five steps of all_reduce in
// which rank 1 misbehaves according to the mode (argv[1]):
//   throw     throws at step 2 (inside ProcessGroup::guard)
//   timeout   sleeps 30 s before step 2 (the collective timeout is 1 s)
//   mismatch  passes another shape at step 2
//   exit      leaves after step 1 (its group finalizes while the others still reduce)
// Each rank prints "rank R done" or "rank R error: MESSAGE" and exits 0 or 1.
#include <fmt/core.h>

#include <chrono>
#include <string>
#include <thread>

#include "metagrad.hpp"

namespace mg = metagrad;
namespace dist = metagrad::distributed;

namespace {

void run_steps(const std::string& mode, int rank) {
  for (int step = 0; step < 5; ++step) {
    if (rank == 1 && step == 2) {
      if (mode == "throw") throw mg::Error(fmt::format("boom at step {}", step));
      if (mode == "timeout") std::this_thread::sleep_for(std::chrono::seconds(30));
    }
    if (rank == 1 && step == 2 && mode == "exit") return;
    const int64_t size = rank == 1 && step == 2 && mode == "mismatch" ? 4 : 3;
    dist::all_reduce(mg::ones({size}, mg::kFloat32));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  int rank = -1;
  try {
    dist::ProcessGroup group = dist::init(
        {.timeout = mode == "timeout" ? std::chrono::seconds(1) : std::chrono::seconds(30)});
    rank = group.rank();
    group.guard([&] { run_steps(mode, rank); });
    group.finalize();
    fmt::print("rank {} done\n", rank);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "rank {} error: {}\n", rank, e.what());
    return 1;
  }
}
