// .npy: numpy's exact header bytes, round trips, files written by hand in every format version,
// and each rejected file with its own message.
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "tests/io/io_support.hpp"

using namespace metagrad;
using namespace metagrad::testing;

namespace {

/// A hand-written .npy file: magic, version, little-endian header length (2 bytes for 1.0,
/// 4 bytes after), the header text as given (no padding added), then `data`.
std::string npy_bytes(int major, const std::string& header, const std::string& data) {
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  out += le_bytes(header.size(), major == 1 ? 2 : 4);
  return out + header + data;
}

std::string doubles(std::initializer_list<double> values) {
  std::string out;
  for (double v : values) out += le_bytes(std::bit_cast<uint64_t>(v), 8);
  return out;
}

}  // namespace

TEST_CASE("save_npy writes exactly the bytes numpy.save writes", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("a.npy");
  // np.save(path, np.arange(6.0).reshape(2, 3)): version 1.0, header length 118 (0x76), the dict,
  // 20 spaces of room for the first axis to grow to 21 digits, 38 spaces of alignment, '\n';
  // the data starts at byte 128.
  const std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
  const std::string expected_header =
      std::string("\x93NUMPY\x01\x00\x76\x00", 10) + dict + std::string(20 + 38, ' ') + "\n";
  REQUIRE(expected_header.size() == 128);
  save_npy(arange(6.0, kFloat64).reshape({2, 3}), path);
  CHECK(read_bytes(path) == expected_header + doubles({0, 1, 2, 3, 4, 5}));

  // np.save(path, np.float32(1.5)): a 0-d array has shape () and no growth room.
  save_npy(scalar_tensor(1.5, kFloat32), path);
  const std::string scalar_dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (), }";
  CHECK(read_bytes(path) == std::string("\x93NUMPY\x01\x00\x76\x00", 10) + scalar_dict +
                                std::string(62, ' ') + "\n" +
                                le_bytes(std::bit_cast<uint32_t>(1.5f), 4));

  // np.save(path, np.array([True, False, True, True, False])) and an empty int64 (0, 3) array.
  save_npy(tensor({1, 0, 1, 1, 0}, kBool), path);
  CHECK(read_bytes(path) == std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
                                "{'descr': '|b1', 'fortran_order': False, 'shape': (5,), }" +
                                std::string(20 + 40, ' ') + "\n" +
                                std::string("\x01\x00\x01\x01\x00", 5));
  save_npy(zeros({0, 3}, kInt64), path);
  CHECK(read_bytes(path) == std::string("\x93NUMPY\x01\x00\x76\x00", 10) +
                                "{'descr': '<i8', 'fortran_order': False, 'shape': (0, 3), }" +
                                std::string(20 + 38, ' ') + "\n");

  // A first axis of 1000 leaves 18 digits of room; the data still starts at a multiple of 64.
  save_npy(zeros({1000, 2}, kFloat32), path);
  const std::string big = read_bytes(path);
  const size_t header_len = static_cast<unsigned char>(big[8]) |
                            static_cast<size_t>(static_cast<unsigned char>(big[9])) << 8;
  CHECK((10 + header_len) % 64 == 0);
  CHECK(big.size() == 10 + header_len + 8000);
  CHECK(big.substr(10, 80) ==
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 2), }" + std::string(18, ' '));
}

TEST_CASE("save_npy/load_npy round-trip every dtype bit-exactly, 0-d, empty and views", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("t.npy");
  Tensor nan_payload = empty({3}, kFloat32);
  const uint32_t bits[3] = {0x7fc0abcdu, 0x80000000u, 0x00000001u};
  std::memcpy(nan_payload.raw_data(), bits, sizeof bits);
  Tensor extremes = empty({2}, kInt64);
  const int64_t ints[2] = {std::numeric_limits<int64_t>::min(),
                           std::numeric_limits<int64_t>::max()};
  std::memcpy(extremes.raw_data(), ints, sizeof ints);
  Tensor base = randn64({3, 4}, 3);
  const std::vector<Tensor> cases = {
      nan_payload,
      randn64({2, 3, 4}, 1),
      extremes,
      tensor({1, 0, 1}, kBool).reshape({3, 1}),
      scalar_tensor(2.75, kFloat64),
      scalar_tensor(-9, kInt64),
      zeros({0}, kFloat32),
      zeros({3, 0, 2}, kBool),
      base.t(),
      base.slice(1, 1, 4, 2),
      noncontiguous(randn64({5}, 4)),
      arange(6.0, kInt64).reshape({2, 3}).t(),
      tensor({0.5, -1.0}, kFloat32).reshape({1, 2}).expand({3, 2}),
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO("case " << i << " shape " << shape_str(cases[i].shape()));
    save_npy(cases[i], path);
    const Tensor back = load_npy(path);
    CHECK(back.is_contiguous());
    CHECK_FALSE(back.requires_grad());
    CHECK(bitwise_equal(back, cases[i]));
  }
}

TEST_CASE("load_npy reads files written by hand in versions 1.0, 2.0 and 3.0", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("hand.npy");
  // Version 1.0 from Python 2: 'L' suffixes, no trailing comma, another key order, no padding.
  write_bytes(path, npy_bytes(1, "{'shape': (2L, 2L), 'fortran_order': False, 'descr': '<f8'}\n",
                              doubles({1.0, -2.0, 0.25, 1e-300})));
  Tensor a = load_npy(path);
  CHECK(a.dtype() == kFloat64);
  CHECK(a.shape() == Dims{2, 2});
  CHECK(a.to_vector<double>() == std::vector<double>{1.0, -2.0, 0.25, 1e-300});

  // Version 2.0 (4-byte header length), double quotes, extra whitespace.
  write_bytes(
      path,
      npy_bytes(2, "{ \"descr\" : \"<i8\" ,\n \"fortran_order\": False, \"shape\": (3,) }  \n",
                le_bytes(7, 8) + le_bytes(static_cast<uint64_t>(-1), 8) + le_bytes(0, 8)));
  CHECK(load_npy(path).to_vector<int64_t>() == std::vector<int64_t>{7, -1, 0});

  // Version 3.0 (UTF-8 header), a 0-d bool.
  write_bytes(path,
              npy_bytes(3, "{'descr': '|b1', 'fortran_order': False, 'shape': (), }\n", "\x01"));
  Tensor flag = load_npy(path);
  CHECK(flag.dtype() == kBool);
  CHECK(flag.dim() == 0);
  CHECK(flag.item<bool>());

  // Narrow dtypes widen exactly: float16 to float32, uint8 / int32 / int16 to int64.
  write_bytes(path, npy_bytes(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }\n",
                              le_bytes(0x3C00, 2) + le_bytes(0xC100, 2) + le_bytes(0x0001, 2)));
  Tensor h = load_npy(path);
  CHECK(h.dtype() == kFloat32);
  CHECK(h.to_vector<float>() == std::vector<float>{1.0f, -2.5f, std::ldexp(1.0f, -24)});
  write_bytes(path, npy_bytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }\n",
                              "\xff\x02"));
  CHECK(load_npy(path).to_vector<int64_t>() == std::vector<int64_t>{255, 2});
  write_bytes(path, npy_bytes(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n",
                              le_bytes(0xfffffffe, 4) + le_bytes(9, 4)));
  CHECK(load_npy(path).to_vector<int64_t>() == std::vector<int64_t>{-2, 9});
  write_bytes(path, npy_bytes(1, "{'descr': '<i2', 'fortran_order': False, 'shape': (1,), }\n",
                              le_bytes(0x8000, 2)));
  CHECK(load_npy(path).to_vector<int64_t>() == std::vector<int64_t>{-32768});
  // More elements than one conversion chunk (2^18): widened chunk by chunk.
  std::string many(600000, '\0');
  for (size_t i = 0; i < many.size(); ++i) many[i] = static_cast<char>(i * 7 % 256);
  write_bytes(
      path, npy_bytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (600000,), }\n", many));
  const std::vector<int64_t> widened = load_npy(path).to_vector<int64_t>();
  REQUIRE(widened.size() == many.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < widened.size(); ++i) mismatches += widened[i] != int64_t(i * 7 % 256);
  CHECK(mismatches == 0);

  // A 1-element tuple needs its comma; fortran_order False with a 1-d shape is plain C order.
  write_bytes(path, npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n",
                              le_bytes(std::bit_cast<uint32_t>(3.5f), 4)));
  CHECK(load_npy(path).to_vector<float>() == std::vector<float>{3.5f});
}

TEST_CASE("load_npy rejects each bad file with its own error naming the file", "[io]") {
  ScratchDir dir;
  const std::string path = dir.file("bad.npy");
  const auto header = [](const std::string& descr, const std::string& fortran,
                         const std::string& shape) {
    return fmt::format("{{'descr': {}, 'fortran_order': {}, 'shape': {}, }}\n", descr, fortran,
                       shape);
  };
  struct Case {
    const char* what;
    std::string bytes;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"too short", std::string("\x93NUM", 4), "too short for the .npy magic"},
      {"bad magic", std::string("\x93NUMPZ\x01\x00\x00\x00", 10), "does not start with the magic"},
      {"version 4.0", npy_bytes(4, header("'<f8'", "False", "()"), doubles({1})),
       "unsupported .npy format version 4.0"},
      {"header past the end", std::string("\x93NUMPY\x01\x00\xff\x00{}", 12),
       "header length 255 runs past the end"},
      {"pickled objects", npy_bytes(1, header("'|O'", "False", "(2,)"), std::string(16, '\0')),
       "object array of pickled Python objects"},
      {"fortran order", npy_bytes(1, header("'<f8'", "True", "(2, 2)"), doubles({1, 2, 3, 4})),
       "fortran_order is True: Fortran-order (column-major) arrays are not supported"},
      {"big-endian", npy_bytes(1, header("'>f8'", "False", "(1,)"), doubles({1})),
       "descr '>f8' is big-endian data"},
      {"structured",
       npy_bytes(1, header("[('x', '<f8'), ('y', '<i4')]", "False", "(1,)"), std::string(12, '\0')),
       "structured arrays"},
      {"complex", npy_bytes(1, header("'<c16'", "False", "(1,)"), std::string(16, '\0')),
       "unsupported dtype descr '<c16'"},
      {"uint64", npy_bytes(1, header("'<u8'", "False", "(1,)"), std::string(8, '\0')),
       "unsupported dtype descr '<u8'"},
      {"negative shape", npy_bytes(1, header("'<f8'", "False", "(-1,)"), ""),
       "shape has the negative size -1"},
      {"shape not a tuple", npy_bytes(1, header("'<f8'", "False", "(3)"), doubles({1, 2, 3})),
       "'shape' must be a tuple"},
      {"float in shape", npy_bytes(1, header("'<f8'", "False", "(2.0,)"), doubles({1, 2})),
       "non-integer number"},
      {"truncated data", npy_bytes(1, header("'<f8'", "False", "(3,)"), doubles({1, 2})),
       "data is 16 bytes but shape [3] of '<f8' needs 24"},
      {"trailing data", npy_bytes(1, header("'<f8'", "False", "(1,)"), doubles({1, 2})),
       "8 trailing bytes"},
      {"missing key", npy_bytes(1, "{'descr': '<f8', 'shape': (1,)}\n", doubles({1})),
       "header lacks 'fortran_order'"},
      {"extra key",
       npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}",
                 doubles({1})),
       "unexpected key 'x'"},
      {"duplicate key",
       npy_bytes(1,
                 "{'descr': '<f8', 'descr': '<f4', 'fortran_order': False, "
                 "'shape': (1,)}",
                 doubles({1})),
       "the key 'descr' twice"},
      {"not a dict", npy_bytes(1, "[1, 2]\n", ""), "header is not a dict literal"},
      {"syntax error", npy_bytes(1, "{'descr': '<f8' 'shape': (1,)}", doubles({1})),
       "expected ',' or '}'"},
      {"code instead of a literal", npy_bytes(1, "__import__('os')", ""),
       "expected a string, integer"},
      {"fortran_order not a bool", npy_bytes(1, header("'<f8'", "0", "(1,)"), doubles({1})),
       "'fortran_order' must be True or False"},
  };
  std::set<std::string> messages;
  for (const Case& c : cases) {
    INFO("case: " << c.what);
    write_bytes(path, c.bytes);
    std::string message;
    try {
      load_npy(path);
    } catch (const Error& e) {
      message = e.what();
    }
    INFO("message: " << message);
    REQUIRE_FALSE(message.empty());
    CHECK_THAT(message, MG_CONTAINS("load_npy: '" + path + "'"));
    CHECK_THAT(message, MG_CONTAINS(c.message));
    messages.insert(message);
  }
  CHECK(messages.size() == cases.size());
  CHECK_THROWS_WITH(load_npy(dir.file("absent.npy")), MG_CONTAINS("cannot open"));
  CHECK_THROWS_WITH(save_npy(Tensor(), path), MG_CONTAINS("the tensor is undefined"));
}
