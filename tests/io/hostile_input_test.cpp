// Hostile inputs for the file readers (issue 10): deep nesting, numbers out of range, bytes
// after a NUL, huge or very long headers, empty names. Each must end in a metagrad::Error naming
// the file, never a crash or another exception type, and within bounded memory.
#include <chrono>
#include <string>

#include "optim/checkpoint.hpp"
#include "tests/io/io_support.hpp"

using namespace metagrad;
using namespace metagrad::testing;

namespace {

/// The message of the metagrad::Error that `load` throws ("" when it throws nothing; any other
/// exception type fails the test by escaping).
template <typename Load>
std::string error_of(Load&& load) {
  try {
    load();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("load_file rejects 100k nested brackets anywhere in the header without recursing",
          "[io]") {
  ScratchDir dir;
  const std::string deep = nested(100000);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"a":{"dtype":)" + deep + R"(,"shape":[0],"data_offsets":[0,0]}})",
       "dtype must be a string like \"F32\", got a JSON array"},
      {R"({"a":{"dtype":"F32","shape":)" + deep + R"(,"data_offsets":[0,0]}})",
       "shape has the non-integer size [...]"},
      {R"({"a":{"dtype":"F32","shape":[0],"data_offsets":)" + deep + "}}",
       "data_offsets must be two non-negative integers [begin, end], got a JSON array"},
      {R"({"__metadata__":{"k":)" + deep + "}}",
       "__metadata__ value of 'k' must be a string, got a JSON array"},
      {R"({"a":{"extra":)" + deep + "}}", "an unknown field nests containers"},
      {R"({"a":)" + deep + "}", "entry 'a' is a JSON array"},
      {deep, "header is a JSON array, expected an object"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i << ": " << cases[i].second);
    const std::string path = dir.file(fmt::format("deep_{}.safetensors", i));
    write_bytes(path, safetensors_bytes(cases[i].first, ""));
    const std::string message = error_of([&] { load_file(path); });
    CHECK_THAT(message, MG_CONTAINS("load_file: '" + path + "'"));
    CHECK_THAT(message, MG_CONTAINS(cases[i].second));
    CHECK(message.size() < 1000);  // nothing of the input is dumped whole
  }
}

TEST_CASE("load_file turns every JSON library failure into a metagrad::Error", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("overflow.safetensors");
  write_bytes(path, safetensors_bytes(R"({"a":1e999})", ""));
  CHECK_THAT(error_of([&] { load_file(path); }),
             MG_CONTAINS("header is not valid JSON") && MG_CONTAINS("1e999"));
  write_bytes(path, safetensors_bytes(R"({"a":{"dtype":"F32","shape":[-1e999]}})", ""));
  CHECK_THAT(error_of([&] { load_file(path); }), MG_CONTAINS("header is not valid JSON"));
  // A 1 MB token quoted by the JSON library's own message is cut short.
  write_bytes(path, safetensors_bytes("{\"" + std::string(1 << 20, 'x') + "\u0001\"}", ""));
  const std::string message = error_of([&] { load_file(path); });
  CHECK_THAT(message, MG_CONTAINS("header is not valid JSON"));
  CHECK(message.size() < 1000);
}

TEST_CASE("load_file rejects bytes after a NUL in the header and accepts space padding", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("nul.safetensors");
  const std::string valid = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  write_bytes(path, safetensors_bytes(valid + std::string("\0 garbage", 9), "\0\0\x80\x3f"));
  CHECK_THAT(error_of([&] { load_file(path); }),
             MG_CONTAINS("header holds a NUL byte at offset " + std::to_string(valid.size())));
  write_bytes(path,
              safetensors_bytes(valid + std::string(40, ' '), std::string("\0\0\x80\x3f", 4)));
  CHECK(load_file(path).at("a").item<float>() == 1.0f);
}

TEST_CASE("load_file rejects an empty tensor name, as save_file does", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("empty_name.safetensors");
  write_bytes(path,
              safetensors_bytes(R"({"":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})", ""));
  CHECK_THAT(error_of([&] { load_file(path); }), MG_CONTAINS("a tensor has the empty name \"\""));
  CHECK_THROWS_WITH(save_file({{"", ones({1})}}, path), MG_CONTAINS("names must be non-empty"));
}

TEST_CASE("load_file reads 200k zero-size entries in one linear pass", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("many.safetensors");
  const int count = 200000;
  std::string header = "{";
  for (int i = 0; i < count; ++i)
    header += fmt::format(R"({}"t{}":{{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})",
                          i ? "," : "", i);
  header += "}";
  write_bytes(path, safetensors_bytes(header, ""));
  const SafetensorsFile f = load_file(path);
  REQUIRE(f.tensors.size() == static_cast<size_t>(count));
  CHECK(f.tensors.front().first == "t0");
  CHECK(f.tensors[1].first == "t1");
  CHECK(f.tensors[2].first == "t10");  // name order
  CHECK(f.at("t199999").numel() == 0);
  CHECK(f.at("t123456").shape() == Dims{0});

  // The same with one duplicate at the very end: found through a hash set, not a rescan.
  header.back() = ',';
  header += R"("t5":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})";
  write_bytes(path, safetensors_bytes(header, ""));
  CHECK_THAT(error_of([&] { load_file(path); }), MG_CONTAINS("duplicate tensor name 't5'"));
}

TEST_CASE("load_file rejects a huge header before reading or parsing it", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("huge.safetensors");
  // The length prefix claims 2^62 bytes; the file holds a few. Nothing is allocated for it.
  write_bytes(path, le_bytes(uint64_t{1} << 62, 8) + "{\"__metadata__\":[");
  CHECK_THAT(error_of([&] { load_file(path); }),
             MG_CONTAINS("header length 4611686018427387904 exceeds the 100000000-byte limit"));
  // Just under the limit but past the end of the file.
  write_bytes(path, le_bytes(99'999'992, 8) + "{\"__metadata__\":[");
  CHECK_THAT(error_of([&] { load_file(path); }), MG_CONTAINS("runs past the end of the file"));
  // An 8 MB metadata array is rejected at its first byte, not after building it.
  write_bytes(path,
              safetensors_bytes("{\"__metadata__\":[" + std::string(8 << 20, '1') + "]}", ""));
  CHECK_THAT(error_of([&] { load_file(path); }),
             MG_CONTAINS("__metadata__ must be an object of string values, got a JSON array"));
}

TEST_CASE("load_file quotes at most a short excerpt of long names", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("long_name.safetensors");
  const std::string name(1 << 20, 'n');
  write_bytes(path,
              safetensors_bytes(
                  "{\"" + name + R"(":{"dtype":"F99","shape":[0],"data_offsets":[0,0]}})", ""));
  const std::string message = error_of([&] { load_file(path); });
  CHECK_THAT(message, MG_CONTAINS("unknown dtype 'F99'") && MG_CONTAINS("(1048576 bytes in all)"));
  CHECK(message.size() < 1000);
}

TEST_CASE("load_npy rejects deep nesting and many keys quickly with a metagrad::Error", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("deep.npy");
  const auto npy = [](const std::string& dict) {
    return std::string("\x93NUMPY\x01\x00", 8) + le_bytes(dict.size(), 2) + dict;
  };
  write_bytes(path, npy("{'descr': " + nested(30000) + "}"));
  CHECK_THAT(error_of([&] { load_npy(path); }), MG_CONTAINS("header nests more than 32 levels"));
  // 5000 distinct keys, the last repeated: found through a hash set.
  std::string keys = "{";
  for (int i = 0; i < 5000; ++i) keys += fmt::format("'k{}': 0, ", i);
  keys += "'k7': 1}";
  write_bytes(path, npy(keys));
  CHECK_THAT(error_of([&] { load_npy(path); }), MG_CONTAINS("header dict has the key 'k7' twice"));
}

TEST_CASE("read_state rejects a deeply nested or malformed structure with a metagrad::Error",
          "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("opt.safetensors");
  const auto with_structure = [&](const std::string& structure) {
    save_file({}, path,
              {{"format", "metagrad.optim_state"},
               {"format_version", "1"},
               {"num_groups", "1"},
               {"structure", structure}});
  };
  with_structure("[" + nested(200000) + "]");
  CHECK_THAT(error_of([&] { read_state(path); }),
             MG_CONTAINS("read_state('" + path + "')") && MG_CONTAINS("nests more than 64 levels"));
  // Children nested 40 deep: within JSON's limit of 64 only up to 29 levels.
  std::string tree = R"({"kind":"k","tensors":[],"counters":[],"children":[]})";
  for (int i = 0; i < 40; ++i)
    tree = R"({"kind":"k","tensors":[],"counters":[],"children":[)" + tree + "]}";
  with_structure("[" + tree + "]");
  CHECK_THAT(error_of([&] { read_state(path); }), MG_CONTAINS("nests more than 64 levels"));
  with_structure(R"([{"kind":"k","tensors":[{"name":"m","entries":[{"shape":[1e999]}]}]}])");
  CHECK_THAT(error_of([&] { read_state(path); }),
             MG_CONTAINS("the \"structure\" metadata is not valid JSON"));
  with_structure(R"([5])");
  CHECK_THAT(error_of([&] { read_state(path); }), MG_CONTAINS("has no valid \"kind\" field"));
}
