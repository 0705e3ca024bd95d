// resize_graph (torchopt.visual.resize_graph): the size attribute from the number of node and edge
// statements, on make_dot's text and on hand-written DOT text.
#include <string>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::randn64;

TEST_CASE("resize_graph sizes make_dot's graph by its statements", "[visual]") {
  const Tensor x = randn64({2}, 1);
  std::string dot = make_dot(x * 2.0);
  // 7 statements: the output and the edge from its MulBackward, the MulBackward and the edge from
  // the AccumulateGrad, the AccumulateGrad, the leaf and its edge. 0.5 * 7 < 12: the minimum.
  const std::string defaults = "\tgraph [size=\"12,12\"]\n";
  REQUIRE(dot.find(defaults) != std::string::npos);
  std::string expected = dot;
  expected.replace(expected.find(defaults), defaults.size(), "\tgraph [size=\"7,7\"]\n");
  resize_graph(dot, 1.0, 2.0);  // max(2, 1 * 7)
  CHECK(dot == expected);
  resize_graph(dot, 0.25, 1.0);  // max(1, 0.25 * 7)
  CHECK(dot.find("\tgraph [size=\"1.75,1.75\"]\n") != std::string::npos);
  resize_graph(dot, 0.25, 3.0);  // the minimum wins
  CHECK(dot.find("\tgraph [size=\"3,3\"]\n") != std::string::npos);
}

TEST_CASE("resize_graph adds or edits the graph attribute line of any digraph", "[visual]") {
  std::string dot = "digraph {\n\ta\n\tb\n\ta -> b\n}\n";
  resize_graph(dot, 1.0, 0.0);
  CHECK(dot == "digraph {\n\tgraph [size=\"3,3\"]\n\ta\n\tb\n\ta -> b\n}\n");
  // Other attributes stay; fontsize is not size.
  dot = "digraph {\n\tgraph [fontsize=10 size=\"1,1\" rankdir=LR]\n\tnode [shape=box]\n\ta\n}\n";
  resize_graph(dot, 2.0, 0.0);
  CHECK(dot ==
        "digraph {\n\tgraph [fontsize=10 size=\"2,2\" rankdir=LR]\n\tnode [shape=box]\n\ta\n}\n");
  dot = "digraph {\n\tgraph [fontsize=10]\n\ta\n\tb\n}\n";
  resize_graph(dot, 2.0, 0.0);
  CHECK(dot == "digraph {\n\tgraph [size=\"4,4\" fontsize=10]\n\ta\n\tb\n}\n");
}

TEST_CASE("resize_graph rejects text that is not a digraph and bad sizes", "[visual]") {
  std::string text = "graph {\n\ta\n}\n";
  CHECK_THROWS_WITH(resize_graph(text), MG_CONTAINS("resize_graph: the text does not begin with a "
                                                    "\"digraph {\" line"));
  CHECK(text == "graph {\n\ta\n}\n");
  std::string dot = "digraph {\n\ta\n}\n";
  CHECK_THROWS_WITH(resize_graph(dot, -0.5),
                    MG_CONTAINS("resize_graph: size_per_element (-0.5) and min_size (12)"));
  CHECK(dot == "digraph {\n\ta\n}\n");
}
