#pragma once

// The process group of a distributed test executable: joined on first use (a world of one when
// the test runs without mpirun) and left at exit. Every rank runs every test case, so each one
// makes the same collective calls on every rank.
#include <chrono>
#include <cstdint>

#include "metagrad.hpp"
#include "tests/support/helpers.hpp"

namespace metagrad::testing {

/// The test executable's process group.
inline distributed::ProcessGroup& world() {
  static distributed::ProcessGroup group = distributed::init({.timeout = std::chrono::seconds(60)});
  return group;
}

/// Rank r's input for a test: a float64 leaf from a seed of (salt, r), the same on every rank, so
/// that each rank can rebuild every other rank's input for a single-process reference.
inline Tensor rank_input(int r, const Dims& shape, uint64_t salt) {
  return randn64(shape, salt * 1000 + static_cast<uint64_t>(r));
}

}  // namespace metagrad::testing
