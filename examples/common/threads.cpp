#include "examples/common/threads.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "engine/parallel.hpp"

namespace metagrad::examples {

int auto_threads() {
  double load = 0.0;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  if (getloadavg(&load, 1) != 1) return static_cast<int>(std::min(2u, cores));
  return load < cores - 0.5 ? 2 : 1;
}

std::string ThreadChoice::describe() const {
  return fmt::format("{} thread(s){}", threads,
                     automatic ? " (auto from the load average; --threads N to choose)" : "");
}

ThreadChoice use_threads(int requested) {
  const ThreadChoice choice{.threads = requested == 0 ? auto_threads() : requested,
                            .automatic = requested == 0};
  set_num_threads(choice.threads);
  return choice;
}

}  // namespace metagrad::examples
