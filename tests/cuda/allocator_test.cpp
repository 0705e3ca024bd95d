// The caching allocator (Note [caching allocator]) and out-of-memory handling of the CUDA backend.
#include <cmath>
#include <regex>
#include <string>

#include "cuda/caching_allocator.hpp"
#include "cuda/cuda.hpp"
#include "cuda/emulated_backend.hpp"
#include "cuda/host_executor.hpp"
#include "cuda/kernel_backend.hpp"
#include "engine/ops.hpp"
#include "tests/cuda/cuda_test_device.hpp"
#include "tests/support/catch.hpp"
#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::CudaTestDevice;

TEST_CASE("allocator buckets: 512-byte granules to 1 MiB, then eighths of a power of two",
          "[cuda]") {
  CHECK(CachingAllocator::bucket_of(0) == 512);
  CHECK(CachingAllocator::bucket_of(1) == 512);
  CHECK(CachingAllocator::bucket_of(512) == 512);
  CHECK(CachingAllocator::bucket_of(513) == 1024);
  CHECK(CachingAllocator::bucket_of(1 << 20) == (1 << 20));
  CHECK(CachingAllocator::bucket_of((1 << 20) + 1) == (1 << 20) + (1 << 17));
  CHECK(CachingAllocator::bucket_of(3'000'000) == 3'145'728);  // 2 MiB granule 256 KiB
  for (size_t n : {size_t{700'000}, size_t{5'000'001}, size_t{123'456'789}}) {
    const size_t b = CachingAllocator::bucket_of(n);
    CHECK(b >= n);
    CHECK(static_cast<double>(b - n) <= 0.125 * static_cast<double>(n) + 512);
  }
}

TEST_CASE("cuda memory stats: allocated, reserved, peak and the cache", "[cuda]") {
  CudaTestDevice device;
  cuda::synchronize();
  cuda::empty_cache();
  const DeviceMemoryStats before = cuda::memory_stats();
  cuda::reset_peak_memory_stats();
  {
    Tensor a = zeros({1024, 256}, TensorOptions(kFloat32, device.device()));  // 1 MiB
    const DeviceMemoryStats live = cuda::memory_stats();
    CHECK(live.allocated - before.allocated == 1 << 20);
    CHECK(live.reserved >= live.allocated);
    CHECK(live.peak_allocated >= live.allocated);
  }
  const DeviceMemoryStats freed = cuda::memory_stats();
  CHECK(freed.allocated == before.allocated);
  CHECK(freed.reserved - before.reserved == 1 << 20);  // cached, not returned
  CHECK(freed.peak_allocated - before.allocated == 1 << 20);
  {
    // The same size again comes from the cache: reserved does not grow.
    Tensor b = ones({256, 1024}, TensorOptions(kFloat32, device.device()));
    CHECK(cuda::memory_stats().reserved == freed.reserved);
  }
  cuda::empty_cache();
  CHECK(cuda::memory_stats().reserved == before.reserved - 0);
}

TEST_CASE(
    "cuda out of memory: a typed error naming the bytes and the device, then the process "
    "keeps working",
    "[cuda]") {
  CudaTestDevice device;
  const int64_t huge = int64_t{1} << 38;  // 1 TiB of float32: more than any device holds
  try {
    Tensor t = empty({huge}, TensorOptions(kFloat32, device.device()));
    FAIL("allocating 1 TiB succeeded");
  } catch (const OutOfMemoryError& e) {
    const std::string message = e.what();
    CHECK(message.find("CUDA out of memory") != std::string::npos);
    CHECK(message.find("tried to allocate 1099511627776 bytes") != std::string::npos);
    CHECK(message.find("cuda:0") != std::string::npos);
    CHECK(message.find("free of") != std::string::npos);
    // The MiB figures are the byte counts over 2^20.
    std::smatch figures;
    REQUIRE(std::regex_search(message, figures,
                              std::regex(R"(which has (\d+) bytes \(([\d.]+) MiB\) free of (\d+) )"
                                         R"(\(([\d.]+) MiB\))")));
    for (int i : {1, 3}) {
      INFO(figures[i].str() << " bytes, " << figures[i + 1].str() << " MiB");
      CHECK(std::abs(std::stod(figures[i].str()) / 1048576.0 - std::stod(figures[i + 1].str())) <=
            0.006);
    }
  }
  CHECK(cuda::memory_stats().retries >= 1);
  // Still usable: a matmul on the device gives the CPU's answer.
  Tensor a = arange(6, TensorOptions(kFloat64)).reshape({2, 3});
  Tensor b = arange(12, TensorOptions(kFloat64)).reshape({3, 4});
  Tensor on_device = matmul(a.to(device.device()), b.to(device.device())).to(kCPU);
  CHECK(metagrad::testing::allclose(on_device, matmul(a, b), 0.0, 0.0));
}

TEST_CASE("a storage returns its bytes to the backend that allocated them", "[cuda]") {
  CudaTestDevice device;
  if (!device.emulated()) MG_SKIP("swaps the emulated backends");
  // A second emulated device behind cuda:0 (static: it must outlive what it allocates).
  static KernelBackend<HostExecutor> other(size_t{1} << 30);
  Backend& first = emulated_cuda_backend();
  const int64_t first_before = first.memory_stats().allocated;
  const int64_t other_before = other.memory_stats().allocated;
  {
    const Tensor a = zeros({1024}, TensorOptions(kFloat32, device.device()));
    CHECK(first.memory_stats().allocated - first_before == 4096);
    register_cuda_backend(&other);
  }  // `a` dies while the other backend serves cuda:0
  CHECK(first.memory_stats().allocated == first_before);
  CHECK(other.memory_stats().allocated == other_before);
  register_cuda_backend(&first);
}
