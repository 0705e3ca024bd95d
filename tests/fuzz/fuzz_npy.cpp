// libFuzzer target: load_npy on arbitrary bytes; only metagrad::Error may come out.
#include "engine/io/npy.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string input = metagrad::fuzz::scratch_path("in.npy");
  metagrad::fuzz::write_input(input, data, size);
  try {
    metagrad::load_npy(input);
  } catch (const metagrad::Error&) {
  }
  return 0;
}
