// nn::task_batched: the task-batched form of each supported layer, and the walk that builds it.
#include "engine/nn/task_batched.hpp"

#include <fmt/format.h>

#include <iterator>
#include <string>
#include <utility>

#include "engine/grad_mode.hpp"
#include "engine/nn/attention.hpp"
#include "engine/nn/attention_core.hpp"
#include "engine/nn/batch_norm_layer.hpp"
#include "engine/nn/conv_layer_support.hpp"
#include "engine/nn/functional.hpp"
#include "engine/nn/layers.hpp"
#include "engine/nn/transformer.hpp"
#include "engine/ops.hpp"

namespace metagrad::nn {
namespace {

// `t` copied `tasks` times along a new leading dim (undefined stays undefined).
Tensor stacked(const Tensor& t, int64_t tasks) {
  if (!t.defined()) return t;
  NoGradGuard no_grad;
  Dims shape = t.shape();
  shape.insert(0, tasks);
  return t.detach().unsqueeze(0).expand(shape).contiguous();
}

// Throws unless `input` has the task dim first and at least `min_dim` dims in all.
void check_tasks(const Module& layer, const Tensor& input, int64_t tasks, int min_dim) {
  MG_CHECK(input.defined(), "{}: the input is undefined", layer.type_name());
  MG_CHECK(input.dim() >= min_dim && input.size(0) == tasks,
           "{}: expected an input of at least {} dims with the {} tasks first ([T, ...] with T = "
           "{}), got shape {}",
           layer.type_name(), min_dim, tasks, tasks, shape_str(input.shape()));
}

// Linear for T tasks: weight [T, out, in], bias [T, out]; input [T, *, in] -> [T, *, out].
class TaskLinear : public Cloneable<TaskLinear> {
 public:
  TaskLinear(const Linear& layer, int64_t tasks)
      : tasks_(tasks), in_features_(layer.in_features()), out_features_(layer.out_features()) {
    register_parameter("weight", stacked(layer.weight(), tasks), layer.weight().requires_grad());
    register_parameter("bias", stacked(layer.bias(), tasks),
                       layer.bias().defined() && layer.bias().requires_grad());
  }
  std::string type_name() const override { return "TaskLinear"; }
  std::string extra_repr() const override {
    return fmt::format("tasks={}, in_features={}, out_features={}, bias={}", tasks_, in_features_,
                       out_features_, parameter_at(1).defined() ? "True" : "False");
  }
  Tensor forward(const Tensor& input) override {
    check_tasks(*this, input, tasks_, 2);
    // One row per task ([T, in]) is a batch of one per task.
    if (input.dim() == 2) return squeeze(linear(unsqueeze(input, 1), weight(), bias()), 1);
    Dims out_shape = input.shape();
    out_shape.back() = out_features_;
    const Tensor rows = reshape(input, {tasks_, -1, input.size(-1)});
    return reshape(linear(rows, weight(), bias()), out_shape);
  }

 private:
  const Tensor& weight() const { return parameter_at(0); }
  const Tensor& bias() const { return parameter_at(1); }
  int64_t tasks_, in_features_, out_features_;
};

// Conv2d for T tasks: weight [T, out, in / groups, kh, kw], bias [T, out]; input [T, N, C, H, W].
class TaskConv2d : public Cloneable<TaskConv2d> {
 public:
  TaskConv2d(const Conv2d& layer, int64_t tasks)
      : tasks_(tasks),
        description_(layer.extra_repr()),
        options_(layer.options()),
        padding_sides_(detail::conv_layer_padding_sides(
            "Conv2d", options_.padding, layer.kernel_size(), options_.stride, options_.dilation)) {
    register_parameter("weight", stacked(layer.weight(), tasks), layer.weight().requires_grad());
    register_parameter("bias", stacked(layer.bias(), tasks),
                       layer.bias().defined() && layer.bias().requires_grad());
  }
  std::string type_name() const override { return "TaskConv2d"; }
  std::string extra_repr() const override {
    return fmt::format("tasks={}, {}", tasks_, description_);
  }
  Tensor forward(const Tensor& input) override {
    check_tasks(*this, input, tasks_, 4);
    if (input.dim() == 4) return squeeze(forward(unsqueeze(input, 1)), 1);
    const auto x = metagrad::detail::pad_conv_input(input, padding_sides_, options_.padding_mode);
    return conv2d(x.input, parameter_at(0), parameter_at(1), options_.stride,
                  {x.padding[0], x.padding[1]}, options_.dilation, options_.groups);
  }

 private:
  int64_t tasks_;
  std::string description_;
  Conv2dOptions options_;
  std::vector<int64_t> padding_sides_;  // before and after each spatial dim, pad()'s order
};

// ConvTranspose2d for T tasks: weight [T, in, out / groups, kh, kw], bias [T, out]; input
// [T, N, C, H, W] (metagrad::conv_transpose2d's per-task operands).
class TaskConvTranspose2d : public Cloneable<TaskConvTranspose2d> {
 public:
  TaskConvTranspose2d(const ConvTranspose2d& layer, int64_t tasks)
      : tasks_(tasks), description_(layer.extra_repr()), options_(layer.options()) {
    register_parameter("weight", stacked(layer.weight(), tasks), layer.weight().requires_grad());
    register_parameter("bias", stacked(layer.bias(), tasks),
                       layer.bias().defined() && layer.bias().requires_grad());
  }
  std::string type_name() const override { return "TaskConvTranspose2d"; }
  std::string extra_repr() const override {
    return fmt::format("tasks={}, {}", tasks_, description_);
  }
  Tensor forward(const Tensor& input) override {
    check_tasks(*this, input, tasks_, 4);
    if (input.dim() == 4) return squeeze(forward(unsqueeze(input, 1)), 1);
    return conv_transpose2d(input, parameter_at(0), parameter_at(1), options_.stride,
                            options_.padding, options_.output_padding, options_.groups,
                            options_.dilation);
  }

 private:
  int64_t tasks_;
  std::string description_;
  ConvTranspose2dOptions options_;
};

// BatchNorm1d/2d for T tasks: each task's channels normalised over its own batch. The tasks'
// channels become T*C channels of one batch ([T, N, C, *] -> [N, T*C, *]: a view of a
// task-channel-major input, Note [task-batched conv], a copy otherwise), so the running
// statistics [T, C] update in place through their [T*C] views.
class TaskBatchNorm : public Cloneable<TaskBatchNorm> {
 public:
  TaskBatchNorm(const BatchNormBase& layer, int64_t tasks, int min_dim, int max_dim)
      : tasks_(tasks),
        layer_name_(layer.type_name()),
        description_(layer.extra_repr()),
        options_(layer.options()),
        channels_(layer.num_features()),
        min_dim_(min_dim),
        max_dim_(max_dim) {
    for (const auto& [name, p] : layer.named_parameters(false))
      register_parameter(name, stacked(p, tasks), p.requires_grad());
    const NamedTensors buffers = layer.named_buffers(false);
    for (const auto& [name, b] : buffers)
      register_buffer(name, is_floating(b.dtype()) ? stacked(b, tasks) : b.detach().clone());
    MG_CHECK(buffers.size() == 3 || buffers.empty(),
             "task_batched: {} has {} buffers, expected running_mean, running_var and "
             "num_batches_tracked or none",
             layer_name_, buffers.size());
    if (!options_.affine) {
      register_parameter("weight", Tensor());
      register_parameter("bias", Tensor());
    }
  }
  std::string type_name() const override { return "Task" + layer_name_; }
  std::string extra_repr() const override {
    return fmt::format("tasks={}, {}", tasks_, description_);
  }
  Tensor forward(const Tensor& input) override {
    check_tasks(*this, input, tasks_, min_dim_ + 1);
    MG_CHECK(input.dim() <= max_dim_ + 1 && input.size(2) == channels_,
             "{}: expected [T, N, {}, ...] input with T = {} tasks and at most {} dims, got "
             "shape {}",
             type_name(), channels_, tasks_, max_dim_ + 1, shape_str(input.shape()));
    const int64_t n = input.size(1), channels = tasks_ * channels_;
    Dims order{1, 0}, merged{n, channels}, unmerged{n, tasks_, channels_};
    for (int d = 2; d < input.dim(); ++d) order.push_back(d);
    for (int d = 3; d < input.dim(); ++d) {
      merged.push_back(input.size(d));
      unmerged.push_back(input.size(d));
    }
    const Tensor as_channels = reshape(permute(input, order), merged);
    const auto flat = [channels](const Tensor& t) {
      return t.defined() ? reshape(t, {channels}) : t;
    };
    const bool tracked = buffers().size() == 3;
    const Tensor y = detail::batch_norm_layer(
        as_channels, tracked ? flat(buffer_at(0)) : Tensor(),
        tracked ? flat(buffer_at(1)) : Tensor(), tracked ? buffer_at(2) : Tensor(),
        flat(parameter_at(0)), flat(parameter_at(1)), options_, is_training());
    return permute(reshape(y, unmerged), order);
  }

 private:
  int64_t tasks_;
  std::string layer_name_, description_;
  BatchNormOptions options_;
  int64_t channels_;
  int min_dim_, max_dim_;
};

// A layer that maps each sample on its own but needs a fixed rank (pooling, Flatten): the tasks'
// batches are folded into one ([T, N, ...] -> [T*N, ...]) around it. A layer that maps each
// [H, W] plane on its own (pooling: `per_plane`) may instead see the planes of an image stored
// task-channel-major ([T, C, N, H, W] in memory, as the task-batched conv and batch norm leave
// it) as [T*C, N, H, W], a view where [T*N, C, H, W] would be a copy; its output then keeps that
// layout.
class TaskFolded : public Cloneable<TaskFolded> {
 public:
  TaskFolded(const Module& layer, int64_t tasks, bool per_plane)
      : tasks_(tasks), per_plane_(per_plane) {
    register_module("layer", layer.clone());
  }
  std::string type_name() const override { return "TaskFolded"; }
  std::string extra_repr() const override { return fmt::format("tasks={}", tasks_); }
  Tensor forward(const Tensor& input) override {
    check_tasks(*this, input, tasks_, 2);
    Dims folded = input.shape();
    folded.erase(0);
    folded[0] *= tasks_;
    if (per_plane_ && input.dim() == 5 && !reshape_is_view(input, folded)) {
      const Tensor planes = permute(input, {0, 2, 1, 3, 4});  // [T, C, N, H, W]
      const Dims plane_batch{tasks_ * input.size(2), input.size(1), input.size(3), input.size(4)};
      if (reshape_is_view(planes, plane_batch)) {
        const Tensor y = module_at(0)(reshape(planes, plane_batch));
        MG_CHECK(y.dim() == 4 && y.size(0) == plane_batch[0] && y.size(1) == plane_batch[1],
                 "{}: {} does not map each plane on its own (output shape {} for input shape {})",
                 type_name(), module_at(0).to_string(), shape_str(y.shape()),
                 shape_str(plane_batch));
        return permute(reshape(y, {tasks_, input.size(2), input.size(1), y.size(2), y.size(3)}),
                       {0, 2, 1, 3, 4});
      }
    }
    const Tensor y = module_at(0)(reshape(input, folded));
    MG_CHECK(y.dim() >= 1 && y.size(0) == folded[0],
             "{}: {} merged the samples of a batch (output shape {} for input shape {}); only "
             "layers that map each sample on its own can be task-batched",
             type_name(), module_at(0).to_string(), shape_str(y.shape()), shape_str(folded));
    Dims out_shape = y.shape();
    out_shape[0] = input.size(1);
    out_shape.insert(0, tasks_);
    return reshape(y, out_shape);
  }

 private:
  int64_t tasks_;
  bool per_plane_;
};

// LayerNorm for T tasks: weight and bias [T, *normalized_shape]; input [T, ..., *normalized_shape].
class TaskLayerNorm : public Cloneable<TaskLayerNorm> {
 public:
  TaskLayerNorm(const LayerNorm& layer, int64_t tasks)
      : tasks_(tasks), normalized_shape_(layer.normalized_shape()), eps_(layer.options().eps) {
    for (const char* name : {"weight", "bias"}) {
      const Tensor t = layer.has_parameter(name) ? layer.get_parameter(name) : Tensor();
      register_parameter(name, stacked(t, tasks), t.defined() && t.requires_grad());
    }
  }
  std::string type_name() const override { return "TaskLayerNorm"; }
  std::string extra_repr() const override {
    return fmt::format("tasks={}, normalized_shape={}", tasks_, shape_str(normalized_shape_));
  }
  Tensor forward(const Tensor& input) override {
    check_tasks(*this, input, tasks_, 1 + normalized_shape_.size());
    Tensor y = layer_norm(input, normalized_shape_, {}, {}, eps_);
    // [T, *shape] -> [T, 1, ..., 1, *shape] against y [T, ..., *shape].
    auto per_task = [&](const Tensor& p) {
      Dims shape = p.shape();
      while (shape.size() < input.dim()) shape.insert(1, 1);
      return reshape(p, shape);
    };
    if (parameter_at(0).defined()) y = y * per_task(parameter_at(0));
    if (parameter_at(1).defined()) y = y + per_task(parameter_at(1));
    return y;
  }

 private:
  int64_t tasks_;
  Dims normalized_shape_;
  double eps_;
};

// MultiheadAttention's self-attention forward(x) for T tasks: every parameter [T, ...], out_proj
// a TaskLinear; input [T, L, N, E] ([T, N, L, E] with batch_first, [T, L, E] unbatched), each
// task attending within its own batch with its own projections.
class TaskMultiheadAttention : public Cloneable<TaskMultiheadAttention> {
 public:
  TaskMultiheadAttention(const MultiheadAttention& layer, int64_t tasks,
                         std::shared_ptr<Module> out_proj)
      : tasks_(tasks),
        embed_dim_(layer.embed_dim()),
        num_heads_(layer.num_heads()),
        options_(layer.options()) {
    for (const char* name : metagrad::detail::mha_slots::kNames) {
      const Tensor t = layer.has_parameter(name) ? layer.get_parameter(name) : Tensor();
      register_parameter(name, stacked(t, tasks), t.defined() && t.requires_grad());
    }
    register_module("out_proj", std::move(out_proj));
  }
  std::string type_name() const override { return "TaskMultiheadAttention"; }
  std::string extra_repr() const override {
    return fmt::format("tasks={}, embed_dim={}, num_heads={}", tasks_, embed_dim_, num_heads_);
  }
  Tensor forward(const Tensor& input) override {
    check_tasks(*this, input, tasks_, 3);
    MG_CHECK(input.dim() <= 4 && input.size(-1) == embed_dim_,
             "{}: expected [T, L, E] or [T, L, N, E] ([T, N, L, E] with batch_first) with E = {}, "
             "got shape {}",
             type_name(), embed_dim_, shape_str(input.shape()));
    const bool batched = input.dim() == 4;
    const Tensor x = !batched               ? unsqueeze(input, 2)
                     : options_.batch_first ? transpose(input, 1, 2)
                                            : input;
    Tensor slots[std::size(metagrad::detail::mha_slots::kNames)];
    for (size_t i = 0; i < std::size(slots); ++i) slots[i] = parameter_at(i);
    const metagrad::detail::MultiheadAttentionParts parts = metagrad::detail::attention_parts(
        slots, module_at(0), embed_dim_, num_heads_, options_.add_zero_attn, options_.dropout,
        is_training(), options_.generator);
    const Tensor y = metagrad::detail::multi_head_attention(parts, x, x, x, {}, true).output;
    return !batched ? squeeze(y, 2) : options_.batch_first ? transpose(y, 1, 2) : y;
  }

 private:
  int64_t tasks_, embed_dim_, num_heads_;
  MultiheadAttentionOptions options_;
};

template <typename... Layers>
bool is_any_of(const Module& m) {
  return ((dynamic_cast<const Layers*>(&m) != nullptr) || ...);
}

// The task-batched form of `m` (at dotted `path` in the network).
std::shared_ptr<Module> convert(const Module& m, int64_t tasks, const std::string& path) {
  std::shared_ptr<Module> out;
  if (const auto* seq = dynamic_cast<const Sequential*>(&m)) {
    auto batched = std::make_shared<Sequential>();
    size_t index = 0;
    for (const std::shared_ptr<Module>& child : seq->children()) {
      const std::string child_path =
          path.empty() ? std::to_string(index) : path + "." + std::to_string(index);
      batched->push_back(convert(*child, tasks, child_path));
      ++index;
    }
    out = batched;
  } else if (is_any_of<ModuleList, TransformerEncoderLayer, TransformerEncoder>(m)) {
    // Containers whose forward(x) only calls their submodules: the same class over converted
    // submodules.
    out = m.clone();
    for (const auto& [name, child] : m.named_children())
      out->replace_module(name, convert(*child, tasks, path.empty() ? name : path + "." + name));
  } else if (const auto* norm = dynamic_cast<const LayerNorm*>(&m)) {
    out = std::make_shared<TaskLayerNorm>(*norm, tasks);
  } else if (const auto* attention = dynamic_cast<const MultiheadAttention*>(&m)) {
    out = std::make_shared<TaskMultiheadAttention>(
        *attention, tasks,
        convert(attention->get_submodule("out_proj"), tasks,
                path.empty() ? "out_proj" : path + ".out_proj"));
  } else if (const auto* linear_layer = dynamic_cast<const Linear*>(&m)) {
    out = std::make_shared<TaskLinear>(*linear_layer, tasks);
  } else if (const auto* conv = dynamic_cast<const Conv2d*>(&m)) {
    out = std::make_shared<TaskConv2d>(*conv, tasks);
  } else if (const auto* transposed = dynamic_cast<const ConvTranspose2d*>(&m)) {
    out = std::make_shared<TaskConvTranspose2d>(*transposed, tasks);
  } else if (const auto* bn1 = dynamic_cast<const BatchNorm1d*>(&m)) {
    out = std::make_shared<TaskBatchNorm>(*bn1, tasks, 2, 3);
  } else if (const auto* bn2 = dynamic_cast<const BatchNorm2d*>(&m)) {
    out = std::make_shared<TaskBatchNorm>(*bn2, tasks, 4, 4);
  } else if (is_any_of<ReLU, Tanh, Sigmoid, Dropout, GELU, SiLU, Mish, Softplus, LogSigmoid, ELU,
                       SELU, LeakyReLU, Identity, Hardtanh, ReLU6, Hardsigmoid, Hardswish, Softsign,
                       Tanhshrink, Softshrink, Hardshrink, Threshold, CELU>(m)) {
    out = m.clone();  // elementwise: any shape
  } else if (is_any_of<MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, Upsample>(m)) {
    out = std::make_shared<TaskFolded>(m, tasks, true);
  } else if (is_any_of<Flatten, PixelShuffle, PixelUnshuffle>(m)) {
    out = std::make_shared<TaskFolded>(m, tasks, false);
  } else {
    MG_CHECK(false,
             "task_batched: module \"{}\" is a {}, which has no task-batched form; supported: "
             "Sequential, Linear, Conv2d, ConvTranspose2d, BatchNorm1d, BatchNorm2d, LayerNorm, "
             "MultiheadAttention (self-attention forward(x)), TransformerEncoderLayer and "
             "TransformerEncoder (without masks), ModuleList, MaxPool2d, "
             "AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, Upsample, PixelShuffle, "
             "PixelUnshuffle, Flatten, Dropout, Identity and the elementwise activations (ReLU "
             "Tanh Sigmoid GELU SiLU Mish Softplus LogSigmoid ELU SELU LeakyReLU Hardtanh ReLU6 "
             "Hardsigmoid Hardswish Softsign Tanhshrink Softshrink Hardshrink Threshold CELU); "
             "write the "
             "network with these layers",
             path.empty() ? "(the network)" : path, m.type_name());
  }
  out->train(m.is_training());
  return out;
}

}  // namespace

std::shared_ptr<Module> task_batched(const Module& net, int64_t tasks) {
  MG_CHECK(tasks >= 1, "task_batched: the task count must be >= 1, got {}", tasks);
  std::shared_ptr<Module> batched = convert(net, tasks, "");
  MG_CHECK(batched->parameters().size() == net.parameters().size() &&
               batched->buffers().size() == net.buffers().size(),
           "task_batched: the network shares a tensor between slots ({} parameters and {} "
           "buffers listed, {} and {} slots); give each slot its own tensor",
           net.parameters().size(), net.buffers().size(), batched->parameters().size(),
           batched->buffers().size());
  return batched;
}

}  // namespace metagrad::nn
