// The gzip IDX reader of examples/common/fashion_mnist: fixture files written here with zlib's
// gzwrite (good, truncated, wrong magic, bad dims, trailing bytes, a cut gzip stream), the
// Fashion-MNIST loader's checks, and the installed data set when present.
#include "examples/common/fashion_mnist.hpp"

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "metagrad.hpp"
#include "tests/examples_data/data_support.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;
using namespace metagrad::examples;
using namespace metagrad::testing;

namespace {

using Bytes = std::vector<uint8_t>;

// An IDX file: magic, big-endian dims, payload.
Bytes idx_file(uint32_t magic, const std::vector<uint32_t>& dims, const Bytes& payload) {
  std::vector<uint32_t> words{magic};
  words.insert(words.end(), dims.begin(), dims.end());
  Bytes out;
  for (uint32_t word : words)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(word >> shift));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

void write_gz(const std::string& path, const Bytes& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  REQUIRE(file != nullptr);
  if (!bytes.empty())
    REQUIRE(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) ==
            static_cast<int>(bytes.size()));
  REQUIRE(gzclose(file) == Z_OK);
}

Bytes read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.is_open());
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

void write_raw(const std::string& path, const Bytes& bytes) {
  write_text(path, std::string(bytes.begin(), bytes.end()));
}

Bytes ramp(size_t n, uint8_t step) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i * step);
  return out;
}

constexpr uint32_t kImages = 0x00000803, kLabels = 0x00000801;

// A Fashion-MNIST-shaped split (28 x 28) of `n` images with the given labels in `dir`.
void write_split(const TempDir& dir, const std::string& split, const Bytes& labels,
                 uint32_t size = 28) {
  const auto n = static_cast<uint32_t>(labels.size());
  write_gz(dir.file(split + "-images-idx3-ubyte.gz"),
           idx_file(kImages, {n, size, size}, ramp(n * size * size, 3)));
  write_gz(dir.file(split + "-labels-idx1-ubyte.gz"), idx_file(kLabels, {n}, labels));
}

}  // namespace

TEST_CASE("read_idx_images reads gzip IDX images as float32 [N, 1, rows, cols] in [0, 1]",
          "[examples][fashion_mnist]") {
  TempDir dir;
  const Bytes pixels = {0, 255, 51, 102, 1, 254, 7, 8, 9, 10, 11, 12};  // 2 images of 2 x 3
  write_gz(dir.file("img.gz"), idx_file(kImages, {2, 2, 3}, pixels));
  const Tensor images = read_idx_images(dir.file("img.gz"));
  REQUIRE(images.shape() == Dims{2, 1, 2, 3});
  CHECK(images.dtype() == kFloat32);
  const std::vector<float> values = images.to_vector<float>();
  for (size_t i = 0; i < pixels.size(); ++i) CHECK(values[i] == pixels[i] / 255.0f);
  CHECK(values[1] == 1.0f);
  CHECK(values[2] == Approx(0.2f));

  // zlib reads an uncompressed file as it is.
  write_raw(dir.file("img.raw"), idx_file(kImages, {1, 2, 2}, {4, 3, 2, 1}));
  CHECK(read_idx_images(dir.file("img.raw")).to_vector<float>() ==
        std::vector<float>{4 / 255.0f, 3 / 255.0f, 2 / 255.0f, 1 / 255.0f});
}

TEST_CASE("read_idx_labels reads gzip IDX labels as int64 [N]", "[examples][fashion_mnist]") {
  TempDir dir;
  write_gz(dir.file("lab.gz"), idx_file(kLabels, {5}, {9, 0, 3, 3, 200}));
  const Tensor labels = read_idx_labels(dir.file("lab.gz"));
  REQUIRE(labels.shape() == Dims{5});
  CHECK(labels.dtype() == kInt64);
  CHECK(labels.to_vector<int64_t>() == std::vector<int64_t>{9, 0, 3, 3, 200});
}

TEST_CASE("read_idx_* reject malformed files naming the file", "[examples][fashion_mnist]") {
  TempDir dir;
  const std::string path = dir.file("bad.gz");

  // Labels read as images and images read as labels: the magic numbers differ.
  write_gz(path, idx_file(kLabels, {3}, {1, 2, 3}));
  CHECK_THROWS_WITH(read_idx_images(path),
                    MG_CONTAINS("read_idx_images: '" + path +
                                "' starts with magic number 0x00000801, expected 0x00000803"));
  write_gz(path, idx_file(kImages, {1, 1, 1}, {1}));
  CHECK_THROWS_WITH(read_idx_labels(path),
                    MG_CONTAINS("magic number 0x00000803, expected 0x00000801"));
  // Another element type (0x08 = unsigned byte; 0x0D = float) is a wrong magic number too.
  write_gz(path, idx_file(0x00000D03, {1, 1, 1}, {0, 0, 0, 0}));
  CHECK_THROWS_WITH(read_idx_images(path), MG_CONTAINS("magic number 0x00000d03"));

  // The payload is shorter than the header says.
  write_gz(path, idx_file(kImages, {3, 2, 3}, ramp(15, 1)));
  CHECK_THROWS_WITH(read_idx_images(path),
                    MG_CONTAINS("'" + path +
                                "' is truncated: its header promises 18 bytes of data, the file "
                                "holds 15"));
  write_gz(path, idx_file(kLabels, {4}, {1, 2}));
  CHECK_THROWS_WITH(read_idx_labels(path),
                    MG_CONTAINS("promises 4 bytes of data, the file holds 2"));
  // ... or longer.
  write_gz(path, idx_file(kLabels, {2}, {1, 2, 3}));
  CHECK_THROWS_WITH(read_idx_labels(path),
                    MG_CONTAINS("holds more data than its header's 2 bytes"));

  // The header itself is cut short, or a dim is 0.
  write_gz(path, idx_file(kImages, {3}, {}));
  CHECK_THROWS_WITH(read_idx_images(path),
                    MG_CONTAINS("too short for an IDX header (8 of 16 bytes)"));
  write_gz(path, Bytes{});
  CHECK_THROWS_WITH(read_idx_labels(path), MG_CONTAINS("(0 of 8 bytes)"));
  write_gz(path, idx_file(kImages, {2, 0, 3}, {}));
  CHECK_THROWS_WITH(read_idx_images(path), MG_CONTAINS("dim 1 is 0"));

  // A gzip stream cut in the middle (the compressed bytes themselves are truncated).
  write_gz(path, idx_file(kImages, {40, 28, 28}, ramp(40 * 28 * 28, 7)));
  Bytes compressed = read_raw(path);
  REQUIRE(compressed.size() > 64);
  compressed.resize(compressed.size() / 2);
  write_raw(path, compressed);
  CHECK_THROWS_WITH(read_idx_images(path), MG_CONTAINS("'" + path + "'"));
  CHECK_THROWS_WITH(read_idx_images(path), MG_CONTAINS("unexpected end of file"));

  // A corrupt CRC is found when the stream ends.
  write_gz(path, idx_file(kLabels, {3}, {1, 2, 3}));
  compressed = read_raw(path);
  compressed[compressed.size() - 8] ^= 0xFF;
  write_raw(path, compressed);
  CHECK_THROWS_WITH(read_idx_labels(path), MG_CONTAINS("not a valid gzip stream"));

  CHECK_THROWS_WITH(read_idx_labels(dir.file("nowhere.gz")),
                    MG_CONTAINS("cannot open '" + dir.file("nowhere.gz") + "'"));
}

TEST_CASE("load_fashion_mnist checks the files of a split", "[examples][fashion_mnist]") {
  TempDir dir;
  write_split(dir, "t10k", {9, 0, 4});
  const LabeledImages data = load_fashion_mnist(dir.path(), "t10k");
  REQUIRE(data.images.shape() == Dims{3, 1, 28, 28});
  CHECK(data.labels.to_vector<int64_t>() == std::vector<int64_t>{9, 0, 4});
  CHECK(data.images.to_vector<float>()[28 * 28 + 1] == static_cast<uint8_t>(785 * 3) / 255.0f);

  // The train split is missing: the message names the file and the package.
  CHECK_THROWS_WITH(load_fashion_mnist(dir.path(), "train"),
                    MG_CONTAINS("train-images-idx3-ubyte.gz' not found"));
  CHECK_THROWS_WITH(load_fashion_mnist(dir.path(), "train"),
                    MG_CONTAINS("apt-get install dataset-fashion-mnist"));
  CHECK_THROWS_WITH(load_fashion_mnist(dir.path(), "test"),
                    MG_CONTAINS("split must be \"train\" or \"t10k\", got \"test\""));

  write_split(dir, "train", {1, 10});
  CHECK_THROWS_WITH(load_fashion_mnist(dir.path(), "train"),
                    MG_CONTAINS("gives label 10 to image 1; labels are in [0, 10)"));
  write_split(dir, "train", {1, 2}, 27);
  CHECK_THROWS_WITH(load_fashion_mnist(dir.path(), "train"),
                    MG_CONTAINS("holds 27 x 27 images; Fashion-MNIST's are 28 x 28"));
  write_split(dir, "train", {1, 2});
  write_gz(dir.file("train-labels-idx1-ubyte.gz"), idx_file(kLabels, {3}, {1, 2, 3}));
  CHECK_THROWS_WITH(load_fashion_mnist(dir.path(), "train"),
                    MG_CONTAINS("holds 2 images but '" + dir.file("train-labels-idx1-ubyte.gz") +
                                "' holds 3 labels"));
  // An invalid file: the reader's message, then the remedy.
  write_gz(dir.file("train-labels-idx1-ubyte.gz"), idx_file(kImages, {1, 1, 1}, {0}));
  CHECK_THROWS_WITH(load_fashion_mnist(dir.path(), "train"),
                    MG_CONTAINS("expected 0x00000801") &&
                        MG_CONTAINS("apt-get install --reinstall dataset-fashion-mnist"));
}

TEST_CASE("the installed Fashion-MNIST test split loads", "[examples][fashion_mnist][real]") {
  if (!std::filesystem::is_directory(kFashionMnistDir))
    MG_SKIP("dataset-fashion-mnist is not installed (no /usr/share/datasets/fashion-mnist)");
  const LabeledImages data = load_fashion_mnist(kFashionMnistDir, "t10k");
  REQUIRE(data.images.shape() == Dims{10000, 1, 28, 28});
  std::vector<int64_t> per_class(10, 0);
  for (int64_t label : data.labels.to_vector<int64_t>()) ++per_class[label];
  CHECK(per_class == std::vector<int64_t>(10, 1000));
  const Tensor pixels = data.images;
  CHECK(pixels.min().item<float>() == 0.0f);
  CHECK(pixels.max().item<float>() == 1.0f);
  CHECK(pixels.mean().item<double>() == Approx(0.2860).margin(2e-3));
}
