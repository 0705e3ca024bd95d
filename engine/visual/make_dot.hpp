#pragma once

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
//   - orange (show_saved): a tensor saved by a backward node (Node::saved_for_display), labelled
//     with the name the node gives it ("self", "saved_tensors[0]") and its shape, joined to its
//     node by an undirected edge. Unlike TorchOpt, saved tensors of custom functions are shown
//     only with show_saved too.
//   - darkolivegreen1: the outputs, labelled with their shape.
// Edges point the way the forward data flowed: from an input's node to the node that used it,
// from a leaf to its AccumulateGrad, from an output's grad_fn to the output.
//
// Ids are deterministic: outputs are `out<i>` in the order given, backward nodes `fn<k>` numbered
// breadth-first from the outputs (next edges in input order), leaves `leaf<k>` and saved tensors
// `saved<k>` in the order they are written. The text depends only on the structure of the graph,
// never on addresses or global counters, so the same program gives the same text. The graph is
// walked iteratively (a graph of 10^6 nodes is fine); an output given twice is one box.

namespace metagrad {

/// What make_dot shows besides the graph itself.
struct MakeDotOptions {
  /// Lists each backward node's input and output shapes (and saved tensors) under its name.
  bool show_attrs = false;
  /// Adds the tensors each backward node saved (orange boxes).
  bool show_saved = false;
  /// With show_attrs, the longest attribute value shown (longer ones end in "..."; at least 3).
  int max_attr_chars = 50;
};

/// The Graphviz DOT text of the autograd graph reachable from `outputs` (Note [make_dot]).
/// `params` (such as a module's named_parameters()) names tensors by identity (the same TensorImpl,
/// not equal values); undefined entries are ignored. Throws when an output is undefined.
std::string make_dot(const TensorList& outputs,
                     const std::vector<std::pair<std::string, Tensor>>& params = {},
                     MakeDotOptions options = {});
/// make_dot of a single output.
std::string make_dot(const Tensor& output,
                     const std::vector<std::pair<std::string, Tensor>>& params = {},
                     MakeDotOptions options = {});

/// Writes `dot` to `<path_without_ext>.dot` and runs Graphviz (`dot -T<format>`, found on PATH) to
/// make `<path_without_ext>.<format>` ("svg", "png", "pdf", ...). Returns the path of that file.
/// Throws when the .dot file cannot be written, when `dot` is not on PATH (the message says how to
/// install it and where the .dot file is), or when `dot` fails (with its exit status and errors).
std::string render(const std::string& dot, const std::string& path_without_ext,
                   const std::string& format = "svg");

}  // namespace metagrad
