// The CPU allocator's large-block cache (Note [host block caches] in
// engine/backend/cpu/cpu_allocator.cpp): its eviction policy on its own, and, through tensors,
// that nearby sizes share a size class and that cpu_empty_cache returns the cached blocks.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "engine/address_sanitizer.hpp"
#include "engine/backend/cpu/large_block_cache.hpp"
#include "engine/backend/size_bucket.hpp"
#include "engine/memory_stats.hpp"
#include "tests/support/helpers.hpp"

using namespace metagrad;

namespace {

// Under AddressSanitizer the allocator caches nothing, so that it sees every use after free.
#if MG_ADDRESS_SANITIZER
constexpr bool kCaching = false;
#else
constexpr bool kCaching = true;
#endif

// VmRSS of this process in bytes, or -1.
int64_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    int64_t kib = -1;
    fields >> kib;
    return kib < 0 ? -1 : kib * 1024;
  }
  return -1;
}

}  // namespace

TEST_CASE("size classes round up by at most an eighth of the power of two below", "[allocator]") {
  using detail::eighth_power_of_two_bucket;
  CHECK(eighth_power_of_two_bucket(65536, "t") == 65536);
  CHECK(eighth_power_of_two_bucket(65537, "t") == 65536 + 8192);
  CHECK(eighth_power_of_two_bucket(47 << 20, "t") == size_t{48} << 20);
  CHECK(eighth_power_of_two_bucket(48 << 20, "t") == size_t{48} << 20);
  CHECK(eighth_power_of_two_bucket((48 << 20) + 1, "t") == size_t{52} << 20);
  CHECK_THROWS_WITH(eighth_power_of_two_bucket(SIZE_MAX - 3, "CPU allocator"),
                    MG_CONTAINS("CPU allocator: a request of") && MG_CONTAINS("overflows"));
}

TEST_CASE("the large-block cache frees least recently used size classes to make room",
          "[allocator]") {
  cpu::LargeBlockCache cache(3000);
  void* a = std::malloc(16);
  void* b = std::malloc(16);
  void* c = std::malloc(16);
  void* d = std::malloc(16);
  REQUIRE(cache.give(a, 1000));
  REQUIRE(cache.give(b, 500));
  CHECK(cache.cached_bytes() == 1500);
  CHECK(cache.take(700) == nullptr);  // exact classes only
  CHECK(cache.take(1000) == a);
  REQUIRE(cache.give(a, 1000));  // class 1000 is now the most recently used one
  REQUIRE(cache.give(c, 1000));
  CHECK(cache.cached_bytes() == 2500);
  // 2500 + 1000 > 3000: the class 500 (used least recently) goes first, and that is enough.
  REQUIRE(cache.give(d, 1000));
  CHECK(cache.cached_bytes() == 3000);
  CHECK(cache.take(500) == nullptr);
  // A block larger than the whole cache is refused; the caller frees it.
  void* huge = std::malloc(16);
  CHECK_FALSE(cache.give(huge, 4000));
  std::free(huge);
  // Room for a class-2000 block: two of the three class-1000 blocks go.
  void* e = std::malloc(16);
  REQUIRE(cache.give(e, 2000));
  CHECK(cache.cached_bytes() == 3000);
  CHECK(cache.take(2000) == e);
  void* survivor = cache.take(1000);
  CHECK(survivor != nullptr);
  CHECK(cache.take(1000) == nullptr);
  std::free(e);
  std::free(survivor);
  REQUIRE(cache.give(std::malloc(16), 1000));
  cache.release_all();
  CHECK(cache.cached_bytes() == 0);
}

TEST_CASE("the default large-block cache limit is a quarter of memory, at least 1 GiB",
          "[allocator]") {
  CHECK(cpu::default_large_cache_limit() >= size_t{1} << 30);
}

TEST_CASE("a freed large tensor's block serves the next request of its size class", "[allocator]") {
  if (!kCaching) MG_SKIP("AddressSanitizer build: the CPU allocator caches nothing");
  const void* first = nullptr;
  {
    const Tensor t = empty({12 << 20});  // 48 MiB of float32
    first = t.raw_data();
  }
  const Tensor smaller = empty({(47 << 20) / 4});  // 47 MiB: the same 48 MiB class
  CHECK(smaller.raw_data() == first);
}

TEST_CASE("cpu_empty_cache returns the cached blocks to the system", "[allocator]") {
  if (!kCaching) MG_SKIP("AddressSanitizer build: the CPU allocator caches nothing");
  constexpr int64_t kBytes = int64_t{64} << 20;
  { const Tensor t = full({kBytes / 4}, 1.0); }  // touched pages, then cached
  const int64_t cached = resident_bytes();
  cpu_empty_cache();
  const int64_t emptied = resident_bytes();
  if (cached < 0 || emptied < 0) MG_SKIP("/proc/self/status has no VmRSS here");
  CHECK(cached - emptied >= kBytes * 3 / 4);
}
