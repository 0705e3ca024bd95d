// libFuzzer target: the Fashion-MNIST IDX readers (gzip or plain) on arbitrary bytes; only
// metagrad::Error may come out.
#include "examples/common/fashion_mnist.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string input = metagrad::fuzz::scratch_path("in.idx.gz");
  metagrad::fuzz::write_input(input, data, size);
  try {
    metagrad::examples::read_idx_images(input);
  } catch (const metagrad::Error&) {
  }
  try {
    metagrad::examples::read_idx_labels(input);
  } catch (const metagrad::Error&) {
  }
  return 0;
}
