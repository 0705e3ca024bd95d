// The per-thread object pool behind make_pooled (Note [object pool] in engine/pool_allocator.hpp):
// every request gets at least its bytes, aligned, in blocks that never overlap, also when served
// from a free list; a freed block serves the next request of its 64-byte size class; and a thread
// keeps at most 4 MiB of freed blocks. Under AddressSanitizer nothing is pooled, and only the
// first property is checked.
#include "engine/pool_allocator.hpp"

#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "engine/address_sanitizer.hpp"
#include "tests/support/catch.hpp"

using metagrad::kMaxPooledBytes;
using metagrad::kPoolGranule;
using metagrad::kThreadPoolBytes;
using metagrad::pool_allocate;
using metagrad::pool_deallocate;

namespace {

struct Block {
  unsigned char* data;
  size_t bytes;
};

// Allocates every size in [1, max_bytes], fills each block with a byte of its own, then checks
// that no block's bytes were overwritten by another's and that every block is aligned.
std::vector<Block> fill_every_size(size_t max_bytes, unsigned char salt) {
  std::vector<Block> blocks;
  for (size_t bytes = 1; bytes <= max_bytes; ++bytes) {
    auto* data = static_cast<unsigned char*>(pool_allocate(bytes));
    std::memset(data, static_cast<int>((bytes + salt) & 0xff), bytes);
    blocks.push_back({data, bytes});
  }
  return blocks;
}

bool intact_and_aligned(const std::vector<Block>& blocks, unsigned char salt) {
  for (const Block& b : blocks) {
    if (reinterpret_cast<uintptr_t>(b.data) % alignof(std::max_align_t) != 0) return false;
    const auto expected = static_cast<unsigned char>((b.bytes + salt) & 0xff);
    for (size_t i = 0; i < b.bytes; ++i)
      if (b.data[i] != expected) return false;
  }
  return true;
}

void free_all(const std::vector<Block>& blocks) {
  for (const Block& b : blocks) pool_deallocate(b.data, b.bytes);
}

}  // namespace

TEST_CASE("pool_allocate gives every request its bytes, also from the free lists", "[allocator]") {
  // The first round comes from ::operator new, the second from the blocks the first freed.
  const std::vector<Block> first = fill_every_size(kMaxPooledBytes + 130, 0);
  CHECK(intact_and_aligned(first, 0));
  free_all(first);
  const std::vector<Block> second = fill_every_size(kMaxPooledBytes + 130, 77);
  CHECK(intact_and_aligned(second, 77));
  free_all(second);
}

TEST_CASE("a freed pooled block serves the next request of its size class", "[allocator]") {
  if (MG_ADDRESS_SANITIZER) {
    SUCCEED("nothing is pooled under AddressSanitizer");
    return;
  }
  for (const size_t bytes : {size_t{1}, size_t{64}, size_t{65}, size_t{1000}, kMaxPooledBytes}) {
    void* block = pool_allocate(bytes);
    pool_deallocate(block, bytes);
    const size_t same_class =
        (bytes - 1) / kPoolGranule * kPoolGranule + 1;  // the class's smallest size
    void* reused = pool_allocate(same_class);
    CHECK(reused == block);
    pool_deallocate(reused, same_class);
  }
}

TEST_CASE("a thread keeps at most 4 MiB of freed blocks", "[allocator]") {
  if (MG_ADDRESS_SANITIZER) {
    SUCCEED("nothing is pooled, and malloc is AddressSanitizer's, under AddressSanitizer");
    return;
  }
  // A fresh thread frees 1.5 times its cap in blocks of the largest class: malloc gets back the
  // blocks beyond the cap (mallinfo2 counts what is still allocated from malloc).
  constexpr size_t kBlocks = kThreadPoolBytes / kMaxPooledBytes * 3 / 2;
  size_t in_use_before_free = 0, in_use_after_free = 0;
  std::thread([&] {
    std::vector<void*> blocks;
    for (size_t i = 0; i < kBlocks; ++i) blocks.push_back(pool_allocate(kMaxPooledBytes));
    in_use_before_free = mallinfo2().uordblks;
    for (void* b : blocks) pool_deallocate(b, kMaxPooledBytes);
    in_use_after_free = mallinfo2().uordblks;
  }).join();
  const size_t returned = in_use_before_free - in_use_after_free;
  const size_t beyond_cap = kMaxPooledBytes * (kBlocks - kThreadPoolBytes / kMaxPooledBytes);
  CHECK(returned >= beyond_cap);
  CHECK(returned < beyond_cap + kThreadPoolBytes / 2);
}
