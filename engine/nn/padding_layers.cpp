// The 1-D and 2-D padding layers (ZeroPad2d, ConstantPad1d/2d, ReflectionPad1d/2d,
// ReplicationPad1d/2d; the 3-D ones are in volume_layers.cpp):
// pad() with PyTorch's arguments and reprs.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "engine/nn/layers.hpp"
#include "engine/ops.hpp"

namespace metagrad::nn {

detail::PaddingLayer::PaddingLayer(const char* layer, const PaddingSizes& padding, int sides,
                                   PadMode mode, double value)
    : mode_(mode), value_(value) {
  if (padding.sides.empty()) {
    pads_.assign(static_cast<size_t>(sides), padding.every_side);
  } else {
    MG_CHECK(static_cast<int>(padding.sides.size()) == sides,
             "{}: padding must be one amount or {} (last dim first), got {} values", layer, sides,
             padding.sides.size());
    pads_ = padding.sides;
  }
}

Tensor detail::PaddingLayer::pad_input(const Tensor& input) const {
  return pad(input, pads_, mode_, value_);
}

std::string detail::PaddingLayer::pads_repr() const {
  return fmt::format("({})", fmt::join(pads_, ", "));
}

ZeroPad2d::ZeroPad2d(const PaddingSizes& padding)
    : detail::PaddingLayer("ZeroPad2d", padding, 4, PadMode::Constant, 0.0) {}

Tensor ZeroPad2d::forward(const Tensor& input) { return pad_input(input); }

std::string ZeroPad2d::extra_repr() const { return pads_repr(); }

ConstantPad1d::ConstantPad1d(const PaddingSizes& padding, double value)
    : detail::PaddingLayer("ConstantPad1d", padding, 2, PadMode::Constant, value) {}

Tensor ConstantPad1d::forward(const Tensor& input) { return pad_input(input); }

std::string ConstantPad1d::extra_repr() const {
  return fmt::format("padding={}, value={}", pads_repr(), detail::float_repr(value()));
}

ConstantPad2d::ConstantPad2d(const PaddingSizes& padding, double value)
    : detail::PaddingLayer("ConstantPad2d", padding, 4, PadMode::Constant, value) {}

Tensor ConstantPad2d::forward(const Tensor& input) { return pad_input(input); }

std::string ConstantPad2d::extra_repr() const {
  return fmt::format("padding={}, value={}", pads_repr(), detail::float_repr(value()));
}

ReflectionPad1d::ReflectionPad1d(const PaddingSizes& padding)
    : detail::PaddingLayer("ReflectionPad1d", padding, 2, PadMode::Reflect, 0.0) {}

Tensor ReflectionPad1d::forward(const Tensor& input) { return pad_input(input); }

std::string ReflectionPad1d::extra_repr() const { return pads_repr(); }

ReflectionPad2d::ReflectionPad2d(const PaddingSizes& padding)
    : detail::PaddingLayer("ReflectionPad2d", padding, 4, PadMode::Reflect, 0.0) {}

Tensor ReflectionPad2d::forward(const Tensor& input) { return pad_input(input); }

std::string ReflectionPad2d::extra_repr() const { return pads_repr(); }

ReplicationPad1d::ReplicationPad1d(const PaddingSizes& padding)
    : detail::PaddingLayer("ReplicationPad1d", padding, 2, PadMode::Replicate, 0.0) {}

Tensor ReplicationPad1d::forward(const Tensor& input) { return pad_input(input); }

std::string ReplicationPad1d::extra_repr() const { return pads_repr(); }

ReplicationPad2d::ReplicationPad2d(const PaddingSizes& padding)
    : detail::PaddingLayer("ReplicationPad2d", padding, 4, PadMode::Replicate, 0.0) {}

Tensor ReplicationPad2d::forward(const Tensor& input) { return pad_input(input); }

std::string ReplicationPad2d::extra_repr() const { return pads_repr(); }

}  // namespace metagrad::nn
