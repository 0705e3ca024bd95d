#include "examples/common/fashion_mnist.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <new>
#include <vector>

#include "engine/error.hpp"
#include "engine/ops.hpp"

namespace metagrad::examples {

namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // unsigned bytes, 3 dims
constexpr uint32_t kLabelsMagic = 0x00000801;  // unsigned bytes, 1 dim
// No IDX file of this reader's kind comes close; a larger header is corrupt.
constexpr uint64_t kMaxBytes = uint64_t{1} << 34;
constexpr size_t kChunk = size_t{1} << 20;

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// The header dims and the payload bytes of an IDX file.
struct IdxContent {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> bytes;
};

// Reads up to `size` bytes; fewer only at the end of the data. Throws on a zlib error.
size_t read_bytes(gzFile file, const std::string& path, const char* op, uint8_t* out, size_t size) {
  size_t done = 0;
  while (done < size) {
    const auto want = static_cast<unsigned>(std::min(size - done, kChunk));
    const int got = gzread(file, out + done, want);
    int code = Z_OK;
    const char* message = gzerror(file, &code);
    MG_CHECK(got >= 0 && (code == Z_OK || code == Z_STREAM_END),
             "{}: '{}' is not a valid gzip stream: {} (after {} bytes of data)", op, path, message,
             done);
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

uint32_t big_endian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

IdxContent read_idx(const std::string& path, uint32_t magic, size_t ndims, const char* op,
                    const char* kind) {
  errno = 0;
  GzFile file(gzopen(path.c_str(), "rb"));
  MG_CHECK(file != nullptr, "{}: cannot open '{}': {}", op, path,
           errno != 0 ? std::strerror(errno) : "out of memory");
  // The magic number first (so that a file of another kind is named as such), then the dims.
  uint8_t header[16];
  const size_t header_size = 4 * (ndims + 1);
  size_t got = read_bytes(file.get(), path, op, header, 4);
  if (got == 4) {
    const uint32_t found = big_endian(header);
    MG_CHECK(found == magic,
             "{}: '{}' starts with magic number 0x{:08x}, expected 0x{:08x} (an IDX file of {})",
             op, path, found, magic, kind);
    got += read_bytes(file.get(), path, op, header + 4, header_size - 4);
  }
  MG_CHECK(got == header_size,
           "{}: '{}' is too short for an IDX header ({} of {} bytes): the file is truncated", op,
           path, got, header_size);
  IdxContent content;
  uint64_t total = 1;
  for (size_t d = 0; d < ndims; ++d) {
    const uint32_t size = big_endian(header + 4 * (d + 1));
    MG_CHECK(size >= 1 && total <= kMaxBytes / size,
             "{}: '{}' has an invalid IDX header: dim {} is {} (each dim must be at least 1 and "
             "the data at most {} bytes)",
             op, path, d, size, kMaxBytes);
    total *= size;
    content.dims.push_back(size);
  }
  // Read in chunks, so that a header that promises more than the file holds fails on the data,
  // not on an allocation.
  while (content.bytes.size() < total) {
    const size_t offset = content.bytes.size();
    const size_t want = static_cast<size_t>(std::min<uint64_t>(total - offset, kChunk));
    content.bytes.resize(offset + want);
    const size_t n = read_bytes(file.get(), path, op, content.bytes.data() + offset, want);
    content.bytes.resize(offset + n);
    if (n < want) break;
  }
  MG_CHECK(content.bytes.size() == total,
           "{}: '{}' is truncated: its header promises {} bytes of data, the file holds {}", op,
           path, total, content.bytes.size());
  uint8_t extra = 0;
  MG_CHECK(read_bytes(file.get(), path, op, &extra, 1) == 0,
           "{}: '{}' holds more data than its header's {} bytes: not a valid IDX file", op, path,
           total);
  return content;
}

// read_idx, with every failure of zlib or of memory rethrown as an Error naming the file.
IdxContent read_idx_checked(const std::string& path, uint32_t magic, size_t ndims, const char* op,
                            const char* kind) {
  try {
    return read_idx(path, magic, ndims, op, kind);
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    MG_FAIL("{}: '{}': out of memory while reading the IDX data", op, path);
  } catch (const std::exception& e) {
    MG_FAIL("{}: '{}': unexpected failure while reading: {}", op, path, e.what());
  }
}

std::string idx_path(const std::string& root, std::string_view split, const char* what) {
  return (std::filesystem::path(root) / fmt::format("{}-{}-ubyte.gz", split, what)).string();
}

}  // namespace

Tensor read_idx_images(const std::string& path) {
  const IdxContent idx = read_idx_checked(path, kImagesMagic, 3, "read_idx_images",
                                          "unsigned-byte images [N, rows, cols]");
  Tensor images = empty({idx.dims[0], 1, idx.dims[1], idx.dims[2]}, kFloat32);
  float* out = images.data_ptr<float>();
  std::transform(idx.bytes.begin(), idx.bytes.end(), out,
                 [](uint8_t pixel) { return static_cast<float>(pixel) / 255.0f; });
  return images;
}

Tensor read_idx_labels(const std::string& path) {
  const IdxContent idx =
      read_idx_checked(path, kLabelsMagic, 1, "read_idx_labels", "unsigned-byte labels [N]");
  Tensor labels = empty({idx.dims[0]}, kInt64);
  std::copy(idx.bytes.begin(), idx.bytes.end(), labels.data_ptr<int64_t>());
  return labels;
}

LabeledImages load_fashion_mnist(const std::string& root, std::string_view split) {
  MG_CHECK(split == "train" || split == "t10k",
           "load_fashion_mnist: split must be \"train\" or \"t10k\", got \"{}\"", split);
  const std::string image_path = idx_path(root, split, "images-idx3");
  const std::string label_path = idx_path(root, split, "labels-idx1");
  for (const std::string& path : {image_path, label_path}) {
    std::error_code ec;
    MG_CHECK(std::filesystem::is_regular_file(path, ec),
             "load_fashion_mnist: '{}' not found. Install the Debian package "
             "dataset-fashion-mnist (apt-get install dataset-fashion-mnist), which puts the "
             "Fashion-MNIST IDX files in {}, or pass the folder that holds them",
             path, kFashionMnistDir);
  }
  LabeledImages data;
  try {
    data.images = read_idx_images(image_path);
    data.labels = read_idx_labels(label_path);
  } catch (const Error& e) {
    MG_FAIL(
        "{}. Reinstall the Debian package dataset-fashion-mnist (apt-get install --reinstall "
        "dataset-fashion-mnist) or pass a folder with valid files",
        e.what());
  }
  const Dims& shape = data.images.shape();
  MG_CHECK(shape[2] == 28 && shape[3] == 28,
           "load_fashion_mnist: '{}' holds {} x {} images; Fashion-MNIST's are 28 x 28", image_path,
           shape[2], shape[3]);
  MG_CHECK(shape[0] == data.labels.size(0),
           "load_fashion_mnist: '{}' holds {} images but '{}' holds {} labels", image_path,
           shape[0], label_path, data.labels.size(0));
  const int64_t* labels = data.labels.data_ptr<int64_t>();
  const int64_t n = data.labels.size(0);
  const int64_t classes = static_cast<int64_t>(kFashionMnistClasses.size());
  for (int64_t i = 0; i < n; ++i)
    MG_CHECK(labels[i] < classes,
             "load_fashion_mnist: '{}' gives label {} to image {}; labels are in [0, {})",
             label_path, labels[i], i, classes);
  return data;
}

}  // namespace metagrad::examples
