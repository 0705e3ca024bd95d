// libFuzzer target: read_state (the optimizer-checkpoint loader) on arbitrary bytes; only
// metagrad::Error may come out.
#include "optim/checkpoint.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string input = metagrad::fuzz::scratch_path("in.opt.safetensors");
  metagrad::fuzz::write_input(input, data, size);
  try {
    metagrad::read_state(input);
  } catch (const metagrad::Error&) {
  }
  return 0;
}
