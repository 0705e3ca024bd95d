// pixel_shuffle / pixel_unshuffle and their layers: the channel blocks of r x r cells moved into
// (out of) the spatial dims, a reshape, a permute and a reshape (a copy), so the backward is the
// inverse rearrangement and every order comes with it; channel_shuffle likewise interleaves the
// channel groups.
#include <fmt/format.h>

#include "engine/nn/functional.hpp"
#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"
#include "engine/ops/op_support.hpp"

namespace metagrad {
namespace {

// The leading (batch) dims of x [*, C, H, W], and x's last three sizes.
Dims batch_dims(const Tensor& x) {
  Dims batch = x.shape();
  for (int i = 0; i < 3; ++i) batch.pop_back();
  return batch;
}

Dims with_batch(const Dims& batch, std::initializer_list<int64_t> rest) {
  Dims out = batch;
  for (const int64_t size : rest) out.push_back(size);
  return out;
}

// The permutation of [*, a, b, c, d, e] (five trailing dims) that puts them in `order`.
Dims trailing_permutation(int batch, std::initializer_list<int64_t> order) {
  Dims dims;
  for (int i = 0; i < batch; ++i) dims.push_back(i);
  for (const int64_t d : order) dims.push_back(batch + d);
  return dims;
}

void check_factor(const Tensor& x, int64_t factor, const char* op, const char* name) {
  MG_CHECK(factor > 0, "{}: {} must be positive, got {}", op, name, factor);
  MG_CHECK(x.dim() >= 3, "{}: expected input [*, C, H, W] with at least 3 dims, got shape {}", op,
           shape_str(x.shape()));
}

}  // namespace

Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor) {
  check_factor(input, upscale_factor, "pixel_shuffle", "upscale_factor");
  const int64_t r = upscale_factor, channels = input.size(-3);
  const int64_t area = checked_mul(r, r, "pixel_shuffle", "upscale_factor squared");
  MG_CHECK(channels % area == 0,
           "pixel_shuffle: the channel dim {} of input shape {} must be divisible by "
           "upscale_factor^2 = {}",
           channels, shape_str(input.shape()), area);
  const Dims batch = batch_dims(input);
  const int64_t height = input.size(-2), width = input.size(-1), out_channels = channels / area;
  // [*, C, r, r, H, W] -> [*, C, H, r, W, r] -> [*, C, H r, W r]
  const Tensor blocks = reshape(input, with_batch(batch, {out_channels, r, r, height, width}));
  const Tensor moved = permute(blocks, trailing_permutation(batch.size(), {0, 3, 1, 4, 2}));
  return reshape(
      moved,
      with_batch(batch, {out_channels, checked_mul(height, r, "pixel_shuffle", "output height"),
                         checked_mul(width, r, "pixel_shuffle", "output width")}));
}

Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor) {
  check_factor(input, downscale_factor, "pixel_unshuffle", "downscale_factor");
  const int64_t r = downscale_factor, channels = input.size(-3);
  const int64_t height = input.size(-2), width = input.size(-1);
  MG_CHECK(height % r == 0 && width % r == 0,
           "pixel_unshuffle: the spatial size ({}, {}) of input shape {} must be divisible by "
           "downscale_factor = {}",
           height, width, shape_str(input.shape()), r);
  const Dims batch = batch_dims(input);
  // [*, C, H/r, r, W/r, r] -> [*, C, r, r, H/r, W/r] -> [*, C r r, H/r, W/r]
  const Tensor cells = reshape(input, with_batch(batch, {channels, height / r, r, width / r, r}));
  const Tensor moved = permute(cells, trailing_permutation(batch.size(), {0, 2, 4, 1, 3}));
  return reshape(moved, with_batch(batch, {channels * r * r, height / r, width / r}));
}

Tensor channel_shuffle(const Tensor& input, int64_t groups) {
  detail::check_defined(input, "channel_shuffle");
  MG_CHECK(input.dim() >= 3,
           "channel_shuffle: expected input [N, C, *] with at least 3 dims, got shape {}",
           shape_str(input.shape()));
  const int64_t channels = input.size(1);
  MG_CHECK(groups > 0 && channels % groups == 0,
           "channel_shuffle: groups ({}) must be positive and divide the {} channels of input "
           "shape {}",
           groups, channels, shape_str(input.shape()));
  // [N, g, C/g, *] -> [N, C/g, g, *] -> [N, C, *]
  Dims split;
  split.push_back(input.size(0));
  split.push_back(groups);
  split.push_back(channels / groups);
  for (int d = 2; d < input.dim(); ++d) split.push_back(input.size(d));
  return reshape(transpose(reshape(input, split), 1, 2), input.shape());
}

namespace nn {

ChannelShuffle::ChannelShuffle(int64_t groups) : groups_(groups) {
  MG_CHECK(groups > 0, "ChannelShuffle: groups must be positive, got {}", groups);
}

Tensor ChannelShuffle::forward(const Tensor& input) { return channel_shuffle(input, groups_); }

std::string ChannelShuffle::extra_repr() const { return fmt::format("groups={}", groups_); }

PixelShuffle::PixelShuffle(int64_t upscale_factor) : upscale_factor_(upscale_factor) {
  MG_CHECK(upscale_factor > 0, "PixelShuffle: upscale_factor must be positive, got {}",
           upscale_factor);
}

Tensor PixelShuffle::forward(const Tensor& input) { return pixel_shuffle(input, upscale_factor_); }

std::string PixelShuffle::extra_repr() const {
  return fmt::format("upscale_factor={}", upscale_factor_);
}

PixelUnshuffle::PixelUnshuffle(int64_t downscale_factor) : downscale_factor_(downscale_factor) {
  MG_CHECK(downscale_factor > 0, "PixelUnshuffle: downscale_factor must be positive, got {}",
           downscale_factor);
}

Tensor PixelUnshuffle::forward(const Tensor& input) {
  return pixel_unshuffle(input, downscale_factor_);
}

std::string PixelUnshuffle::extra_repr() const {
  return fmt::format("downscale_factor={}", downscale_factor_);
}

}  // namespace nn
}  // namespace metagrad
