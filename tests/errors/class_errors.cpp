// Error inputs of the public classes: layers (constructor arguments and forward inputs), Module,
// the Optimizer and MetaOptimizer families and FuncOptimizer.
#include "tests/errors/error_table.hpp"

namespace metagrad::testing {
namespace {

// A module that registers the same parameter name twice.
struct TwiceRegistered : nn::Module {
  TwiceRegistered() {
    register_parameter("w", ones({2}));
    register_parameter("w", ones({3}));
  }
};

// A module with a parameter and a forward of its own (no task-batched form).
struct ScaledByParameter : nn::Cloneable<ScaledByParameter> {
  ScaledByParameter() { register_parameter("w", ones({2})); }
  Tensor forward(const Tensor& x) override { return x * parameter_at(0); }
};

// A float64 [2] parameter that requires grad.
Tensor param() { return ones({2}, kFloat64).requires_grad_(); }

}  // namespace

ErrorTable class_error_cases() {
  return {
      // Layers.
      {"Linear",
       "negative in_features",
       [] { nn::Linear layer(-1, 3); },
       {"Linear", "in_features", "-1"}},
      {"Linear",
       "input of the wrong width",
       [] {
         (void)nn::Linear(3, 2).forward(f32({4, 5}));
       },
       {"linear: input shape [4, 5] does not match weight shape [2, 3]"}},
      {"Conv2d",
       "zero out_channels",
       [] { nn::Conv2d layer(1, 0, 3); },
       {"Conv2d", "out_channels", "0"}},
      {"Conv2d",
       "input with other channels",
       [] {
         (void)nn::Conv2d(3, 2, 3).forward(f32({1, 1, 5, 5}));
       },
       {"conv2d: input shape [1, 1, 5, 5] has 1 channels but weight shape [2, 3, 3, 3] expects 3"}},
      {"Conv2d",
       "groups that do not divide the channels",
       [] { nn::Conv2d layer(4, 6, 3, {.groups = 4}); },
       {"Conv2d: groups = 4 must be positive and divide in_channels (4) and out_channels (6)"}},
      {"task_batched",
       "a custom layer",
       [] { (void)nn::task_batched(nn::Sequential(nn::Linear(2, 2), ScaledByParameter()), 2); },
       {"task_batched: module \"1\" is a", "has no task-batched form", "supported: Sequential"}},
      {"task_batched",
       "no tasks",
       [] { (void)nn::task_batched(nn::Linear(2, 2), 0); },
       {"task_batched: the task count must be >= 1, got 0"}},
      {"task_batched",
       "input without the task dim",
       [] {
         (void)(*nn::task_batched(nn::Linear(2, 2), 3))(f32({4, 2}));
       },
       {"TaskLinear: expected an input of at least 2 dims with the 3 tasks first", "[4, 2]"}},
      {"meta_batch_vectorized",
       "a loss per task missing",
       [] {
         nn::Linear net(2, 1);
         (void)meta_batch_vectorized(net, 3, [](nn::Module& m) { return m(f32({3, 4, 2})).sum(); });
       },
       {"meta_batch_vectorized: the task function returned a tensor of shape []",
        "losses as a [3] tensor"}},
      {"meta_batch_vectorized",
       "no tasks",
       [] {
         nn::Linear net(2, 1);
         (void)meta_batch_vectorized(net, 0, [](nn::Module& m) { return m(f32({1, 4, 2})); });
       },
       {"meta_batch_vectorized: the task count must be >= 1, got 0"}},
      {"BatchNormBase",
       "channels differ from num_features",
       [] {
         (void)nn::BatchNorm2d(4).forward(f32({2, 3, 2, 2}));
       },
       {"[2, 3, 2, 2]", "4"}},
      {"BatchNorm1d",
       "4-d input",
       [] {
         (void)nn::BatchNorm1d(3).forward(f32({2, 3, 2, 2}));
       },
       {"BatchNorm1d", "[2, 3, 2, 2]"}},
      {"BatchNorm2d",
       "2-d input",
       [] {
         (void)nn::BatchNorm2d(3).forward(f32({2, 3}));
       },
       {"BatchNorm2d", "[2, 3]"}},
      {"BatchNorm2d",
       "negative num_features",
       [] { nn::BatchNorm2d layer(-3); },
       {"BatchNorm2d", "num_features", "-3"}},
      {"ReLU",
       "int64 input",
       [] { (void)nn::ReLU().forward(ones({2}, kInt64)); },
       {"relu: expected a float32 or float64 tensor, got int64"}},
      {"Tanh",
       "undefined input",
       [] { (void)nn::Tanh().forward(Tensor()); },
       {"tanh: input is an undefined tensor"}},
      {"Sigmoid",
       "bool input",
       [] { (void)nn::Sigmoid().forward(ones({2}, kBool)); },
       {"sigmoid: expected a float32 or float64 tensor, got bool"}},
      {"Embedding",
       "float indices",
       [] { (void)nn::Embedding(4, 2).forward(f32({2})); },
       {"embedding: input must be an int64 tensor of indices, got float32"}},
      {"Conv1d",
       "kernel size 0",
       [] { nn::Conv1d layer(2, 4, 0); },
       {"Conv1d: kernel_size (0), stride (1) and dilation (1) must be positive"}},
      {"ZeroPad2d",
       "three pads",
       [] {
         nn::ZeroPad2d layer({1, 2, 3});
       },
       {"ZeroPad2d: padding must be one amount or 4 (last dim first), got 3 values"}},
      {"ConstantPad1d",
       "three pads",
       [] {
         nn::ConstantPad1d layer({1, 2, 3}, 0.5);
       },
       {"ConstantPad1d: padding must be one amount or 2 (last dim first), got 3 values"}},
      {"ConstantPad2d",
       "one pad in a list",
       [] { nn::ConstantPad2d layer({1}, 0.0); },
       {"ConstantPad2d: padding must be one amount or 4"}},
      {"ReflectionPad1d",
       "a pad as long as the dim",
       [] {
         (void)nn::ReflectionPad1d(3).forward(f32({1, 1, 3}));
       },
       {"reflect", "[1, 1, 3]"}},
      {"ReflectionPad2d",
       "two pads",
       [] {
         nn::ReflectionPad2d layer({1, 2});
       },
       {"ReflectionPad2d: padding must be one amount or 4 (last dim first), got 2 values"}},
      {"ReplicationPad1d",
       "four pads",
       [] {
         nn::ReplicationPad1d layer({1, 2, 3, 4});
       },
       {"ReplicationPad1d: padding must be one amount or 2 (last dim first), got 4 values"}},
      {"ReplicationPad2d",
       "a 1-D input",
       [] { (void)nn::ReplicationPad2d(1).forward(f32({4})); },
       {"replicate", "[4]"}},
      {"ConvTranspose1d",
       "output_padding not below the stride",
       [] { nn::ConvTranspose1d layer(2, 4, 3, {.output_padding = 1}); },
       {"ConvTranspose1d: output_padding (1,) must be non-negative and smaller than either "
        "stride (1,) or dilation (1,)"}},
      {"ConvTranspose2d",
       "output_padding not below the stride",
       [] { nn::ConvTranspose2d layer(2, 4, 3, {.output_padding = 1}); },
       {"ConvTranspose2d: output_padding (1, 1) must be non-negative and smaller than either "
        "stride (1, 1) or dilation (1, 1)"}},
      {"AdaptiveMaxPool2d",
       "negative output size",
       [] {
         nn::AdaptiveMaxPool2d layer({2, -1});
       },
       {"AdaptiveMaxPool2d: output_size must be positive, got (2, -1)"}},
      {"AdaptiveAvgPool2d",
       "output size 0",
       [] { nn::AdaptiveAvgPool2d layer(0); },
       {"AdaptiveAvgPool2d: output_size must be positive, got (0, 0)"}},
      {"PixelShuffle",
       "factor 0",
       [] { nn::PixelShuffle layer(0); },
       {"PixelShuffle: upscale_factor must be positive, got 0"}},
      {"PixelUnshuffle",
       "negative factor",
       [] { nn::PixelUnshuffle layer(-2); },
       {"PixelUnshuffle: downscale_factor must be positive, got -2"}},
      {"Upsample",
       "neither size nor scale_factor",
       [] { nn::Upsample layer({}); },
       {"Upsample: give exactly one of size and scale_factor (got neither)"}},
      {"InstanceNormBase",
       "a 2-D input",
       [] {
         (void)nn::InstanceNorm2d(3).forward(f32({2, 3}));
       },
       {"InstanceNorm2d: expected 3D (unbatched) or 4D input (got 2D input of shape [2, 3])"}},
      {"InstanceNorm1d",
       "channels differ from num_features with affine parameters",
       [] {
         (void)nn::InstanceNorm1d(3, {.affine = true}).forward(f32({2, 4, 5}));
       },
       {"InstanceNorm1d: input has 4 channels (dim 1 of shape [2, 4, 5]), the layer was built "
        "for 3"}},
      {"InstanceNorm2d",
       "non-positive num_features",
       [] { nn::InstanceNorm2d layer(0); },
       {"InstanceNorm2d: num_features must be positive, got 0"}},
      {"RecurrentCellBase",
       "input of another size",
       [] {
         (void)nn::GRUCell(3, 4)(f32({2, 5}));
       },
       {"gru_cell: w_ih must be [12, 5]"}},
      {"RNNCell",
       "hidden size 0",
       [] { nn::RNNCell cell(3, 0); },
       {"RNNCell: input_size and hidden_size must be positive, got 3 and 0"}},
      {"LSTMCell",
       "int64 parameters",
       [] { nn::LSTMCell cell(3, 4, {.dtype = kInt64}); },
       {"LSTMCell: parameters must be float32 or float64, got int64"}},
      {"GRUCell",
       "state of the wrong shape",
       [] {
         (void)nn::GRUCell(3, 4).forward(f32({2, 3}), f32({3, 4}));
       },
       {"gru_cell: the state must have shape [2, 4] for input shape [2, 3], got [3, 4]"}},
      {"RecurrentBase",
       "input of another feature size",
       [] {
         (void)nn::GRU(3, 4)(f32({5, 2, 6}));
       },
       {"GRU: expected input [L, N, 3] (time first), or unbatched [L, 3], got shape [5, 2, 6]"}},
      {"RNN",
       "h0 of the wrong shape",
       [] {
         (void)nn::RNN(3, 4).forward(f32({5, 2, 3}), f32({2, 2, 4}));
       },
       {"RNN: h0 must have shape [1, 2, 4]"}},
      {"LSTM",
       "dropout above 1",
       [] { nn::LSTM layer(3, 4, {.dropout = 1.5}); },
       {"LSTM: dropout must be a probability in [0, 1], got 1.5"}},
      {"GRU",
       "no layers",
       [] { nn::GRU layer(3, 4, {.num_layers = 0}); },
       {"GRU: num_layers must be positive, got 0"}},
      {"LBFGS",
       "a parameter listed twice",
       [] {
         const Tensor p = f32({2});
         LBFGS opt({p, p});
       },
       {"LBFGS: parameter 1 is parameter 0 again"}},
      {"GroupNorm",
       "groups that do not divide the channels",
       [] { nn::GroupNorm layer(3, 4); },
       {"GroupNorm: num_groups 3 must be positive and divide num_channels 4"}},
      {"GELU",
       "int64 input",
       [] { (void)nn::GELU().forward(ones({2}, kInt64)); },
       {"gelu: expected a float32 or float64 tensor, got int64"}},
      {"SiLU",
       "undefined input",
       [] { (void)nn::SiLU().forward(Tensor()); },
       {"silu", "undefined"}},
      {"Mish",
       "bool input",
       [] { (void)nn::Mish().forward(ones({2}, kBool)); },
       {"mish: expected a float32 or float64 tensor, got bool"}},
      {"Softplus", "beta 0", [] { nn::Softplus layer(0.0); }, {"Softplus: beta", "got 0"}},
      {"LogSigmoid",
       "int64 input",
       [] { (void)nn::LogSigmoid().forward(ones({2}, kInt64)); },
       {"log_sigmoid", "int64"}},
      {"ELU", "int64 input", [] { (void)nn::ELU().forward(ones({2}, kInt64)); }, {"elu", "int64"}},
      {"SELU",
       "int64 input",
       [] { (void)nn::SELU().forward(ones({2}, kInt64)); },
       {"selu", "int64"}},
      {"LeakyReLU",
       "int64 input",
       [] { (void)nn::LeakyReLU().forward(ones({2}, kInt64)); },
       {"leaky_relu", "int64"}},
      {"Hardtanh",
       "min above max",
       [] { nn::Hardtanh layer(1.0, -1.0); },
       {"Hardtanh: min_val (1) must not exceed max_val (-1)"}},
      {"ReLU6",
       "int64 input",
       [] { (void)nn::ReLU6().forward(ones({2}, kInt64)); },
       {"relu6", "int64"}},
      {"Hardsigmoid",
       "undefined input",
       [] { (void)nn::Hardsigmoid().forward(Tensor()); },
       {"hardsigmoid", "undefined"}},
      {"Hardswish",
       "bool input",
       [] { (void)nn::Hardswish().forward(ones({2}, kBool)); },
       {"hardswish", "bool"}},
      {"Softsign",
       "int64 input",
       [] { (void)nn::Softsign().forward(ones({2}, kInt64)); },
       {"softsign", "int64"}},
      {"Tanhshrink",
       "int64 input",
       [] { (void)nn::Tanhshrink().forward(ones({2}, kInt64)); },
       {"tanhshrink", "int64"}},
      {"Softshrink",
       "negative lambd",
       [] { nn::Softshrink layer(-0.5); },
       {"Softshrink: lambd must be non-negative, got -0.5"}},
      {"Hardshrink",
       "int64 input",
       [] { (void)nn::Hardshrink().forward(ones({2}, kInt64)); },
       {"hardshrink", "int64"}},
      {"Threshold",
       "int64 input",
       [] { (void)nn::Threshold(0.1, 2.0).forward(ones({2}, kInt64)); },
       {"threshold", "int64"}},
      {"CELU",
       "alpha 0",
       [] { nn::CELU layer(0.0); },
       {"CELU: alpha must be finite and non-zero, got 0"}},
      {"GLU",
       "odd size along dim",
       [] {
         (void)nn::GLU().forward(f32({2, 3}));
       },
       {"glu: dim -1 of input shape [2, 3] has odd size 3"}},
      {"Softmin",
       "dim out of range",
       [] {
         (void)nn::Softmin(2).forward(f32({2, 3}));
       },
       {"softmax: dimension out of range"}},
      {"PReLU",
       "zero num_parameters",
       [] { nn::PReLU layer({.num_parameters = 0}); },
       {"PReLU: num_parameters must be positive, got 0"}},
      {"PReLU",
       "slopes that match no channel count",
       [] {
         (void)nn::PReLU({.num_parameters = 3}).forward(f32({2, 4, 5}));
       },
       {"prelu: weight of shape [3] must hold 1 slope or one per channel (dim 1 of input shape "
        "[2, 4, 5])"}},
      {"Softmax",
       "dim out of range",
       [] {
         (void)nn::Softmax(2).forward(f32({2, 3}));
       },
       {"softmax: dimension out of range", "got 2"}},
      {"LogSoftmax",
       "dim out of range",
       [] {
         (void)nn::LogSoftmax(-3).forward(f32({2, 3}));
       },
       {"log_softmax: dimension out of range", "got -3"}},
      {"LayerNorm",
       "empty normalized_shape",
       [] { nn::LayerNorm layer({}); },
       {"LayerNorm: normalized_shape must name at least one dim"}},
      {"LayerNorm",
       "input of another shape",
       [] {
         (void)nn::LayerNorm({4}).forward(f32({2, 3}));
       },
       {"layer_norm: input shape [2, 3] does not end with the normalized shape [4]"}},
      {"Flatten",
       "start_dim out of range",
       [] {
         (void)nn::Flatten(3).forward(f32({2, 3}));
       },
       {"flatten: dimension out of range", "got 3"}},
      {"Dropout", "p above 1", [] { nn::Dropout layer(1.5); }, {"Dropout", "1.5"}},
      {"MaxPool2d",
       "zero kernel",
       [] {
         (void)nn::MaxPool2d(0).forward(f32({1, 1, 4, 4}));
       },
       {"MaxPool2d: kernel_size must be positive, got (0, 0)"}},
      {"AvgPool2d",
       "1-d input",
       [] { (void)nn::AvgPool2d(2).forward(f32({4})); },
       {"avg_pool2d", "got shape [4]"}},
      {"Sequential",
       "layers whose sizes do not chain",
       [] {
         (void)nn::Sequential(nn::Linear(2, 3), nn::Linear(4, 5)).forward(f32({1, 2}));
       },
       {"linear: input shape [1, 3] does not match weight shape [5, 4]"}},
      // Module.
      {"Module",
       "a parameter name registered twice",
       [] { TwiceRegistered m; },
       {"register_parameter: TwiceRegistered already has a parameter, buffer or submodule named "
        "\"w\""}},
      {"Module",
       "unknown parameter name",
       [] { (void)nn::Linear(2, 3).get_parameter("nope"); },
       {"get_parameter: Linear has no parameter \"nope\"; its parameters are: weight, bias"}},
      {"Module",
       "set_parameters with the wrong count",
       [] {
         nn::Linear(2, 3).set_parameters({f32({3, 2})});
       },
       {"set_parameters", "1", "2"}},
      {"Module",
       "load of a missing file",
       [] { nn::Linear(2, 3).load("/nonexistent-metagrad-dir/net.safetensors"); },
       {"/nonexistent-metagrad-dir/net.safetensors"}},
      {"Module",
       "forward of a plain Module",
       [] { (void)nn::Module().forward(f32({2})); },
       {"forward"}},
      // Stateless calls (engine/nn/stateless.hpp).
      {"swap_state",
       "unknown submodule",
       [] {
         nn::Sequential net(nn::Linear(2, 3));
         (void)nn::swap_state(net, {{"5.weight", f32({3, 2})}}, true);
       },
       {"swap_state: Sequential has no submodule \"5\" (in \"5.weight\")", "named_parameters()"}},
      {"swap_state",
       "missing name without allow_missing",
       [] {
         nn::Linear fc(2, 3);
         (void)nn::swap_state(fc, {{"scale", f32({3})}});
       },
       {"swap_state: Linear has no parameter or buffer \"scale\"", "allow_missing = true"}},
      {"swap_state",
       "a name given twice",
       [] {
         nn::Linear fc(2, 3);
         (void)nn::swap_state(fc, {{"bias", f32({3})}, {"bias", f32({3})}});
       },
       {"swap_state: \"bias\" is given twice for Linear"}},
      {"swap_state",
       "undefined tensor for a present name",
       [] {
         nn::Linear fc(2, 3);
         (void)nn::swap_state(fc, {{"bias", Tensor()}});
       },
       {"swap_state: the tensor for \"bias\" of Linear is undefined"}},
      {"swap_state",
       "a tensor of another shape",
       [] {
         nn::Linear fc(2, 3);
         (void)nn::swap_state(fc, {{"bias", f32({4})}});
       },
       {"swap_state: set_parameter: slot \"bias\" holds a tensor of shape",
        "(nothing was swapped)"}},
      {"reparametrize",
       "missing name without allow_missing",
       [] {
         nn::Linear fc(2, 3);
         nn::reparametrize scope(fc, {{"scale", f32({3})}});
       },
       {"swap_state: Linear has no parameter or buffer \"scale\""}},
      // Optimizers.
      {"Optimizer",
       "undefined transformation",
       [] { Optimizer opt({param()}, GradientTransformation()); },
       {"Optimizer", "undefined"}},
      {"Optimizer",
       "a parameter given twice",
       [] {
         Tensor p = param();
         Optimizer opt({p, p}, sgd({.lr = 0.1}));
       },
       {"add_param_group", "once"}},
      {"Optimizer",
       "load_state_dict with the wrong group count",
       [] {
         SGD opt({param()}, {.lr = 0.1});
         opt.load_state_dict({});
       },
       {"load_state_dict", "0", "1"}},
      {"SGD", "lr unset", [] { SGD opt({param()}, {}); }, {"sgd: lr is required"}},
      {"Adam",
       "negative lr",
       [] { Adam opt({param()}, {.lr = -1.0}); },
       {"adam: invalid lr value: -1"}},
      {"AdamW",
       "negative weight_decay",
       [] { AdamW opt({param()}, {.weight_decay = -1.0}); },
       {"adamw: invalid weight_decay value: -1"}},
      {"RMSProp",
       "negative alpha",
       [] { RMSProp opt({param()}, {.alpha = -1.0}); },
       {"rmsprop: invalid alpha value: -1"}},
      {"AdaGrad",
       "negative eps",
       [] { AdaGrad opt({param()}, {.eps = -1.0}); },
       {"adagrad: invalid eps value: -1"}},
      {"AdaMax",
       "beta1 = 1",
       [] {
         AdaMax opt({param()}, {.betas = {1.0, 0.9}});
       },
       {"adamax: invalid betas[0] value: 1"}},
      {"AdaDelta",
       "rho = 1",
       [] { AdaDelta opt({param()}, {.rho = 1.0}); },
       {"adadelta: invalid rho value: 1"}},
      {"RAdam",
       "negative lr",
       [] { RAdam opt({param()}, {.lr = -1.0}); },
       {"radam: invalid lr value: -1"}},
      {"MetaOptimizer",
       "undefined transformation",
       [] {
         nn::Linear net(2, 3);
         MetaOptimizer opt(net, GradientTransformation());
       },
       {"MetaOptimizer", "undefined"}},
      {"MetaOptimizer",
       "step on a loss that does not require grad",
       [] {
         nn::Linear net(2, 3);
         MetaSGD opt(net, {.lr = 0.1});
         opt.step(ones({}));
       },
       {"does not require grad"}},
      {"MetaOptimizer",
       "load_state_dict with the wrong group count",
       [] {
         nn::Linear net(2, 3);
         MetaSGD opt(net, {.lr = 0.1});
         opt.load_state_dict({});
       },
       {"load_state_dict", "0", "1"}},
      {"MetaSGD",
       "lr unset",
       [] {
         nn::Linear net(2, 3);
         MetaSGD opt(net, {});
       },
       {"sgd: lr is required"}},
      {"MetaAdam",
       "negative eps",
       [] {
         nn::Linear net(2, 3);
         MetaAdam opt(net, {.eps = -1.0});
       },
       {"adam: invalid eps value: -1"}},
      {"MetaAdamW",
       "negative lr",
       [] {
         nn::Linear net(2, 3);
         MetaAdamW opt(net, {.lr = -1.0});
       },
       {"adamw: invalid lr value: -1"}},
      {"MetaRMSProp",
       "negative momentum",
       [] {
         nn::Linear net(2, 3);
         MetaRMSProp opt(net, {.momentum = -1.0});
       },
       {"rmsprop: invalid momentum value: -1"}},
      {"MetaAdaGrad",
       "negative lr_decay",
       [] {
         nn::Linear net(2, 3);
         MetaAdaGrad opt(net, {.lr_decay = -1.0});
       },
       {"adagrad: invalid lr_decay value: -1"}},
      {"MetaAdaMax",
       "negative lr",
       [] {
         nn::Linear net(2, 3);
         MetaAdaMax opt(net, {.lr = -1.0});
       },
       {"adamax: invalid lr value: -1"}},
      {"MetaAdaDelta",
       "rho negative",
       [] {
         nn::Linear net(2, 3);
         MetaAdaDelta opt(net, {.rho = -0.5});
       },
       {"adadelta: invalid rho value: -0.5"}},
      {"MetaRAdam",
       "negative eps",
       [] {
         nn::Linear net(2, 3);
         MetaRAdam opt(net, {.eps = -1.0});
       },
       {"radam: invalid eps value: -1"}},
      {"FuncOptimizer",
       "undefined transformation",
       [] { FuncOptimizer opt{GradientTransformation()}; },
       {"FuncOptimizer", "undefined"}},
      {"FuncOptimizer",
       "parameters of another shape after the first step",
       [] {
         FuncOptimizer opt(sgd({.lr = 0.1}));
         Tensor p = param();
         TensorList params = opt.step((p * p).sum(), {p});
         Tensor q = ones({3}, kFloat64).requires_grad_();
         (void)opt.step((q * q).sum(), {q});
       },
       {"FuncOptimizer", "[3]", "[2]"}},
  };
}

}  // namespace metagrad::testing
