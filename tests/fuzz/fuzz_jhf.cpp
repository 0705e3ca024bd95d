// libFuzzer target: the Hershey .jhf parser on arbitrary text, from memory; only metagrad::Error
// may come out.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/error.hpp"
#include "examples/common/hershey.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    metagrad::examples::parse_jhf(std::string_view(reinterpret_cast<const char*>(data), size),
                                  "fuzz.jhf", "fuzz");
  } catch (const metagrad::Error&) {
  }
  return 0;
}
