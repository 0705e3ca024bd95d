// libFuzzer target: load_file on arbitrary bytes. A metagrad::Error is the expected outcome of bad
// input; any other exception, crash or sanitizer report is a finding. A file that loads must save
// and load again to the same tensors and metadata.
#include <cstring>

#include "engine/io/safetensors.hpp"
#include "tests/fuzz/fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string input = metagrad::fuzz::scratch_path("in.safetensors");
  static const std::string copy = metagrad::fuzz::scratch_path("copy.safetensors");
  metagrad::fuzz::write_input(input, data, size);
  metagrad::SafetensorsFile file;
  try {
    file = metagrad::load_file(input);
  } catch (const metagrad::Error&) {
    return 0;
  }
  metagrad::save_file(file.tensors, copy, file.metadata);
  const metagrad::SafetensorsFile again = metagrad::load_file(copy);
  if (again.metadata != file.metadata || again.tensors.size() != file.tensors.size())
    __builtin_trap();
  for (size_t i = 0; i < file.tensors.size(); ++i) {
    const auto& [name, t] = file.tensors[i];
    const auto& [name2, t2] = again.tensors[i];
    const size_t nbytes = static_cast<size_t>(t.numel()) * metagrad::element_size(t.dtype());
    if (name != name2 || t.dtype() != t2.dtype() || !(t.shape() == t2.shape()) ||
        (nbytes > 0 && std::memcmp(t.raw_data(), t2.raw_data(), nbytes) != 0))
      __builtin_trap();
  }
  return 0;
}
