#include "engine/visual/make_dot.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <compare>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "engine/autograd/node.hpp"

extern char** environ;

namespace metagrad {
namespace {

constexpr const char* kBackwardColor = "lightgrey";
constexpr const char* kLeafColor = "lightblue";
constexpr const char* kSavedColor = "orange";
constexpr const char* kOutputColor = "darkolivegreen1";
constexpr const char* kBaseColor = "darkolivegreen3";

// TorchOpt's size_to_str: "(2, 3)", "(3)", "()".
std::string size_str(const Dims& shape) {
  std::string out = "(";
  for (int i = 0; i < static_cast<int>(shape.size()); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + ")";
}

// The text of a DOT quoted string: backslashes and quotes escaped, line breaks as \n.
std::string dot_quoted(std::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (const char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out + "\"";
}

// "name\n(shape)", or only the shape when there is no name (TorchOpt's get_var_name).
std::string var_label(const std::string* name, const Dims& shape) {
  return name && !name->empty() ? *name + "\n" + size_str(shape) : size_str(shape);
}

// TorchOpt's get_fn_name: the op name over a rule and a table of "key: value" rows, keys
// left-aligned, values right-aligned and cut to max_chars with "...".
std::string with_attrs(const std::string& name,
                       const std::vector<std::pair<std::string, std::string>>& attrs,
                       int max_chars) {
  if (attrs.empty()) return name;
  const size_t limit = static_cast<size_t>(std::max(max_chars, 3));
  size_t key_width = 0, value_width = 0;
  for (const auto& [key, value] : attrs) {
    key_width = std::max(key_width, key.size());
    value_width = std::max(value_width, value.size());
  }
  value_width = std::min(value_width, limit);
  std::string out =
      name + "\n" + std::string(std::max(key_width + value_width + 2, name.size()), '-');
  for (const auto& [key, value] : attrs) {
    const std::string shown =
        value.size() > value_width ? value.substr(0, value_width - 3) + "..." : value;
    out += fmt::format("\n{:<{}}: {:>{}}", key, key_width, shown, value_width);
  }
  return out;
}

// The rows show_attrs lists for a node: its input and output shapes, then, sorted by name as
// TorchOpt lists a node's `_saved_` attributes, its non-tensor arguments (their values) and its
// saved tensors ("[saved tensor]").
std::vector<std::pair<std::string, std::string>> node_attrs(const Node& node) {
  std::vector<std::pair<std::string, std::string>> attrs;
  for (size_t i = 0; i < node.input_meta().size(); ++i)
    attrs.emplace_back(fmt::format("input[{}]", i), size_str(node.input_meta()[i].shape));
  for (size_t i = 0; i < node.output_meta().size(); ++i)
    attrs.emplace_back(fmt::format("output[{}]", i), size_str(node.output_meta()[i].shape));
  std::vector<std::pair<std::string, std::string>> saved = node.attributes_for_display();
  for (const auto& [name, tensor] : node.saved_for_display())
    if (tensor.defined()) saved.emplace_back(name, "[saved tensor]");
  std::stable_sort(saved.begin(), saved.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  attrs.insert(attrs.end(), saved.begin(), saved.end());
  return attrs;
}

struct NodeKey {
  const Node* node;
  uint32_t output_nr;
  bool operator==(const NodeKey& o) const { return node == o.node && output_nr == o.output_nr; }
};
struct NodeKeyHash {
  size_t operator()(const NodeKey& k) const {
    return std::hash<const Node*>()(k.node) ^
           (static_cast<size_t>(k.output_nr) * 0x9e3779b97f4a7c15ull);
  }
};

// What a tensor views: its storage, offset, shape and strides.
struct DataKey {
  const Storage* storage;
  int64_t offset;
  Dims shape, strides;
  static DataKey of(const Tensor& t) {
    return {t.impl()->storage().get(), t.impl()->offset(), t.shape(), t.impl()->strides()};
  }
  auto operator<=>(const DataKey& o) const {
    if (auto c = storage <=> o.storage; c != 0) return c;
    if (auto c = offset <=> o.offset; c != 0) return c;
    if (auto c = std::lexicographical_compare_three_way(shape.begin(), shape.end(), o.shape.begin(),
                                                        o.shape.end());
        c != 0)
      return c;
    return std::lexicographical_compare_three_way(strides.begin(), strides.end(), o.strides.begin(),
                                                  o.strides.end());
  }
};

// Builds the DOT body: walks the graph breadth-first from the outputs, numbering nodes as they
// are discovered (Note [make_dot]).
class DotWriter {
 public:
  DotWriter(const DotParams& params, MakeDotOptions options) : options_(options) {
    for (const auto& [name, t] : params.entries()) {
      if (!t.defined()) continue;
      names_.insert_or_assign(t.impl(), &name);
      names_by_data_.insert_or_assign(DataKey::of(t), &name);
      if (t.grad_fn()) produced_.insert_or_assign(NodeKey{t.grad_fn().get(), t.output_nr()}, &t);
    }
  }

  std::string write(const TensorList& outputs) {
    for (size_t i = 0; i < outputs.size(); ++i) {
      MG_CHECK(outputs[i].defined(), "make_dot: output {} of {} is undefined; pass defined tensors",
               i, outputs.size());
    }
    for (const Tensor& out : outputs) add_tensor(out, kOutputColor);
    while (!queue_.empty()) {
      const Node* node = queue_.front();
      queue_.pop_front();
      write_node(*node);
    }
    std::string dot = "digraph {\n";
    dot +=
        "\tnode [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 shape=box "
        "style=filled]\n";
    dot += body_;
    dot += "}\n";
    resize_graph(dot);  // as TorchOpt's make_dot ends
    return dot;
  }

 private:
  static std::string fn_id(size_t k) { return fmt::format("fn{}", k); }

  // TorchOpt's add_base_tensor: a box for the tensor (an output, or the base of a view output),
  // an edge from its grad_fn, and for a view a dark green box for its base joined by a dotted
  // edge. Each tensor is drawn once. Returns the tensor's box id.
  std::string add_tensor(const Tensor& t, const char* color) {
    if (const auto it = tensor_ids_.find(t.impl()); it != tensor_ids_.end()) return it->second;
    const bool is_output = color == kOutputColor;
    const std::string id =
        is_output ? fmt::format("out{}", num_outputs_++) : fmt::format("base{}", num_bases_++);
    tensor_ids_.emplace(t.impl(), id);
    node_line(id, var_label(name_of(t.impl()), t.shape()), color);
    if (t.grad_fn()) edge_line(fn_id(discover(t.grad_fn().get())), id);
    if (t.impl()->is_view()) {
      if (const std::shared_ptr<TensorImpl> base = t.impl()->view_base()) {
        const std::string base_id = add_tensor(Tensor(base), kBaseColor);
        edge_line(base_id, id, "style=dotted");
      }
    }
    return id;
  }

  size_t discover(const Node* node) {
    const auto [it, inserted] = ids_.emplace(node, ids_.size());
    if (inserted) queue_.push_back(node);
    return it->second;
  }

  const std::string* name_of(const TensorImpl* impl) const {
    const auto it = names_.find(impl);
    return it == names_.end() ? nullptr : it->second;
  }
  // A saved tensor is a history-free alias of what was saved: named when it views the same data
  // as a named tensor.
  const std::string* name_of_data(const Tensor& t) const {
    const auto it = names_by_data_.find(DataKey::of(t));
    return it == names_by_data_.end() ? nullptr : it->second;
  }

  void node_line(const std::string& id, const std::string& label, const char* color) {
    body_ += fmt::format("\t{} [label={} fillcolor={}]\n", id, dot_quoted(label), color);
  }
  void edge_line(const std::string& from, const std::string& to, const char* attrs = nullptr) {
    body_ += attrs ? fmt::format("\t{} -> {} [{}]\n", from, to, attrs)
                   : fmt::format("\t{} -> {}\n", from, to);
  }

  void write_node(const Node& node) {
    const std::string id = fn_id(ids_.at(&node));
    std::string label = options_.show_attrs
                            ? with_attrs(node.name(), node_attrs(node), options_.max_attr_chars)
                            : node.name();
    // A node that made a named non-leaf (an updated parameter) is shown as that parameter.
    const char* color = kBackwardColor;
    for (uint32_t i = 0; i < static_cast<uint32_t>(node.num_outputs()); ++i) {
      const auto it = produced_.find(NodeKey{&node, i});
      if (it == produced_.end()) continue;
      label += "\n" + var_label(name_of(it->second->impl()), it->second->shape());
      color = kLeafColor;
    }
    node_line(id, label, color);

    if (const auto* acc = dynamic_cast<const AccumulateGrad*>(&node)) {
      // A leaf freed while its graph lives on is drawn unnamed, with its recorded shape.
      const Tensor leaf = acc->variable();
      const std::string leaf_id = fmt::format("leaf{}", num_leaves_++);
      const Dims& shape = leaf.defined() ? leaf.shape() : node.output_meta()[0].shape;
      node_line(leaf_id, var_label(leaf.defined() ? name_of(leaf.impl()) : nullptr, shape),
                kLeafColor);
      edge_line(leaf_id, id);
    }
    if (options_.show_saved) {
      for (const auto& [name, tensor] : node.saved_for_display()) {
        if (!tensor.defined()) continue;
        const std::string saved_id = fmt::format("saved{}", num_saved_++);
        node_line(saved_id, var_label(&name, tensor.shape()), kSavedColor);
        edge_line(id, saved_id, "dir=none");
      }
    }
    for (const Edge& e : node.next_edges())
      if (e.valid()) edge_line(fn_id(discover(e.node.get())), id);
    // TorchOpt draws a custom function's saved tensors whatever show_saved says, after the
    // node's inputs, each with an edge into the node.
    for (const Tensor& tensor : node.custom_saved_tensors()) {
      if (!tensor.defined()) continue;
      const std::string saved_id = fmt::format("saved{}", num_saved_++);
      node_line(saved_id, var_label(name_of_data(tensor), tensor.shape()), kSavedColor);
      edge_line(saved_id, id);
    }
  }

  MakeDotOptions options_;
  std::unordered_map<const TensorImpl*, const std::string*> names_;
  std::unordered_map<NodeKey, const Tensor*, NodeKeyHash> produced_;
  std::map<DataKey, const std::string*> names_by_data_;
  std::unordered_map<const Node*, size_t> ids_;
  std::unordered_map<const TensorImpl*, std::string> tensor_ids_;
  std::deque<const Node*> queue_;
  std::string body_;
  size_t num_outputs_ = 0, num_bases_ = 0, num_leaves_ = 0, num_saved_ = 0;
};

// The first executable regular file `name` in the directories of PATH (empty entries skipped).
std::optional<std::string> find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return std::nullopt;
  std::string_view dirs(path);
  while (!dirs.empty()) {
    const size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    if (dir.empty()) continue;
    std::string candidate(dir);
    candidate += '/';
    candidate += name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return std::nullopt;
}

struct RunResult {
  int status = 0;
  std::string errors;
};

// Runs `argv` (argv[0] a full path) without a shell, capturing its standard error.
RunResult run_program(const std::vector<std::string>& argv) {
  int fds[2];
  MG_CHECK(::pipe(fds) == 0, "render: cannot create a pipe: {}", std::strerror(errno));
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    MG_CHECK(false, "render: cannot run '{}': {}", argv[0], std::strerror(rc));
  }
  RunResult result;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n > 0) {
      if (result.errors.size() < 4000) result.errors.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  while (::waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
  }
  return result;
}

}  // namespace

std::string make_dot(const TensorList& outputs, const DotParams& params, MakeDotOptions options) {
  return DotWriter(params, options).write(outputs);
}

std::string make_dot(const Tensor& output, const DotParams& params, MakeDotOptions options) {
  return make_dot(TensorList{output}, params, options);
}

std::string render(const std::string& dot, const std::string& path_without_ext,
                   const std::string& format) {
  MG_CHECK(!path_without_ext.empty(),
           "render: the output path is empty; pass a path without extension such as \"graph\"");
  MG_CHECK(!format.empty() &&
               std::all_of(format.begin(), format.end(),
                           [](unsigned char c) { return std::isalnum(c) || c == ':' || c == '_'; }),
           "render: '{}' is not a Graphviz output format; use one such as svg, png or pdf", format);
  const std::string dot_path = path_without_ext + ".dot";
  {
    std::ofstream file(dot_path, std::ios::binary | std::ios::trunc);
    MG_CHECK(file.is_open(), "render: cannot open '{}' for writing: {}", dot_path,
             std::strerror(errno));
    file << dot;
    file.close();
    MG_CHECK(!file.fail(), "render: writing '{}' failed: {}", dot_path, std::strerror(errno));
  }
  const std::optional<std::string> program = find_on_path("dot");
  MG_CHECK(program.has_value(),
           "render: Graphviz 'dot' was not found on PATH; install graphviz (apt-get install "
           "graphviz) or use the .dot file written at {}",
           dot_path);
  const std::string out_path = path_without_ext + "." + format;
  const RunResult run = run_program({*program, "-T" + format, dot_path, "-o", out_path});
  const bool ok = WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0;
  MG_CHECK(ok, "render: '{} -T{} {} -o {}' {} {}; its errors: {}", *program, format, dot_path,
           out_path, WIFEXITED(run.status) ? "exited with status" : "was killed by signal",
           WIFEXITED(run.status) ? WEXITSTATUS(run.status) : WTERMSIG(run.status),
           run.errors.empty() ? std::string("(none)") : run.errors);
  return out_path;
}

}  // namespace metagrad
