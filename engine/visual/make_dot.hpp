#pragma once

#include <concepts>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.hpp"

// Note [make_dot]
// Graphviz export of the autograd graph, after TorchOpt's torchopt.visual.make_dot (itself from
// pytorchviz). Boxes, in TorchOpt's colours:
//   - lightgrey: a backward node, labelled by its op name (Node::name(), "MulBackward"); a leaf's
//     sink is the node "AccumulateGrad".
//   - lightblue: a leaf that requires grad (the variable of an AccumulateGrad), labelled with its
//     name from `params` (when it is there) and its shape "(2, 3)". A backward node that made a
//     non-leaf tensor of `params` (an updated parameter of a differentiable inner loop) is light
//     blue too, with the name and shape added below the op name.
//   - orange (show_saved): a tensor saved by a built-in backward node (Node::saved_for_display),
//     labelled with the name the node gives it ("self", "other") and its shape, joined to its node
//     by an undirected edge.
//   - orange, always: a tensor a custom function saved with ctx.save_for_backward
//     (Node::custom_saved_tensors), labelled like a variable (its name from `params`, if any, and
//     its shape), with an edge from the tensor to its node, as TorchOpt draws them.
//   - darkolivegreen1: the outputs, labelled with their name (from `params`) and shape.
//   - darkolivegreen3: the base of an output that is a view (TensorImpl::view_base: a view with
//     history keeps its base alive, one without it only while something else does), joined to the
//     output by a dotted edge, with an edge from its own grad_fn.
// Edges point the way the forward data flowed: from an input's node to the node that used it,
// from a leaf to its AccumulateGrad, from an output's grad_fn to the output.
//
// Ids are deterministic: outputs are `out<i>` in the order given, view bases `base<k>`, backward
// nodes `fn<k>` numbered
// breadth-first from the outputs (next edges in input order), leaves `leaf<k>` and saved tensors
// `saved<k>` in the order they are written. The text depends only on the structure of the graph,
// never on addresses or global counters, so the same program gives the same text. The graph is
// walked iteratively (a graph of 10^6 nodes is fine); an output given twice is one box.

namespace metagrad {
/// \addtogroup visual
/// @{

/// What make_dot shows besides the graph itself.
struct MakeDotOptions {
  /// Lists under each backward node's name its input and output shapes, then its non-tensor
  /// arguments ("dim: (1,)", "keepdim: False") and saved tensors ("self: [saved tensor]") sorted
  /// by name, as TorchOpt lists a node's saved attributes.
  bool show_attrs = false;
  /// Adds the tensors each backward node saved (orange boxes).
  bool show_saved = false;
  /// With show_attrs, the longest attribute value shown (longer ones end in "..."; at least 3).
  int max_attr_chars = 50;
};

/// The names make_dot gives to tensors (TorchOpt's `params`): one or several sets of
/// (name, tensor) pairs, each of which may be
///  - a list such as a module's named_parameters() or `{{"x", x}, {"loss", loss}}`;
///  - a state extracted with `extract_state_dict(net, {.enable_visual = true, .visual_prefix =
///    "step0."})`: its visual_contents (a state extracted without enable_visual names nothing);
///  - several of these at once: `{net_state_0, net_state_1, {{"meta_param", meta_param}}}`.
/// Tensors are named by identity (the same TensorImpl, not equal values); when a tensor is named
/// twice the later name wins (TorchOpt's dict update). Undefined entries are ignored.
class DotParams {
 public:
  /// Tensors with the names their boxes get.
  using Named = std::vector<std::pair<std::string, Tensor>>;

  /// No names.
  DotParams() = default;
  /// The pairs of a list such as named_parameters().
  DotParams(Named named) : entries_(std::move(named)) {}  // NOLINT: implicit on purpose
  /// The pairs of a braced list `{{"x", x}, {"y", y}}`.
  DotParams(std::initializer_list<std::pair<std::string, Tensor>> named) : entries_(named) {}
  /// The visual_contents of an extracted module state (ModuleState), when it has them.
  template <typename State>
  requires requires(const State& s) {
    { *s.visual_contents } -> std::convertible_to<const Named&>;
  }
  DotParams(const State& state) {  // NOLINT: implicit on purpose
    if (state.visual_contents) entries_ = *state.visual_contents;
  }
  /// Several sets, in order (later names win).
  DotParams(std::initializer_list<DotParams> several) {
    for (const DotParams& p : several)
      entries_.insert(entries_.end(), p.entries_.begin(), p.entries_.end());
  }

  /// Every (name, tensor) pair, in the order given.
  const Named& entries() const { return entries_; }

 private:
  Named entries_;
};

/// The Graphviz DOT text of the autograd graph reachable from `outputs` (Note [make_dot]), with
/// tensors named by `params` (see DotParams). Throws when an output is undefined.
std::string make_dot(const TensorList& outputs, const DotParams& params = {},
                     MakeDotOptions options = {});
/// make_dot of a single output.
std::string make_dot(const Tensor& output, const DotParams& params = {},
                     MakeDotOptions options = {});

/// torchopt.visual.resize_graph: sets the `size` attribute of the DOT graph `dot` (changed in
/// place) to "S,S" inches, S = max(min_size, size_per_element * rows), where rows counts the
/// node and edge statements (make_dot's text ends up with this size for the defaults). The
/// `graph [...]` line keeps its other attributes; one is added after the "digraph {" line when
/// there is none. Throws when `dot` does not begin with a "digraph {" line, or when a size is
/// negative or not finite.
void resize_graph(std::string& dot, double size_per_element = 0.5, double min_size = 12.0);

/// Writes `dot` to path_without_ext + ".dot" and runs Graphviz (`dot -T` format, found on PATH)
/// to make path_without_ext + "." + format ("svg", "png", "pdf", ...). Returns the path of that
/// file. Throws when the .dot file cannot be written, when `dot` is not on PATH (the message says
/// how to install it and where the .dot file is), or when `dot` fails (with its exit status and
/// errors).
std::string render(const std::string& dot, const std::string& path_without_ext,
                   const std::string& format = "svg");

/// @}

}  // namespace metagrad
