// Regression tests for issue 10 defect 1 (size overflow in tensor creation) and the empty-shape
// item of defect 8: every size product and byte count is checked (Note [size overflow] in
// engine/shape.cpp), and an allocation that cannot succeed is a metagrad::Error naming the bytes.
// Every case fails before touching memory, or asks for more than any allocator grants (and more
// than AddressSanitizer's 1 TiB limit), so the tests are sanitizer-friendly.
#include <cstdint>
#include <limits>

#include "tests/support/helpers.hpp"

using namespace metagrad;

namespace {
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
}  // namespace

TEST_CASE("factories reject byte counts beyond PTRDIFF_MAX instead of wrapping", "[size]") {
  // INT64_MAX float64 elements: 8 * (2^63 - 1) bytes overflows.
  CHECK_THROWS_WITH(zeros({kInt64Max}, kFloat64),
                    MG_CONTAINS("zeros: a float64 tensor of shape [9223372036854775807]") &&
                        MG_CONTAINS("overflows int64") && MG_CONTAINS("PTRDIFF_MAX"));
  // 2^62 float32 elements = 2^64 bytes: wrapped to 0 bytes before.
  CHECK_THROWS_WITH(zeros({int64_t{1} << 62}),
                    MG_CONTAINS("zeros: a float32 tensor of shape [4611686018427387904]") &&
                        MG_CONTAINS("9223372036854775807 bytes, PTRDIFF_MAX"));
  CHECK_THROWS_WITH(ones({int64_t{1} << 61}, kFloat64),
                    MG_CONTAINS("ones: a float64 tensor of shape [2305843009213693952]") &&
                        MG_CONTAINS("more than the largest tensor storage"));
  // (2^62 + 1) * 4 bytes does not wrap to a small number but still exceeds PTRDIFF_MAX.
  CHECK_THROWS_WITH(empty({(int64_t{1} << 62) + 1}),
                    MG_CONTAINS("empty: a float32 tensor of shape [4611686018427387905]") &&
                        MG_CONTAINS("PTRDIFF_MAX"));
  CHECK_THROWS_WITH(full({kInt64Max / 4}, 1.0, kInt64),
                    MG_CONTAINS("full: a int64 tensor") && MG_CONTAINS("PTRDIFF_MAX"));
  CHECK_THROWS_WITH(rand({kInt64Max}), MG_CONTAINS("rand: a float32 tensor"));
  CHECK_THROWS_WITH(randn({kInt64Max}), MG_CONTAINS("randn: a float32 tensor"));
  CHECK_THROWS_WITH(randint(0, 5, {kInt64Max}), MG_CONTAINS("randint: a int64 tensor"));
}

TEST_CASE("element counts that overflow int64 are rejected, not silently empty", "[size]") {
  const int64_t big = int64_t{1} << 32;
  // 2^32 * 2^32 = 2^64 wrapped to numel() == 0 before.
  CHECK_THROWS_WITH(zeros({big, big}),
                    MG_CONTAINS("zeros: shape [4294967296, 4294967296] has more elements than fit "
                                "in int64"));
  CHECK_THROWS_WITH(tensor({1.0}, Dims{big, big}), MG_CONTAINS("tensor: shape [4294967296, "
                                                               "4294967296] has more elements"));
  CHECK_THROWS_WITH(eye(big), MG_CONTAINS("eye: shape [4294967296, 4294967296] has more elements"));
}

TEST_CASE("expand to a huge shape is a checked view", "[size]") {
  const int64_t big = int64_t{1} << 32;
  CHECK_THROWS_WITH(ones({1, 1}).expand({big, big}),
                    MG_CONTAINS("expand: shape [4294967296, 4294967296] has more elements than "
                                "fit in int64"));
  // 2^62 elements fit int64: a valid stride-0 view, but materialising it needs 2^64 bytes.
  const Tensor wide = ones({1}).expand({int64_t{1} << 62});
  CHECK(wide.numel() == int64_t{1} << 62);
  CHECK(wide.stride(0) == 0);
  CHECK_THROWS_WITH(wide.contiguous(), MG_CONTAINS("a float32 tensor of shape "
                                                   "[4611686018427387904]") &&
                                           MG_CONTAINS("PTRDIFF_MAX"));
  CHECK_THROWS_WITH(wide + wide, MG_CONTAINS("add: a float32 tensor of shape "
                                             "[4611686018427387904]"));
  // Broadcasting [2^32, 1] against [1, 2^32] gives 2^64 elements.
  const Tensor col = ones({1, 1}).expand({big, 1}), row = ones({1, 1}).expand({1, big});
  CHECK_THROWS_WITH(col * row, MG_CONTAINS("mul: shape [4294967296, 4294967296] has more "
                                           "elements than fit in int64"));
  CHECK_THROWS_WITH(ones({1}).expand({-2}), MG_CONTAINS("expand: invalid size -2"));
}

TEST_CASE("shape ops check their size products", "[size]") {
  const int64_t big = int64_t{1} << 40;
  // An empty view whose non-zero sizes multiply past int64.
  const Tensor hollow = zeros({0, 1, 1}).expand({0, big, big});
  CHECK(hollow.numel() == 0);
  CHECK_THROWS_WITH(hollow.flatten(1, 2), MG_CONTAINS("flatten: the merged size overflows int64"));
  CHECK_THROWS_WITH(zeros({0}).reshape({big, big, 0, -1}),
                    MG_CONTAINS("reshape: shape [1099511627776, 1099511627776, 0, -1] is invalid "
                                "for input of size 0"));
  // Two stride-0 views of 2^62 elements concatenate to 2^63.
  const Tensor half = ones({1}).expand({int64_t{1} << 62});
  CHECK_THROWS_WITH(cat({half, half}), MG_CONTAINS("cat: the concatenated size overflows int64"));
  CHECK_THROWS_WITH(pad(zeros({1}), {kInt64Max, 1}), MG_CONTAINS("pad: the padded size overflows "
                                                                 "int64"));
  // Batch dims [2^32] and [2^32, 1] broadcast to 2^64 matrices.
  const Tensor a = ones({1, 1, 1}).expand({int64_t{1} << 32, 1, 1});
  const Tensor b = ones({1, 1, 1, 1}).expand({int64_t{1} << 32, 1, 1, 1});
  CHECK_THROWS_WITH(matmul(a, b), MG_CONTAINS("matmul: shape [4294967296, 4294967296] has more "
                                              "elements than fit in int64"));
}

TEST_CASE("conv and pooling geometry is computed without overflow", "[size]") {
  const Tensor x = zeros({1, 1, 4, 4}), w = zeros({1, 1, 3, 3});
  CHECK_THROWS_WITH(conv2d(x, w, {}, 1, int64_t{1} << 62),
                    MG_CONTAINS("conv2d: padding overflows int64"));
  CHECK_THROWS_WITH(conv2d(x, w, {}, 1, 0, int64_t{1} << 62),
                    MG_CONTAINS("conv2d: dilated kernel extent overflows int64"));
  CHECK_THROWS_WITH(max_pool2d(x, {int64_t{1} << 62, int64_t{1} << 62}, 1, 0, 3),
                    MG_CONTAINS("max_pool2d: dilated kernel extent overflows int64"));
}

TEST_CASE("sequence factories and one_hot check their counts", "[size]") {
  // 10^18 float32 values (4e18 bytes) fit PTRDIFF_MAX but no allocator grants them: a
  // metagrad::Error naming the bytes, never std::bad_alloc.
  CHECK_THROWS_AS(arange(0.0, 1e18), Error);
  CHECK_THROWS_WITH(arange(0.0, 1e18),
                    MG_CONTAINS("arange: cannot allocate a float32 tensor of shape "
                                "[1000000000000000000] (4000000000000000000 bytes) on cpu") &&
                        MG_CONTAINS("out of CPU memory"));
  CHECK_THROWS_WITH(arange(0.0, 1e30), MG_CONTAINS("arange: invalid size, possible overflow") &&
                                           MG_CONTAINS("do not fit int64"));
  CHECK_THROWS_WITH(arange(0.0, std::numeric_limits<double>::infinity()),
                    MG_CONTAINS("arange: unsupported range: 0 -> inf"));
  CHECK_THROWS_WITH(linspace(0.0, 1.0, int64_t{1} << 62),
                    MG_CONTAINS("linspace: a float32 tensor of shape [4611686018427387904]"));
  // A label of INT64_MAX (2^62 - 1 + 2^62, each exact in a double): max + 1 classes overflows.
  Tensor label = full({1}, 0x1p62, kInt64);
  label.sub_(1.0).add_(0x1p62);
  REQUIRE(label.item<int64_t>() == kInt64Max);
  CHECK_THROWS_WITH(one_hot(label), MG_CONTAINS("one_hot: the number of classes overflows int64"));
}

TEST_CASE("[N, 0] and [0, N] are valid empty shapes for any N; strides are checked", "[size]") {
  // Defect 8: [INT64_MAX, 0] was accepted and [0, INT64_MAX] rejected. Both are empty tensors, as
  // in PyTorch (torch.empty(0, 2**63 - 1) works): contiguous strides multiply max(size, 1).
  const Tensor tall = zeros({kInt64Max, 0}), wide = zeros({0, kInt64Max});
  CHECK(tall.numel() == 0);
  CHECK(wide.numel() == 0);
  CHECK(tall.strides() == Dims{1, 1});
  CHECK(wide.strides() == Dims{kInt64Max, 1});
  CHECK(wide.sum().item<float>() == 0.0f);
  CHECK(empty({0, kInt64Max}, kFloat64).to_vector<double>().empty());
  // A stride that overflows is PyTorch's "Stride calculation overflowed".
  CHECK_THROWS_WITH(zeros({0, int64_t{1} << 62, 4}),
                    MG_CONTAINS("zeros: stride calculation overflowed for shape [0, "
                                "4611686018427387904, 4]"));
}

TEST_CASE("out-of-memory in the CPU allocator is an Error naming the bytes", "[size]") {
  // 2^50 bytes: within PTRDIFF_MAX, beyond any machine (and AddressSanitizer's limit).
  CHECK_THROWS_WITH(empty({int64_t{1} << 47}, kFloat64),
                    MG_CONTAINS("empty: cannot allocate a float64 tensor of shape "
                                "[140737488355328] (1125899906842624 bytes) on cpu") &&
                        MG_CONTAINS("failed to allocate 1125899906842624 bytes (1048576.00 GiB)"));
}
