// make_dot: the DOT text of known graphs, determinism, saved tensors, attributes, names.
#include <string>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::randn64;

namespace {

// How often `needle` occurs in `text`.
size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// y = sum(w * x + b) on fresh leaves; returns the DOT text of y with w and b named.
std::string affine_dot(MakeDotOptions options = {}) {
  Tensor w = randn64({2, 3}, 1), b = randn64({3}, 2);
  Tensor x = randn64({2, 3}, 3).detach();
  Tensor y = (w * x + b).sum();
  return make_dot(y, {{"w", w}, {"b", b}}, options);
}

// y = x^3 with the input saved through ctx.save_for_backward.
struct Cube : CustomFunction {
  std::string name() const override { return "Cube"; }
  TensorList forward(CustomFunctionContext& ctx, const TensorList& in) override {
    ctx.save_for_backward({in[0]});
    return {in[0] * in[0] * in[0]};
  }
  TensorList backward(CustomFunctionContext& ctx, const TensorList& g) override {
    const Tensor x = ctx.saved_tensors()[0];
    return {g[0] * 3.0 * x * x};  // d(x^3) = 3 x^2 dx
  }
};

// a * b recorded by hand, naming its saved tensors for display (Note [recording an op]).
Tensor named_mul(const Tensor& a, const Tensor& b) {
  Tensor out;
  {
    NoGradGuard no_grad;
    out = a * b;
  }
  SavedTensor sa(a, false), sb(b, false);
  // d(a b) = b da + a db
  record("NamedMulBackward", {a, b}, {out},
         [sa, sb](const TensorList& g, Node& self) -> TensorList {
           return {g[0] * sb.unpack(self), g[0] * sa.unpack(self)};
         },
         {{"self", sa}, {"other", sb}});
  return out;
}

}  // namespace

TEST_CASE("make_dot: the text of y = sum(w * x + b)", "[visual]") {
  const std::string expected =
      "digraph {\n"
      "\tgraph [size=\"12,12\"]\n"
      "\tnode [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 shape=box "
      "style=filled]\n"
      "\tout0 [label=\"()\" fillcolor=darkolivegreen1]\n"
      "\tfn0 -> out0\n"
      "\tfn0 [label=\"SumBackward\" fillcolor=lightgrey]\n"
      "\tfn1 -> fn0\n"
      "\tfn1 [label=\"AddBackward\" fillcolor=lightgrey]\n"
      "\tfn2 -> fn1\n"
      "\tfn3 -> fn1\n"
      "\tfn2 [label=\"MulBackward\" fillcolor=lightgrey]\n"
      "\tfn4 -> fn2\n"
      "\tfn3 [label=\"AccumulateGrad\" fillcolor=lightgrey]\n"
      "\tleaf0 [label=\"b\\n(3)\" fillcolor=lightblue]\n"
      "\tleaf0 -> fn3\n"
      "\tfn4 [label=\"AccumulateGrad\" fillcolor=lightgrey]\n"
      "\tleaf1 [label=\"w\\n(2, 3)\" fillcolor=lightblue]\n"
      "\tleaf1 -> fn4\n"
      "}\n";
  CHECK(affine_dot() == expected);
}

TEST_CASE("make_dot: the same program gives the same text", "[visual]") {
  // Fresh leaves each time, and the same leaves twice (their AccumulateGrad is then shared with
  // an older graph and has an older sequence number): the text depends only on the structure.
  CHECK(affine_dot() == affine_dot());
  Tensor w = randn64({4, 3}, 1), b = randn64({3}, 2), x = randn64({5, 4}, 3).detach();
  auto program = [&] { return make_dot(tanh(matmul(x, w) + b).sum(), {{"w", w}, {"b", b}}); };
  const std::string first = program();
  Tensor unrelated = (w * w).sum();  // nodes created in between shift every sequence number
  CHECK(program() == first);
  CHECK(make_dot(unrelated) != first);
  CHECK(count(first, "TanhBackward") == 1);
  CHECK(count(first, "MatmulBackward") == 1);
}

TEST_CASE("make_dot: unnamed leaves show their shape; unused params are ignored", "[visual]") {
  Tensor w = randn64({2}, 1), v = randn64({2}, 2), unused = randn64({7}, 3);
  const std::string dot = make_dot((w * v).sum(), {{"w", w}, {"unused", unused}, {"u", Tensor()}});
  CHECK(count(dot, "[label=\"w\\n(2)\" fillcolor=lightblue]") == 1);
  CHECK(count(dot, "[label=\"(2)\" fillcolor=lightblue]") == 1);
  CHECK(count(dot, "unused") == 0);
  CHECK(count(dot, "AccumulateGrad") == 2);
}

TEST_CASE("make_dot: several outputs, repeated outputs, outputs without history", "[visual]") {
  Tensor w = randn64({2, 2}, 1);
  Tensor a = w.sum(), b = (w * 2.0).sum({0});
  Tensor plain = randn64({3}, 4).detach();
  const std::string dot = make_dot(TensorList{a, b, a, plain});
  CHECK(count(dot, "fillcolor=darkolivegreen1") == 3);
  CHECK(count(dot, "\tout0 [label=\"()\"") == 1);
  CHECK(count(dot, "\tout1 [label=\"(2)\"") == 1);
  CHECK(count(dot, "\tout2 [label=\"(3)\"") == 1);
  CHECK(count(dot, "\tfn0 -> out0\n") == 1);
  CHECK(count(dot, "\tfn1 -> out1\n") == 1);
  CHECK(count(dot, "-> out2") == 0);
  // One AccumulateGrad for w although both outputs reach it.
  CHECK(count(dot, "AccumulateGrad") == 1);
  CHECK(count(dot, "fillcolor=lightblue") == 1);
  CHECK_THROWS_WITH(make_dot(TensorList{a, Tensor()}),
                    MG_CONTAINS("make_dot: output 1 of 2 is undefined"));
}

TEST_CASE("make_dot: show_saved adds orange saved tensors", "[visual]") {
  Tensor x = randn64({3}, 1), y = randn64({3}, 2);
  Tensor cube = CustomFunction::apply<Cube>({x})[0];
  Tensor out = named_mul(cube, y).sum();

  // A custom function's saved tensors are always shown, as TorchOpt shows them: labelled like a
  // variable (named by params: it is x's data) with an edge into the node.
  const std::string plain = make_dot(out, {{"x", x}});
  CHECK(count(plain, "orange") == 1);
  CHECK(count(plain, "\tsaved0 [label=\"x\\n(3)\" fillcolor=orange]\n\tsaved0 -> fn2\n") == 1);

  const std::string dot = make_dot(out, {{"x", x}}, {.show_saved = true});
  // NamedMulBackward (fn1) saved "self" and "other", CubeBackward (fn2) its input.
  CHECK(count(dot, "fillcolor=orange") == 3);
  CHECK(count(dot,
              "\tsaved0 [label=\"self\\n(3)\" fillcolor=orange]\n\tfn1 -> saved0 [dir=none]") == 1);
  CHECK(
      count(dot, "\tsaved1 [label=\"other\\n(3)\" fillcolor=orange]\n\tfn1 -> saved1 [dir=none]") ==
      1);
  CHECK(count(dot, "\tfn2 [label=\"CubeBackward\" fillcolor=lightgrey]") == 1);
  CHECK(count(dot, "\tsaved2 [label=\"x\\n(3)\" fillcolor=orange]\n\tsaved2 -> fn2\n") == 1);

  // The recorded op is a real op: its gradient is right.
  const TensorList g = grad({out}, {x, y}, {}, {.retain_graph = true});
  CHECK(testing::allclose(g[1], cube.detach()));
  // A backward without retain_graph frees the saved tensors; they are no longer shown.
  backward({out});
  CHECK(count(make_dot(out, {}, {.show_saved = true}), "orange") == 0);
}

TEST_CASE("make_dot: show_attrs lists shapes, cut to max_attr_chars", "[visual]") {
  Tensor a = randn64({2, 3}, 1), b = randn64({3}, 2);
  Tensor out = a * b;
  const std::string dot = make_dot(out, {}, {.show_attrs = true});
  CHECK(count(dot,
              "\tfn0 [label=\"MulBackward\\n"
              "-------------------------\\n"
              "input[0] :         (2, 3)\\n"
              "input[1] :            (3)\\n"
              "output[0]:         (2, 3)\\n"
              "other    : [saved tensor]\\n"
              "self     : [saved tensor]\" fillcolor=lightgrey]") == 1);
  CHECK(count(dot, "[label=\"AccumulateGrad\\n-----------------\\noutput[0]: (2, 3)\"") == 1);

  Tensor big = randn64({100, 200}, 3);
  const std::string cut = make_dot(big.sum(), {}, {.show_attrs = true, .max_attr_chars = 5});
  CHECK(count(cut,
              "\tfn0 [label=\"SumBackward\\n----------------\\ninput[0] : (1...\\noutput[0]:    "
              "()\\ndim      : (0...\\nkeepdim  : False\"") == 1);
  // Saved tensors are listed among the attributes.
  Tensor saved = named_mul(a, b);
  CHECK(count(make_dot(saved, {}, {.show_attrs = true}), "self     : [saved tensor]") == 1);
}

TEST_CASE("make_dot: show_attrs lists an op's non-tensor arguments", "[visual]") {
  Tensor a = randn64({2, 3, 4}, 1);
  // TorchOpt's SumBackward1 shows dim: (1,) and keepdim: False; the names sort as its dir() does.
  Tensor s = sum(a, {1});
  CHECK(count(make_dot(s, {}, {.show_attrs = true}),
              "\tfn0 [label=\"SumBackward\\n"
              "--------------------\\n"
              "input[0] : (2, 3, 4)\\n"
              "output[0]:    (2, 4)\\n"
              "dim      :      (1,)\\n"
              "keepdim  :     False\" fillcolor=lightgrey]") == 1);
  CHECK(count(make_dot(sum(a, {0, -1}, true), {}, {.show_attrs = true}),
              "dim      :    (0, 2)\\nkeepdim  :      True") == 1);
  CHECK(count(make_dot(permute(a, {2, 0, 1}), {}, {.show_attrs = true}), "dims     : (2, 0, 1)") ==
        1);
  CHECK(count(make_dot(norm(a, 3.0, {2}), {}, {.show_attrs = true}), "p        :       3.0") == 1);
  CHECK(count(make_dot(select(a, 1, 2), {}, {.show_attrs = true}),
              "dim      :         1\\nindex    :         2") == 1);
  // Without show_attrs the label is the op name only.
  CHECK(count(make_dot(s), "keepdim") == 0);
}

TEST_CASE("make_dot: a named non-leaf is shown on the node that made it", "[visual]") {
  // An updated parameter of a differentiable step: w1 = w - 0.1 * g.
  Tensor w = randn64({2}, 1);
  Tensor g = grad({(w * w).sum()}, {w}, {}, {.create_graph = true})[0];
  Tensor w1 = w - g * 0.1;
  const std::string dot = make_dot((w1 * w1).sum(), {{"w", w}, {"step1.w", w1}});
  CHECK(count(dot, "[label=\"SubBackward\\nstep1.w\\n(2)\" fillcolor=lightblue]") == 1);
  CHECK(count(dot, "[label=\"w\\n(2)\" fillcolor=lightblue]") == 1);
}

TEST_CASE("make_dot: names are escaped for DOT", "[visual]") {
  Tensor w = randn64({1}, 1);
  const std::string dot = make_dot(w.sum(), {{"a \"quoted\" \\ name", w}});
  CHECK(count(dot, "[label=\"a \\\"quoted\\\" \\\\ name\\n(1)\" fillcolor=lightblue]") == 1);
}

TEST_CASE("make_dot: a long chain is walked without recursion", "[visual]") {
  Tensor x = randn64({1}, 1);
  Tensor y = x;
  constexpr int kSteps = 20000;
  for (int i = 0; i < kSteps; ++i) y = y * 1.0;
  const std::string dot = make_dot(y);
  CHECK(count(dot, "MulBackward") == kSteps);
  CHECK(count(dot, fmt::format("\tfn{} [label=\"AccumulateGrad\"", kSteps)) == 1);
  // TorchOpt's resize_graph: 0.5 inch per statement: the output and its edge, each MulBackward
  // and the edge from its input, the AccumulateGrad, the leaf and its edge.
  const double size = 0.5 * (2 + 2 * kSteps + 3);
  CHECK(count(dot, fmt::format("graph [size=\"{},{}\"]", size, size)) == 1);
}

TEST_CASE("make_dot: several name sets, extracted states included (TorchOpt tutorial 2)",
          "[visual]") {
  // The tutorial's MetaNet: fc(x) + meta_param, one MetaSGD step between two snapshots.
  nn::Linear fc(5, 1, {.dtype = kFloat64});
  MetaSGD optimizer(fc, {.lr = 1e-3});
  Tensor meta_param = scalar_tensor(1.0, kFloat64).requires_grad_();
  const Tensor xs = ones({2, 5}, kFloat64), ys = ones({2, 1}, kFloat64);

  const ModuleState net_state_0 =
      extract_state_dict(fc, {.enable_visual = true, .visual_prefix = "step0."});
  optimizer.step(mse_loss(fc(xs) + meta_param, ys));
  const ModuleState net_state_1 =
      extract_state_dict(fc, {.enable_visual = true, .visual_prefix = "step1."});
  const Tensor loss = mse_loss(fc(xs) + meta_param, ys);

  const std::string dot =
      make_dot(loss, {net_state_0, net_state_1, {{"meta_param", meta_param}, {"loss", loss}}});
  CHECK(count(dot, "[label=\"loss\\n()\" fillcolor=darkolivegreen1]") == 1);
  CHECK(count(dot, "[label=\"meta_param\\n()\" fillcolor=lightblue]") == 1);
  CHECK(count(dot, "[label=\"step0.weight\\n(1, 5)\" fillcolor=lightblue]") == 1);
  CHECK(count(dot, "[label=\"step0.bias\\n(1)\" fillcolor=lightblue]") == 1);
  // The updated parameters are non-leaves: the nodes that made them carry their names.
  CHECK(count(dot, "\\nstep1.weight\\n(1, 5)\" fillcolor=lightblue]") == 1);
  CHECK(count(dot, "\\nstep1.bias\\n(1)\" fillcolor=lightblue]") == 1);

  // A state extracted without enable_visual names nothing; a tensor named twice takes the later
  // name.
  const ModuleState plain = extract_state_dict(fc);
  CHECK_FALSE(plain.visual_contents.has_value());
  CHECK(count(make_dot(loss, {plain}), "step") == 0);
  const std::string renamed = make_dot(loss, {{{"first", meta_param}}, {{"second", meta_param}}});
  CHECK(count(renamed, "second\\n()") == 1);
  CHECK(count(renamed, "first") == 0);
}

TEST_CASE("make_dot: the base of a view output is drawn dark green, joined by a dotted edge",
          "[visual]") {
  Tensor w = randn64({2, 3}, 1);
  Tensor h = w * 2.0;                // the base: a non-leaf with history
  Tensor v = h.reshape({3, 2}).t();  // a view of a view: its base is h
  REQUIRE(v.impl()->is_view());
  CHECK(v.impl()->view_base().get() == h.impl());
  CHECK_FALSE(h.impl()->is_view());
  const std::string dot = make_dot(v, {{"h", h}, {"v", v}});
  CHECK(count(dot, "\tout0 [label=\"v\\n(2, 3)\" fillcolor=darkolivegreen1]\n") == 1);
  CHECK(count(dot, "\tbase0 [label=\"h\\n(2, 3)\" fillcolor=darkolivegreen3]\n") == 1);
  CHECK(count(dot, "\tbase0 -> out0 [style=dotted]\n") == 1);
  // h's own grad_fn (MulBackward) feeds the base box.
  CHECK(count(dot, "MulBackward") == 1);
  CHECK(count(dot, "-> base0\n") == 1);
  // A base that is also an output is drawn once; a result that is not a view has no base box.
  CHECK(count(make_dot(TensorList{h, v}), "darkolivegreen3") == 0);
  CHECK(count(make_dot(TensorList{h, v}), "\tout0 -> out1 [style=dotted]\n") == 1);
  CHECK(count(make_dot(h * 1.0), "darkolivegreen3") == 0);
  // A view with history keeps its base alive, as PyTorch's do: the base box stays.
  Tensor lone;
  {
    Tensor tmp = w * 3.0;
    lone = tmp.select(0, 1);
  }
  CHECK(lone.impl()->is_view());
  CHECK(count(make_dot(lone), "darkolivegreen3") == 1);
  // A view without history does not: once its base is gone there is no base box.
  Tensor quiet;
  {
    NoGradGuard no_grad;
    Tensor tmp = w * 3.0;
    quiet = tmp.select(0, 1);
  }
  CHECK(quiet.impl()->is_view());
  CHECK(quiet.impl()->view_base() == nullptr);
}
