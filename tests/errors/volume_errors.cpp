// Error-input table of the 3-D ops and layers (engine/ops/volume.hpp, engine/nn/volume_layers.hpp).
#include "tests/errors/error_table.hpp"

namespace metagrad::testing {

ErrorTable volume_error_cases() {
  return {
      {"conv3d",
       "4-D weight",
       [] {
         (void)conv3d(f32({1, 2, 3, 3, 3}), f32({1, 2, 1, 1}));
       },
       {"conv3d: expected a 5-D weight [out_channels, in_channels / groups, kd, kh, kw]",
        "[1, 2, 1, 1]"}},
      {"conv_transpose3d",
       "output_padding not below stride or dilation",
       [] {
         (void)conv_transpose3d(f32({1, 2, 3, 3, 3}), f32({2, 1, 1, 1, 1}), {}, 1, 0, 1);
       },
       {"conv_transpose3d: output_padding (1, 1, 1) must be non-negative and smaller than either "
        "stride (1, 1, 1) or dilation (1, 1, 1)"}},
      {"max_pool3d_with_indices",
       "3-D input",
       [] {
         (void)max_pool3d_with_indices(f32({2, 3, 3}), 2);
       },
       {"max_pool3d: expected a 4-D (unbatched [C, D, H, W]) or 5-D (batched [N, C, D, H, W]) "
        "input, got shape [2, 3, 3]"}},
      {"max_pool3d",
       "padding above half the kernel",
       [] {
         (void)max_pool3d(f32({1, 1, 4, 4, 4}), 2, std::nullopt, 2);
       },
       {"max_pool3d: padding should be at most half of the kernel size, got padding (2, 2, 2) "
        "for kernel_size (2, 2, 2)"}},
      {"avg_pool3d",
       "zero divisor_override",
       [] {
         (void)avg_pool3d(f32({1, 1, 4, 4, 4}), 2, std::nullopt, 0, false, true, 0);
       },
       {"avg_pool3d: divisor_override must be non-zero"}},
      {"adaptive_max_pool3d_with_indices",
       "zero output size",
       [] {
         (void)adaptive_max_pool3d_with_indices(f32({1, 1, 4, 4, 4}), {2, 0, 2});
       },
       {"adaptive_max_pool3d: output_size must be positive, got (2, 0, 2)"}},
      {"adaptive_max_pool3d",
       "empty depth",
       [] {
         (void)adaptive_max_pool3d(f32({1, 1, 0, 4, 4}), 2);
       },
       {"adaptive_max_pool3d: input shape [1, 1, 0, 4, 4] has an empty spatial dim"}},
      {"max_unpool3d",
       "indices of another shape",
       [] {
         (void)max_unpool3d(f32({1, 1, 2, 2, 2}), zeros({1, 1, 2, 2, 1}, kInt64), 2);
       },
       {"max_unpool3d: expected int64 indices of the input's shape [1, 1, 2, 2, 2]",
        "[1, 1, 2, 2, 1]"}},
      {"Conv3d",
       "groups that do not divide the channels",
       [] { nn::Conv3d layer(3, 4, 3, {.groups = 2}); },
       {"Conv3d: groups = 2 must be positive and divide in_channels (3) and out_channels (4)"}},
      {"ConvTranspose3d",
       "requested output size out of reach",
       [] {
         nn::ConvTranspose3d layer(2, 2, 3, {.stride = 2});
         (void)layer.forward(f32({1, 2, 2, 2, 2}), {9, 5, 5});
       },
       {"ConvTranspose3d: requested an output size of (9, 5, 5), but valid sizes range from "
        "(5, 5, 5) to (6, 6, 6)"}},
      {"MaxPool3d",
       "zero stride",
       [] { nn::MaxPool3d pool(2, IntTriple{0}); },
       {"MaxPool3d: stride must be positive, got (0, 0, 0)"}},
      {"AvgPool3d",
       "padding above half the kernel",
       [] {
         nn::AvgPool3d pool(2, std::nullopt, {0, 0, 2});
       },
       {"AvgPool3d: padding should be at most half of the kernel size, got padding (0, 0, 2)"}},
      {"AdaptiveAvgPool3d",
       "negative output size",
       [] {
         nn::AdaptiveAvgPool3d pool({2, -1, 2});
       },
       {"AdaptiveAvgPool3d: output_size must be positive, got (2, -1, 2)"}},
      {"AdaptiveMaxPool3d",
       "zero output size",
       [] { nn::AdaptiveMaxPool3d pool(0); },
       {"AdaptiveMaxPool3d: output_size must be positive, got (0, 0, 0)"}},
      {"MaxUnpool3d",
       "called without indices",
       [] {
         nn::MaxUnpool3d unpool(2);
         (void)unpool.forward(f32({1, 1, 2, 2, 2}));
       },
       {"MaxUnpool3d: unpooling needs max_pool3d's indices"}},
      {"BatchNorm3d",
       "4-D input",
       [] {
         nn::BatchNorm3d norm(2);
         (void)norm.forward(f32({2, 2, 3, 3}));
       },
       {"BatchNorm3d", "[2, 2, 3, 3]"}},
      {"InstanceNorm3d",
       "3-D input",
       [] {
         nn::InstanceNorm3d norm(2);
         (void)norm.forward(f32({2, 3, 3}));
       },
       {"InstanceNorm3d: expected 4D (unbatched) or 5D input (got 3D input of shape [2, 3, 3])"}},
      {"ZeroPad3d",
       "four pads",
       [] {
         nn::ZeroPad3d layer({1, 2, 3, 4});
       },
       {"ZeroPad3d: padding must be one amount or 6 (last dim first), got 4 values"}},
      {"ConstantPad3d",
       "two pads",
       [] {
         nn::ConstantPad3d layer({1, 2}, 0.5);
       },
       {"ConstantPad3d: padding must be one amount or 6 (last dim first), got 2 values"}},
      {"ReflectionPad3d",
       "padding as large as the dim",
       [] {
         nn::ReflectionPad3d layer(2);
         (void)layer.forward(f32({1, 1, 2, 4, 4}));
       },
       {"reflect"}},
      {"ReplicationPad3d",
       "five pads",
       [] {
         nn::ReplicationPad3d layer({1, 1, 1, 1, 1});
       },
       {"ReplicationPad3d: padding must be one amount or 6 (last dim first), got 5 values"}},
  };
}

}  // namespace metagrad::testing
