#pragma once

#include <array>
#include <string>
#include <string_view>

#include "engine/tensor.hpp"

// Fashion-MNIST (Xiao et al. 2017) from its gzip-compressed IDX files, as the Debian package
// dataset-fashion-mnist installs them: 60000 training and 10000 test images of 28 x 28 grey
// pixels in 10 classes of clothing.

namespace metagrad::examples {

/// Where the Debian package dataset-fashion-mnist puts the IDX files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// The class names, by label.
inline constexpr std::array<std::string_view, 10> kFashionMnistClasses = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

/// Images with one label each.
struct LabeledImages {
  /// float32 [N, 1, rows, cols], pixel / 255 (in [0, 1]).
  Tensor images;
  /// int64 [N].
  Tensor labels;
};

/// Reads an IDX file of unsigned-byte images (magic 0x00000803, dims [N, rows, cols], big-endian)
/// through zlib, so gzip-compressed and plain files both work. Returns float32 [N, 1, rows, cols]
/// with values pixel / 255. Throws metagrad::Error naming the file when it cannot be opened, the
/// magic number is wrong, a dimension is 0, the pixel data is shorter than the header says, bytes
/// follow it, or the gzip stream is corrupt.
Tensor read_idx_images(const std::string& path);

/// Reads an IDX file of unsigned-byte labels (magic 0x00000801, one dim [N]) as int64 [N]; errors
/// as read_idx_images.
Tensor read_idx_labels(const std::string& path);

/// The "train" (60000 images) or "t10k" (10000 images) split of Fashion-MNIST from
/// root/{split}-images-idx3-ubyte.gz and root/{split}-labels-idx1-ubyte.gz. Throws
/// metagrad::Error naming the file and the remedy (install dataset-fashion-mnist, or pass the
/// folder holding the files) when a file is missing, and as read_idx_images when one is invalid;
/// also when the images are not 28 x 28, the image and label counts differ, or a label is
/// outside [0, 10).
LabeledImages load_fashion_mnist(const std::string& root, std::string_view split);

}  // namespace metagrad::examples
