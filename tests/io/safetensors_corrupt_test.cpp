// safetensors reader validation: each corrupt file is written here and must be rejected with its
// own message, naming the file.
#include <set>

#include "tests/io/io_support.hpp"

using namespace metagrad;
using namespace metagrad::testing;

namespace {

struct CorruptCase {
  const char* what;
  std::string bytes;    // the whole file
  const char* message;  // a fragment only this case's error contains
};

/// The header text of one tensor entry.
std::string entry(const std::string& name, const std::string& dtype, const std::string& shape,
                  uint64_t begin, uint64_t end) {
  return fmt::format(R"("{}":{{"dtype":"{}","shape":{},"data_offsets":[{},{}]}})", name, dtype,
                     shape, begin, end);
}

std::string file_with(const std::string& entries, size_t data_bytes) {
  return safetensors_bytes("{" + entries + "}", std::string(data_bytes, '\x11'));
}

std::vector<CorruptCase> corrupt_cases() {
  const std::string a = entry("a", "F32", "[2]", 0, 8);
  return {
      {"file shorter than 8 bytes", std::string("\x08\x00\x00", 3), "shorter than the 8-byte"},
      {"empty file", std::string(), "file is 0 bytes"},
      {"header length above 100 MB", le_bytes(100'000'001, 8) + "{}      ",
       "exceeds the 100000000-byte limit"},
      {"header length past the end", le_bytes(64, 8) + "{}      ", "runs past the end of the file"},
      {"header not JSON", safetensors_bytes("{\"a\": ", ""), "header is not valid JSON"},
      {"header not UTF-8", safetensors_bytes("{\"a\xff\":1}", ""), "header is not valid JSON"},
      {"trailing garbage after JSON", safetensors_bytes("{}x", ""), "header is not valid JSON"},
      {"header an array", safetensors_bytes("[1, 2]", ""),
       "header is a JSON array, expected an object"},
      {"entry not an object", file_with(R"("a":[1,2])", 0), "entry 'a' is a JSON array"},
      {"entry without dtype", file_with(R"("a":{"shape":[2],"data_offsets":[0,8]})", 8),
       "entry 'a' has no 'dtype' field"},
      {"entry without shape", file_with(R"("a":{"dtype":"F32","data_offsets":[0,8]})", 8),
       "entry 'a' has no 'shape' field"},
      {"entry without data_offsets", file_with(R"("a":{"dtype":"F32","shape":[2]})", 8),
       "entry 'a' has no 'data_offsets' field"},
      {"dtype not a string", file_with(R"("a":{"dtype":4,"shape":[2],"data_offsets":[0,8]})", 8),
       "dtype must be a string"},
      {"unknown dtype", file_with(entry("a", "F99", "[2]", 0, 8), 8), "unknown dtype 'F99'"},
      {"unsupported dtype", file_with(entry("a", "C64", "[1]", 0, 8), 8),
       "unsupported dtype 'C64'"},
      {"shape not an array", file_with(entry("a", "F32", "2", 0, 8), 8), "shape must be an array"},
      {"negative shape", file_with(entry("a", "F32", "[-2]", 0, 8), 8), "negative size -2"},
      {"fractional shape", file_with(entry("a", "F32", "[2.5]", 0, 8), 8), "non-integer size 2.5"},
      {"string in shape", file_with(entry("a", "F32", "[\"2\"]", 0, 8), 8),
       "non-integer size \"2\""},
      {"too many dims", file_with(entry("a", "F32", "[1,1,1,1,1,1,1,1,1,1,1,1,1]", 0, 4), 4),
       "has 13 dimensions"},
      {"element count above int64",
       file_with(entry("a", "F32", "[0,4294967296,4294967296]", 0, 0), 0),
       "more elements than an int64 can count"},
      {"byte size overflows", file_with(entry("a", "F64", "[4611686018427387904]", 0, 8), 8),
       "overflows 64 bits"},
      {"byte size differs from offsets", file_with(entry("a", "F32", "[3]", 0, 8), 8),
       "shape [3] of F32 needs 12 bytes but data_offsets [0, 8] span 8"},
      {"offsets not two integers",
       file_with(R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0]})", 8),
       "data_offsets must be two non-negative integers"},
      {"negative offset", file_with(R"("a":{"dtype":"F32","shape":[0],"data_offsets":[-1,-1]})", 0),
       "data_offsets must be two non-negative integers"},
      {"offsets reversed", file_with(entry("a", "F32", "[0]", 8, 0), 8), "end before they begin"},
      {"offsets beyond the end", file_with(a + "," + entry("b", "F32", "[2]", 8, 16), 12),
       "entry 'b' ends at byte 16, beyond the end of the 12-byte data buffer"},
      {"leading gap", file_with(entry("a", "F32", "[2]", 4, 12), 12),
       "data buffer bytes [0, 4) before entry 'a' belong to no tensor"},
      {"gap between tensors", file_with(a + "," + entry("b", "F32", "[1]", 12, 16), 16),
       "gap: 4 bytes between entry 'a' (ends at byte 8) and entry 'b' (starts at byte 12)"},
      {"overlapping tensors", file_with(a + "," + entry("b", "F32", "[2]", 4, 12), 12),
       "entry 'b' (bytes [4, 12)) overlaps entry 'a' (bytes [0, 8))"},
      {"same bytes twice", file_with(a + "," + entry("b", "F32", "[2]", 0, 8), 8),
       "entry 'b' (bytes [0, 8)) overlaps entry 'a'"},
      {"trailing bytes", file_with(a, 12), "4 trailing bytes after the last tensor"},
      {"duplicate tensor name", file_with(a + "," + entry("a", "F32", "[2]", 0, 8), 8),
       "duplicate tensor name 'a'"},
      {"duplicate key in an entry",
       file_with(R"("a":{"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]})", 8),
       "duplicate key 'dtype' inside header entry 'a'"},
      {"metadata not an object", file_with(R"("__metadata__":["x"],)" + a, 8),
       "__metadata__ must be an object of string values, got a JSON array"},
      {"metadata value not a string", file_with(R"("__metadata__":{"k":1},)" + a, 8),
       "__metadata__ value of 'k' must be a string"},
      {"duplicate metadata key", file_with(R"("__metadata__":{"k":"1","k":"2"},)" + a, 8),
       "duplicate key 'k' inside header entry '__metadata__'"},
  };
}

}  // namespace

TEST_CASE("load_file rejects each corrupt file with its own error naming the file", "[io]") {
  ScratchDir dir;
  std::set<std::string> messages;
  const auto cases = corrupt_cases();
  for (size_t i = 0; i < cases.size(); ++i) {
    const CorruptCase& c = cases[i];
    INFO("case: " << c.what);
    const std::string path = dir.file(fmt::format("corrupt_{}.safetensors", i));
    write_bytes(path, c.bytes);
    std::string message;
    try {
      load_file(path);
    } catch (const Error& e) {
      message = e.what();
    }
    INFO("message: " << message);
    REQUIRE_FALSE(message.empty());
    CHECK_THAT(message, MG_CONTAINS("load_file: '" + path + "'"));
    CHECK_THAT(message, MG_CONTAINS(c.message));
    // Without the path, each case's message is its own.
    CHECK(messages.insert(message.substr(message.find(path) + path.size())).second);
  }
  CHECK(messages.size() == cases.size());
}

TEST_CASE("load_file names missing paths and folders", "[io]") {
  ScratchDir dir;
  CHECK_THROWS_WITH(load_file(dir.file("absent.safetensors")),
                    MG_CONTAINS("cannot open '" + dir.file("absent.safetensors") + "'"));
  CHECK_THROWS_WITH(load_file(dir.root().string()), MG_CONTAINS("is not a regular file"));
}

TEST_CASE("load_file accepts zero-size tensors anywhere in the layout", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("zeros.safetensors");
  const std::string header =
      "{" + entry("a", "F32", "[0]", 0, 0) + "," + entry("b", "F32", "[2]", 0, 8) + "," +
      entry("c", "I64", "[0,5]", 8, 8) + "," + entry("d", "BOOL", "[1]", 8, 9) + "}";
  write_bytes(path, safetensors_bytes(header, std::string("\0\0\x80\x3f\0\0\0\x40\x01", 9)));
  const SafetensorsFile f = load_file(path);
  CHECK(f.at("a").numel() == 0);
  CHECK(f.at("b").to_vector<float>() == std::vector<float>{1.0f, 2.0f});
  CHECK(f.at("c").shape() == Dims{0, 5});
  CHECK(f.at("d").item<bool>());
}
