// safetensors: round trips, the exact bytes written, files written by independent writers
// (assembled by hand in the test, and the Python-written golden files), widening dtypes.
#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "tests/io/io_support.hpp"

using namespace metagrad;
using namespace metagrad::testing;

namespace {

/// A float32 tensor whose elements have exactly these bit patterns.
Tensor float_bits(const std::vector<uint32_t>& bits) {
  Tensor t = empty({static_cast<int64_t>(bits.size())}, kFloat32);
  std::memcpy(t.raw_data(), bits.data(), bits.size() * 4);
  return t;
}

Tensor double_bits(const std::vector<uint64_t>& bits) {
  Tensor t = empty({static_cast<int64_t>(bits.size())}, kFloat64);
  std::memcpy(t.raw_data(), bits.data(), bits.size() * 8);
  return t;
}

Tensor int64_values(const std::vector<int64_t>& values, const Dims& shape) {
  Tensor t = empty(shape, kInt64);
  std::memcpy(t.raw_data(), values.data(), values.size() * 8);
  return t;
}

/// Every tensor of `a` equals the one of the same name in `b`, bit for bit, in the same order.
void check_same_tensors(const NamedTensors& a, const NamedTensors& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("tensor " << a[i].first);
    CHECK(a[i].first == b[i].first);
    CHECK(bitwise_equal(a[i].second, b[i].second));
  }
}

}  // namespace

TEST_CASE("save_file/load_file round-trip every dtype bit-exactly, with metadata", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("all.safetensors");
  const NamedTensors tensors = {
      {"f32", float_bits({0x7fc00123u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x00000001u,
                          std::bit_cast<uint32_t>(1.1f)})},
      {"f64", double_bits({0x7ff8000000000abcull, 0x8000000000000000ull, 0x0000000000000001ull,
                           std::bit_cast<uint64_t>(-2.5e300)})},
      {"i64", int64_values({std::numeric_limits<int64_t>::min(), -1, 0, 42,
                            std::numeric_limits<int64_t>::max(), 7},
                           {2, 3})},
      {"mask", tensor({1, 0, 0, 1, 1}, kBool)},
      {"scalar", scalar_tensor(-3.25, kFloat64)},
      {"empty_rows", zeros({0, 3}, kFloat32)},
      {"empty_cols", zeros({2, 0}, kInt64)},
      {"empty_bool", zeros({0}, kBool)},
  };
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"note", "\"quoted\" é"}};
  save_file(tensors, path, metadata);
  const SafetensorsFile loaded = load_file(path);
  CHECK(loaded.metadata == metadata);
  NamedTensors by_name = tensors;
  std::sort(by_name.begin(), by_name.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  check_same_tensors(loaded.tensors, by_name);
  for (const auto& [name, t] : loaded.tensors) {
    CHECK(t.is_contiguous());
    CHECK(t.device() == kCPU);
    CHECK_FALSE(t.requires_grad());
  }
  CHECK(loaded.at("scalar").dim() == 0);
  CHECK(loaded.at("scalar").item<double>() == -3.25);
  CHECK(loaded.at("empty_cols").shape() == Dims{2, 0});
  CHECK(loaded.contains("mask"));
  CHECK_FALSE(loaded.contains("missing"));
  CHECK_THROWS_WITH(loaded.at("missing"), MG_CONTAINS("no tensor named 'missing'"));
  CHECK(load_file(path, kCPU).tensors.size() == tensors.size());
}

TEST_CASE("save_file writes non-contiguous, expanded and grad-requiring tensors by value", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("views.safetensors");
  Tensor base = arange(12.0, kFloat64).reshape({3, 4});
  Tensor transposed = base.t();
  Tensor strided = base.slice(1, 0, 4, 2);
  Tensor expanded = tensor({1.5, -2.5}, kFloat32).reshape({2, 1}).expand({2, 3});
  Tensor leaf = noncontiguous(randn64({2, 3}, 7));
  Tensor ints = arange(10.0, kInt64).slice(0, 1, 10, 3);
  REQUIRE_FALSE(transposed.is_contiguous());
  REQUIRE_FALSE(leaf.is_contiguous());
  save_file({{"t", transposed}, {"s", strided}, {"e", expanded}, {"leaf", leaf}, {"ints", ints}},
            path);
  const SafetensorsFile f = load_file(path);
  CHECK(bitwise_equal(f.at("t"), transposed));
  CHECK(f.at("t").to_vector<double>() == std::vector<double>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  CHECK(f.at("s").to_vector<double>() == std::vector<double>{0, 2, 4, 6, 8, 10});
  CHECK(f.at("e").to_vector<float>() == std::vector<float>{1.5f, 1.5f, 1.5f, -2.5f, -2.5f, -2.5f});
  CHECK(bitwise_equal(f.at("leaf"), leaf));
  CHECK_FALSE(f.at("leaf").requires_grad());
  CHECK(f.at("ints").to_vector<int64_t>() == std::vector<int64_t>{1, 4, 7});
  // Only the viewed elements are written: 12*8 + 6*8 + 6*4 + 6*8 + 3*8 bytes after the header.
  const std::string bytes = read_bytes(path);
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i)
    header_len |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  CHECK(bytes.size() == 8 + header_len + 240);
}

TEST_CASE("save_file writes the header and data layout of the reference writer", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("layout.safetensors");
  save_file({{"b", tensor({1.0, -2.0}, kFloat32)},
             {"a", int64_values({-2}, {})},
             {"c", tensor({1, 0, 1}, kBool)}},
            path, {{"kind", "demo"}});
  const std::string header =
      R"({"__metadata__":{"kind":"demo"},"a":{"dtype":"I64","shape":[],"data_offsets":[0,8]},)"
      R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
      R"("c":{"dtype":"BOOL","shape":[3],"data_offsets":[16,19]}})";
  const std::string data =
      le_bytes(static_cast<uint64_t>(-2), 8) + le_bytes(std::bit_cast<uint32_t>(1.0f), 4) +
      le_bytes(std::bit_cast<uint32_t>(-2.0f), 4) + std::string("\x01\x00\x01", 3);
  const std::string expected = safetensors_bytes(header, data);
  CHECK((expected.size() - 19 - 8) % 8 == 0);
  CHECK(read_bytes(path) == expected);

  save_file({}, path);
  CHECK(read_bytes(path) == safetensors_bytes("{}", ""));
  CHECK(load_file(path).tensors.empty());
}

TEST_CASE("load_file reads a file assembled by hand by an independent writer", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("by_hand.safetensors");
  // Offsets in a different order than the names, keys in a different order than ours,
  // whitespace in the JSON and trailing padding spaces, as other writers may produce.
  const std::string header =
      "{ \"weight\": {\"shape\": [2, 2], \"dtype\": \"F64\", \"data_offsets\": [24, 56]},\n"
      "  \"__metadata__\": {\"format\": \"pt\"},\n"
      "  \"labels\": {\"data_offsets\": [0, 24], \"dtype\": \"I64\", \"shape\": [3]},\n"
      "  \"flag\": {\"dtype\": \"BOOL\", \"shape\": [], \"data_offsets\": [56, 57]} }   ";
  std::string data;
  for (int64_t v : {int64_t{5}, int64_t{-7}, int64_t{1} << 40}) data += le_bytes(v, 8);
  for (double v : {0.5, -1.25, 3.0e-310, 1e300}) data += le_bytes(std::bit_cast<uint64_t>(v), 8);
  data += '\x01';
  write_bytes(path, le_bytes(header.size(), 8) + header + data);
  const SafetensorsFile f = load_file(path);
  REQUIRE(f.tensors.size() == 3);
  CHECK(f.tensors[0].first == "flag");
  CHECK(f.tensors[1].first == "labels");
  CHECK(f.tensors[2].first == "weight");
  CHECK(f.metadata == std::map<std::string, std::string>{{"format", "pt"}});
  CHECK(f.at("labels").dtype() == kInt64);
  CHECK(f.at("labels").to_vector<int64_t>() == std::vector<int64_t>{5, -7, int64_t{1} << 40});
  CHECK(f.at("weight").dtype() == kFloat64);
  CHECK(f.at("weight").shape() == Dims{2, 2});
  CHECK(f.at("weight").to_vector<double>() == std::vector<double>{0.5, -1.25, 3.0e-310, 1e300});
  CHECK(f.at("flag").dim() == 0);
  CHECK(f.at("flag").item<bool>());
}

TEST_CASE("load_file widens F16, BF16 and narrow integers exactly and normalises bool bytes",
          "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("narrow.safetensors");
  struct Column {
    const char* name;
    const char* dtype;
    int64_t count;
    std::string bytes;
  };
  std::string f16;
  // 1, -2, 65504 (max), 2^-24 (smallest subnormal), 0.5, +inf, -0, 2^-14 (smallest normal)
  for (uint16_t h : {0x3C00, 0xC000, 0x7BFF, 0x0001, 0x3800, 0x7C00, 0x8000, 0x0400})
    f16 += le_bytes(h, 2);
  std::string bf16;
  for (uint16_t h : {0x3F80, 0xC040, 0x7F80}) bf16 += le_bytes(h, 2);  // 1, -3, +inf
  const std::vector<Column> columns = {
      {"a_f16", "F16", 8, f16},
      {"b_bf16", "BF16", 3, bf16},
      {"c_i8", "I8", 2, le_bytes(0x80, 1) + le_bytes(0x7f, 1)},
      {"d_u8", "U8", 2, le_bytes(0xff, 1) + le_bytes(0x01, 1)},
      {"e_i16", "I16", 1, le_bytes(0x8000, 2)},
      {"f_u16", "U16", 1, le_bytes(0xffff, 2)},
      {"g_i32", "I32", 2, le_bytes(0xfffffffb, 4) + le_bytes(0x7fffffff, 4)},
      {"h_u32", "U32", 1, le_bytes(0xffffffff, 4)},
      {"i_bool", "BOOL", 3, std::string("\x02\x00\xff", 3)},
  };
  std::string header = "{";
  std::string data;
  for (const Column& c : columns) {
    header += fmt::format("{}\"{}\":{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
                          data.empty() ? "" : ",", c.name, c.dtype, c.count, data.size(),
                          data.size() + c.bytes.size());
    data += c.bytes;
  }
  header += "}";
  write_bytes(path, safetensors_bytes(header, data));
  const SafetensorsFile f = load_file(path);
  CHECK(f.at("a_f16").dtype() == kFloat32);
  const auto halves = f.at("a_f16").to_vector<float>();
  CHECK(halves[0] == 1.0f);
  CHECK(halves[1] == -2.0f);
  CHECK(halves[2] == 65504.0f);
  CHECK(halves[3] == std::ldexp(1.0f, -24));
  CHECK(halves[4] == 0.5f);
  CHECK(halves[5] == std::numeric_limits<float>::infinity());
  CHECK(std::bit_cast<uint32_t>(halves[6]) == 0x80000000u);
  CHECK(halves[7] == std::ldexp(1.0f, -14));
  CHECK(f.at("b_bf16").to_vector<float>() ==
        std::vector<float>{1.0f, -3.0f, std::numeric_limits<float>::infinity()});
  CHECK(f.at("c_i8").to_vector<int64_t>() == std::vector<int64_t>{-128, 127});
  CHECK(f.at("d_u8").to_vector<int64_t>() == std::vector<int64_t>{255, 1});
  CHECK(f.at("e_i16").to_vector<int64_t>() == std::vector<int64_t>{-32768});
  CHECK(f.at("f_u16").to_vector<int64_t>() == std::vector<int64_t>{65535});
  CHECK(f.at("g_i32").to_vector<int64_t>() == std::vector<int64_t>{-5, 2147483647});
  CHECK(f.at("h_u32").to_vector<int64_t>() == std::vector<int64_t>{4294967295});
  CHECK(f.at("c_i8").dtype() == kInt64);
  const Tensor flags = f.at("i_bool");
  CHECK(flags.dtype() == kBool);
  const auto* raw = static_cast<const unsigned char*>(flags.raw_data());
  CHECK(raw[0] == 1);
  CHECK(raw[1] == 0);
  CHECK(raw[2] == 1);
}

TEST_CASE(
    "load_file reads the Python-written golden files, and save_file rewrites them "
    "byte for byte",
    "[io]") {
  const std::filesystem::path golden = std::filesystem::path(MG_SOURCE_ROOT) / "tests" / "golden";
  const SafetensorsFile sgd = load_file((golden / "optim_sgd_plain.safetensors").string());
  CHECK(sgd.metadata.at("kind") == "optim");
  CHECK_THAT(sgd.metadata.at("spec"), MG_CONTAINS("\"name\": \"sgd\""));
  CHECK(sgd.metadata.size() == 2);
  REQUIRE(sgd.tensors.size() == 34);
  CHECK(sgd.tensors.front().first == "expect.0.0");
  CHECK(sgd.tensors.back().first == "param.1");
  const Tensor first = sgd.at("expect.0.0");
  CHECK(first.dtype() == kFloat64);
  CHECK(first.shape() == Dims{3, 4});
  const auto values = first.to_vector<double>();
  CHECK(values[0] == 0.31295783903331786);
  CHECK(values[1] == -0.2270923229658113);
  CHECK(sgd.at("expect.7.1").shape() == Dims{5});
  CHECK(sgd.at("expect.7.1").to_vector<double>()[2] == 0.977161646548512);

  ScratchDir dir;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(golden)) {
    if (entry.path().extension() != ".safetensors") continue;
    ++files;
    INFO(entry.path().string());
    const SafetensorsFile f = load_file(entry.path().string());
    CHECK(f.metadata.count("kind") == 1);
    CHECK(f.metadata.count("spec") == 1);
    CHECK_FALSE(f.tensors.empty());
    const std::string copy = dir.file(entry.path().filename().string());
    save_file(f.tensors, copy, f.metadata);
    CHECK(read_bytes(copy) == read_bytes(entry.path().string()));
  }
  CHECK(files >= 20);
}

TEST_CASE("save_file rejects bad names and undefined tensors without creating the file", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("bad.safetensors");
  const Tensor x = ones({2});
  CHECK_THROWS_WITH(save_file({{"a", x}, {"b", x}, {"a", x}}, path),
                    MG_CONTAINS("duplicate tensor name 'a'"));
  CHECK_THROWS_WITH(save_file({{"", x}}, path), MG_CONTAINS("names must be non-empty"));
  CHECK_THROWS_WITH(save_file({{"__metadata__", x}}, path),
                    MG_CONTAINS("'__metadata__' is reserved"));
  CHECK_THROWS_WITH(save_file({{"u", Tensor()}}, path), MG_CONTAINS("tensor 'u' is undefined"));
  CHECK_THROWS_WITH(save_file({{std::string("bad\xff", 4), x}}, path),
                    MG_CONTAINS("not valid UTF-8"));
  CHECK(dir.entries().empty());
}
