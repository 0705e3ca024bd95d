#include "engine/autograd/checkpoint.hpp"

#include <any>
#include <memory>

#include "engine/autograd/saved_tensor_hooks.hpp"
#include "engine/error.hpp"
#include "engine/grad_mode.hpp"
#include "engine/random/generator.hpp"

namespace metagrad::utils {
namespace {

// The shape and dtype of a tensor saved in forward, to check its recomputed twin.
struct SavedMeta {
  Dims shape;
  DType dtype;
};

// One checkpointed call: what recomputing needs, and the recomputed saves (Note [activation
// checkpointing]). Held by the packed saves of the call's nodes, freed with the last of them.
struct CheckpointFrame : std::enable_shared_from_this<CheckpointFrame> {
  CheckpointFunction fn;
  TensorList inputs;
  bool preserve_rng_state = true;
  GeneratorState rng_state;
  // While fn's forward runs: its saves, by number (an unpack in that forward reads them).
  bool in_forward = true;
  TensorList forward_saves;
  std::vector<SavedMeta> saved_meta;
  // After a recompute: its saves, by number; each is dropped once unpacked.
  TensorList recomputed;

  void recompute();
  Tensor take(size_t index);
};

// Restores the default generator's state on scope exit.
class GeneratorRestorer {
 public:
  explicit GeneratorRestorer(Generator& generator)
      : generator_(generator), state_(generator.state()) {}
  ~GeneratorRestorer() { generator_.set_state(state_); }
  GeneratorRestorer(const GeneratorRestorer&) = delete;
  GeneratorRestorer& operator=(const GeneratorRestorer&) = delete;

 private:
  Generator& generator_;
  GeneratorState state_;
};

void CheckpointFrame::recompute() {
  recomputed.clear();
  // Inputs as fresh tensors with the same requires_grad, so that every op records (and saves)
  // exactly as in forward, without linking the throwaway graph to the inputs' history.
  TensorList fresh;
  fresh.reserve(inputs.size());
  for (const Tensor& input : inputs) {
    if (!input.defined()) {
      fresh.push_back(input);
      continue;
    }
    Tensor copy = input.detach();
    if (input.requires_grad()) copy.requires_grad_(true);
    fresh.push_back(std::move(copy));
  }
  {
    EnableGradGuard enable_grad;
    GeneratorRestorer restore(default_generator());
    if (preserve_rng_state) default_generator().set_state(rng_state);
    // A save of the recompute gets the next number; an unpack inside it (fn's own grad()) reads
    // the recomputed tensor back. The hooks share the frame: a node of the recompute that fn
    // keeps may outlive this call.
    SavedTensorsHooksGuard hooks(
        [self = shared_from_this()](const Tensor& t) -> std::any {
          self->recomputed.push_back(t);
          return self->recomputed.size() - 1;
        },
        [self = shared_from_this()](const std::any& index) {
          const auto k = std::any_cast<size_t>(index);
          return k < self->recomputed.size() ? self->recomputed[k] : Tensor();
        });
    fn(fresh);
  }
  MG_CHECK(recomputed.size() == saved_meta.size(),
           "checkpoint: recomputing the function saved {} tensors for backward where its forward "
           "saved {}. Remedy: a checkpointed function must run the same ops each time (no "
           "branches on state it changes or on random values from a generator it owns)",
           recomputed.size(), saved_meta.size());
  for (size_t k = 0; k < recomputed.size(); ++k)
    MG_CHECK(recomputed[k].shape() == saved_meta[k].shape &&
                 recomputed[k].dtype() == saved_meta[k].dtype,
             "checkpoint: tensor {} saved for backward was {} {} in forward but {} {} when "
             "recomputed. Remedy: a checkpointed function must compute the same shapes each time",
             k, dtype_name(saved_meta[k].dtype), shape_str(saved_meta[k].shape),
             dtype_name(recomputed[k].dtype()), shape_str(recomputed[k].shape()));
}

Tensor CheckpointFrame::take(size_t index) {
  if (in_forward) return forward_saves[index];
  if (index >= recomputed.size() || !recomputed[index].defined()) recompute();
  Tensor saved = std::move(recomputed[index]);
  recomputed[index] = Tensor();
  return saved;
}

}  // namespace

TensorList checkpoint(const CheckpointFunction& fn, const TensorList& inputs,
                      CheckpointOptions options) {
  MG_CHECK(static_cast<bool>(fn), "checkpoint: the function is empty; pass a callable");
  if (!is_grad_enabled()) return fn(inputs);
  auto frame = std::make_shared<CheckpointFrame>();
  frame->fn = fn;
  frame->inputs = inputs;
  frame->preserve_rng_state = options.preserve_rng_state;
  frame->rng_state = default_generator().state();
  TensorList outputs;
  {
    // The hooks hold the frame; the frame never holds a node, so no cycle forms.
    SavedTensorsHooksGuard hooks(
        [frame](const Tensor& t) -> std::any {
          frame->saved_meta.push_back({t.shape(), t.dtype()});
          frame->forward_saves.push_back(t);
          return frame->saved_meta.size() - 1;
        },
        [frame](const std::any& index) { return frame->take(std::any_cast<size_t>(index)); });
    struct EndOfForward {
      CheckpointFrame& frame;
      ~EndOfForward() {
        frame.in_forward = false;
        frame.forward_saves = TensorList();
      }
    } end_of_forward{*frame};
    outputs = fn(inputs);
  }
  return outputs;
}

Tensor checkpoint_sequential(const std::vector<std::function<Tensor(const Tensor&)>>& functions,
                             int64_t segments, const Tensor& input, CheckpointOptions options) {
  const auto count = static_cast<int64_t>(functions.size());
  MG_CHECK(segments >= 1 && segments <= count,
           "checkpoint_sequential: {} segments for {} functions; pass a number of segments in "
           "[1, {}]",
           segments, count, count);
  // Runs functions [begin, end) in order; the recompute in backward runs it again, so it owns a
  // copy of the functions.
  const auto run = [shared =
                        std::make_shared<const std::vector<std::function<Tensor(const Tensor&)>>>(
                            functions)](int64_t begin, int64_t end, Tensor x) {
    for (int64_t i = begin; i < end; ++i) x = (*shared)[static_cast<size_t>(i)](x);
    return x;
  };
  const int64_t segment_size = count / segments;
  Tensor x = input;
  int64_t begin = 0;
  for (int64_t s = 0; s + 1 < segments; ++s, begin += segment_size) {
    const int64_t end = begin + segment_size;
    x = checkpoint(
        [run, begin, end](const TensorList& in) -> TensorList { return {run(begin, end, in[0])}; },
        {x}, options)[0];
  }
  return run(begin, count, x);
}

}  // namespace metagrad::utils
