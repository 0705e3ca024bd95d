// render: a MAML-style graph through Graphviz, and render's errors.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "tests/support/helpers.hpp"

using namespace metagrad;
using metagrad::testing::randn64;

namespace {

namespace fs = std::filesystem;

// A fresh folder under the system's temporary folder, removed with its contents at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    static int serial = 0;
    path = fs::temp_directory_path() /
           fmt::format("metagrad_visual_{}_{}", static_cast<long>(::getpid()), serial++);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Sets an environment variable for the scope and restores its old value (or its absence) after.
struct ScopedEnv {
  std::string name;
  std::optional<std::string> old;
  ScopedEnv(std::string n, const char* value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    ::setenv(name.c_str(), value, 1);
  }
  ~ScopedEnv() {
    if (old) {
      ::setenv(name.c_str(), old->c_str(), 1);
    } else {
      ::unsetenv(name.c_str());
    }
  }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool have_graphviz() { return std::system("command -v dot > /dev/null 2>&1") == 0; }

// The file descriptors this process has open.
size_t open_descriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// tanh MLP 3 -> 4 -> 1.
Tensor mlp(const TensorList& p, const Tensor& x) {
  return matmul(tanh(matmul(x, p[0]) + p[1]), p[2]) + p[3];
}

Tensor mse(const Tensor& prediction, const Tensor& target) {
  const Tensor d = prediction - target;
  return (d * d).mean();
}

// The meta-loss of two differentiable SGD steps on a support set, evaluated on a query set, with
// the parameters named as a module would name them ("0.weight", ...) and the updated ones by step.
std::pair<Tensor, std::vector<std::pair<std::string, Tensor>>> maml_graph() {
  const std::vector<std::string> names = {"0.weight", "0.bias", "2.weight", "2.bias"};
  TensorList params = {randn64({3, 4}, 1), randn64({4}, 2), randn64({4, 1}, 3), randn64({1}, 4)};
  std::vector<std::pair<std::string, Tensor>> named;
  for (size_t i = 0; i < params.size(); ++i) named.emplace_back(names[i], params[i]);
  const Tensor xs = randn64({5, 3}, 5).detach(), ys = randn64({5, 1}, 6).detach();
  const Tensor xq = randn64({5, 3}, 7).detach(), yq = randn64({5, 1}, 8).detach();
  TensorList fast = params;
  for (int step = 1; step <= 2; ++step) {
    const TensorList g = grad({mse(mlp(fast, xs), ys)}, fast, {}, {.create_graph = true});
    for (size_t i = 0; i < fast.size(); ++i) {
      fast[i] = fast[i] - g[i] * 0.1;  // p <- p - lr * dL/dp, recorded
      named.emplace_back(fmt::format("step{}.{}", step, names[i]), fast[i]);
    }
  }
  return {mse(mlp(fast, xq), yq), named};
}

}  // namespace

TEST_CASE("render: a MAML-style graph is accepted by dot -Tsvg", "[visual]") {
  const auto [meta_loss, named] = maml_graph();
  const std::string dot = make_dot(meta_loss, named, {.show_attrs = true, .show_saved = true});
  // The four parameters are the only leaves; the inner loop's updates are named on their nodes.
  CHECK(count(dot, "AccumulateGrad") == 4);
  CHECK(count(dot, "[label=\"0.weight\\n(3, 4)\" fillcolor=lightblue]") == 1);
  CHECK(count(dot, "step2.2.bias\\n(1)\" fillcolor=lightblue") == 1);
  CHECK(count(dot, "fillcolor=lightblue") == 4 + 8);
  CHECK(count(dot, "MatmulBackward") > 4);
  CHECK(count(dot, "TanhBackward") >= 3);
  // Meta-gradients flow through the graph that make_dot shows.
  const TensorList meta_grads = grad({meta_loss}, {named[0].second});
  CHECK(std::isfinite(meta_grads[0].sum().item<double>()));

  if (!have_graphviz()) {
    WARN("Graphviz 'dot' is not on PATH: skipping the dot -Tsvg check");
    return;
  }
  TempDir dir;
  const std::string svg = render(dot, dir / "maml", "svg");
  CHECK(svg == dir / "maml.svg");
  CHECK(read_text(dir / "maml.dot") == dot);
  const std::string text = read_text(svg);
  CHECK(count(text, "<svg") == 1);
  CHECK(count(text, "step1.0.weight") == 1);
}

TEST_CASE("render: says clearly when Graphviz is missing", "[visual]") {
  TempDir dir;
  Tensor w = randn64({2}, 1);
  const std::string dot = make_dot((w * w).sum(), {{"w", w}});
  {
    ScopedEnv no_path("PATH", "");
    CHECK_THROWS_WITH(render(dot, dir / "graph"),
                      MG_CONTAINS("render: Graphviz 'dot' was not found on PATH; install graphviz "
                                  "(apt-get install graphviz) or use the .dot file written at " +
                                  dir / "graph.dot"));
  }
  // The .dot file was written all the same, and PATH is back.
  CHECK(read_text(dir / "graph.dot") == dot);
  CHECK(!fs::exists(dir / "graph.svg"));
  CHECK(std::getenv("PATH") != nullptr);
  CHECK(std::string(std::getenv("PATH")).size() > 0);
}

TEST_CASE("render: reports dot's failure and bad arguments", "[visual]") {
  TempDir dir;
  Tensor w = randn64({2}, 1);
  const std::string dot = make_dot(w.sum());
  CHECK_THROWS_WITH(render(dot, ""), MG_CONTAINS("render: the output path is empty"));
  CHECK_THROWS_WITH(render(dot, dir / "g", "svg;rm"),
                    MG_CONTAINS("'svg;rm' is not a Graphviz output format"));
  CHECK_THROWS_WITH(render(dot, dir / "no/such/folder/g"),
                    MG_CONTAINS("render: cannot open") && MG_CONTAINS("no/such/folder/g.dot"));
  if (!have_graphviz()) {
    WARN("Graphviz 'dot' is not on PATH: skipping the checks that run it");
    return;
  }
  CHECK_THROWS_WITH(render(dot, dir / "g", "nosuchformat"),
                    MG_CONTAINS("exited with status") && MG_CONTAINS("nosuchformat"));
  CHECK_THROWS_WITH(render("digraph { this is not dot", dir / "bad"),
                    MG_CONTAINS("exited with status") && MG_CONTAINS("syntax error"));
  CHECK(render(dot, dir / "g", "png") == dir / "g.png");
  CHECK(read_text(dir / "g.png").substr(1, 3) == "PNG");
}

TEST_CASE("render: a 'dot' that cannot be run is an error; no run leaks a descriptor", "[visual]") {
  TempDir dir;
  Tensor w = randn64({2}, 1);
  const std::string dot = make_dot(w.sum());
  // An executable file named dot that is no program: starting it fails (ENOEXEC).
  fs::create_directories(dir.path / "bin");
  std::ofstream(dir / "bin/dot", std::ios::binary) << "\x7f"
                                                      "ELF, but not a program";
  fs::permissions(dir / "bin/dot", fs::perms::owner_all);
  const size_t before = open_descriptors();
  {
    ScopedEnv fake_path("PATH", (dir.path / "bin").c_str());
    CHECK_THROWS_WITH(render(dot, dir / "g"),
                      MG_CONTAINS("render: cannot run") && MG_CONTAINS("bin/dot"));
  }
  CHECK(open_descriptors() == before);
  if (!have_graphviz()) return;
  CHECK(render(dot, dir / "g") == dir / "g.svg");
  CHECK_THROWS(render("digraph { this is not dot", dir / "bad"));
  CHECK(open_descriptors() == before);
}
