#include "optim/checkpoint.hpp"

#include <fmt/format.h>

#include <exception>
#include <map>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "engine/error.hpp"
#include "engine/io/safetensors.hpp"
#include "engine/io/safetensors_header.hpp"
#include "engine/ops.hpp"
#include "optim/utils.hpp"

// Note [optimizer state file] (checkpoint.hpp) describes the layout written and read here.

namespace metagrad {
namespace {

using json = nlohmann::json;

constexpr const char* kFormat = "metagrad.optim_state";
constexpr const char* kVersion = "1";
constexpr const char* kCheckpointFormat = "metagrad.training_checkpoint";
constexpr const char* kCheckpointVersion = "1";
// The name prefixes of a training checkpoint (Note [training checkpoint file]).
constexpr std::string_view kModulePrefix = "module.";
constexpr std::string_view kOptimizerPrefix = "optimizer.";
constexpr std::string_view kExtraPrefix = "extra.";
/// JSON nesting allowed in the "structure" metadata: a group tree is six containers deep plus two
/// per level of children, so this admits 29 levels of nested states (real ones have a few).
constexpr int kMaxStructureDepth = 64;

/// True when the JSON `text` nests arrays and objects more than `limit` deep (a linear scan that
/// skips strings), checked before parsing so that reading the tree cannot recurse without bound.
bool nests_deeper_than(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

std::optional<DType> dtype_from_name(const std::string& name) {
  for (DType d : {kFloat32, kFloat64, kInt64, kBool}) {
    if (dtype_name(d) == name) return d;
  }
  return std::nullopt;
}

json structure_of(const OptState& state) {
  json tensors = json::array();
  for (const auto& [name, list] : state.tensors) {
    json entries = json::array();
    for (const Tensor& t : list) {
      if (!t.defined()) {
        entries.push_back(nullptr);
        continue;
      }
      json entry = json::object();
      entry["shape"] = std::vector<int64_t>(t.shape().begin(), t.shape().end());
      entry["dtype"] = std::string(dtype_name(t.dtype()));
      entry["requires_grad"] = t.requires_grad();
      entries.push_back(std::move(entry));
    }
    json list_json = json::object();
    list_json["name"] = name;
    list_json["entries"] = std::move(entries);
    tensors.push_back(std::move(list_json));
  }
  json counters = json::array();
  for (const auto& [name, value] : state.counters) counters.push_back(name);
  json children = json::array();
  for (const OptState& child : state.children) children.push_back(structure_of(child));
  json out = json::object();
  out["kind"] = state.kind;
  out["tensors"] = std::move(tensors);
  out["counters"] = std::move(counters);
  out["children"] = std::move(children);
  return out;
}

Tensor int64_scalar(int64_t value) {
  Tensor t = empty(Dims(), kInt64);
  t.data_ptr<int64_t>()[0] = value;
  return t;
}

/// Throws "<op>('<path>'): <message>".
template <typename... Args>
[[noreturn]] void fail_file(std::string_view op, const std::string& path,
                            fmt::format_string<Args...> format, Args&&... args) {
  MG_FAIL("{}('{}'): {}", op, path, fmt::format(format, std::forward<Args>(args)...));
}

/// load_file(path), its errors prefixed by `op`.
SafetensorsFile open_file(std::string_view op, const std::string& path) {
  try {
    return load_file(path);
  } catch (const Error& e) {
    MG_FAIL("{}: {}", op, e.what());
  }
}

/// Checks that `file`'s __metadata__ says "format": `format` and "format_version": `version`;
/// `hint` (after "write one with") says which writer makes such a file.
void check_format(std::string_view op, const std::string& path, const SafetensorsFile& file,
                  const char* format, const char* version, const char* what, const char* hint) {
  const auto& meta = file.metadata;
  const auto found = meta.find("format");
  if (found == meta.end() || found->second != format) {
    fail_file(op, path, "not {}: its __metadata__ has no \"format\": \"{}\"; write one with {}",
              what, format, hint);
  }
  const auto found_version = meta.find("format_version");
  if (found_version == meta.end() || found_version->second != version) {
    fail_file(op, path, "format_version '{}' is not supported (this build reads version {})",
              found_version == meta.end() ? "(none)" : found_version->second, version);
  }
}

// Rebuilds the group states stored in a file under a name prefix (Note [optimizer state file]):
// metadata "<prefix>num_groups" and "<prefix>structure", tensors "<prefix><g>.<flat name>".
class StateReader {
 public:
  /// Reads from `file` (read from `path`); `op` and `path` start every error message.
  StateReader(std::string_view op, const std::string& path, const SafetensorsFile& file,
              std::string_view prefix)
      : op_(op), path_(path), file_(file), prefix_(prefix) {
    for (const auto& [name, t] : file_.tensors) {
      if (name.starts_with(prefix_)) by_name_.emplace(name, t);
    }
  }

  /// The group states; every failure, of this reader or of the libraries it calls, throws an
  /// Error naming the op and the file.
  std::vector<OptState> read() {
    try {
      return read_states();
    } catch (const Error&) {
      throw;
    } catch (const std::bad_alloc&) {
      fail("out of memory while reading the optimizer state");
    } catch (const std::exception& e) {
      fail("corrupt file: {}", io_detail::excerpt(e.what(), 240));
    }
  }

 private:
  std::vector<OptState> read_states() {
    const auto& meta = file_.metadata;
    const auto groups = meta.find(prefix_ + "num_groups");
    const auto structure_text = meta.find(prefix_ + "structure");
    if (groups == meta.end() || structure_text == meta.end()) {
      fail("corrupt file: __metadata__ lacks \"{}num_groups\" or \"{}structure\"", prefix_,
           prefix_);
    }
    if (nests_deeper_than(structure_text->second, kMaxStructureDepth))
      fail("corrupt file: the \"structure\" metadata nests more than {} levels deep",
           kMaxStructureDepth);
    json structure;
    try {
      structure = json::parse(structure_text->second);
    } catch (const json::exception& e) {
      fail("corrupt file: the \"structure\" metadata is not valid JSON: {}",
           io_detail::excerpt(e.what(), 240));
    }
    if (!structure.is_array() || std::to_string(structure.size()) != groups->second) {
      fail("corrupt file: \"structure\" must be a JSON array with num_groups = {} entries",
           groups->second);
    }
    std::vector<OptState> states;
    for (size_t g = 0; g < structure.size(); ++g) {
      states.push_back(parse_state(structure[g], g, ""));
    }
    for (const auto& [name, t] : by_name_) {
      if (used_.count(name) == 0)
        fail("corrupt file: tensor '{}' is not part of the structure", name);
    }
    return states;
  }

  template <typename... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) const {
    fail_file(op_, path_, format, std::forward<Args>(args)...);
  }

  // node["field"] checked to be of the wanted JSON type.
  const json& field(const json& node, const char* name, json::value_t type, size_t g,
                    const std::string& where) const {
    if (!node.is_object() || !node.contains(name) || node.at(name).type() != type) {
      fail("corrupt file: the structure of group {} at '{}' has no valid \"{}\" field", g,
           where.empty() ? "(top)" : where, name);
    }
    return node.at(name);
  }

  // The file's tensor `name` (prefix included), which may be taken once.
  const Tensor& take(const std::string& name) {
    const auto it = by_name_.find(name);
    if (it == by_name_.end()) fail("corrupt file: tensor '{}' of the structure is missing", name);
    if (!used_.insert(name).second) fail("corrupt file: '{}' is listed twice", name);
    return it->second;
  }

  OptState parse_state(const json& node, size_t g, const std::string& prefix) {
    OptState state;
    state.kind = field(node, "kind", json::value_t::string, g, prefix).get<std::string>();
    for (const json& list : field(node, "tensors", json::value_t::array, g, prefix)) {
      const auto name = field(list, "name", json::value_t::string, g, prefix).get<std::string>();
      TensorList tensors;
      const json& entries = field(list, "entries", json::value_t::array, g, prefix);
      for (size_t j = 0; j < entries.size(); ++j) {
        if (entries[j].is_null()) {
          tensors.emplace_back();
          continue;
        }
        const std::string flat = fmt::format("{}{}.{}{}.{}", prefix_, g, prefix, name, j);
        tensors.push_back(parse_tensor(entries[j], flat, g, prefix));
      }
      state.tensors.emplace_back(name, std::move(tensors));
    }
    for (const json& counter : field(node, "counters", json::value_t::array, g, prefix)) {
      if (!counter.is_string()) fail("corrupt file: a counter name of group {} is not a string", g);
      const auto name = counter.get<std::string>();
      const std::string flat = fmt::format("{}{}.{}{}", prefix_, g, prefix, name);
      const Tensor& t = take(flat);
      if (t.dim() != 0 || t.dtype() != kInt64) {
        fail("corrupt file: counter '{}' must be a 0-d int64 tensor, got shape {} and dtype {}",
             flat, shape_str(t.shape()), dtype_name(t.dtype()));
      }
      state.counters.emplace_back(name, t.item<int64_t>());
    }
    const json& children = field(node, "children", json::value_t::array, g, prefix);
    for (size_t i = 0; i < children.size(); ++i) {
      state.children.push_back(parse_state(children[i], g, fmt::format("{}{}.", prefix, i)));
    }
    return state;
  }

  Tensor parse_tensor(const json& entry, const std::string& flat, size_t g,
                      const std::string& prefix) {
    const json& shape_json = field(entry, "shape", json::value_t::array, g, prefix);
    const auto dtype_text = field(entry, "dtype", json::value_t::string, g, prefix);
    const json& requires_grad = field(entry, "requires_grad", json::value_t::boolean, g, prefix);
    std::vector<int64_t> dims;
    for (const json& d : shape_json) {
      if (!d.is_number_integer()) fail("corrupt file: the shape of '{}' is not integral", flat);
      dims.push_back(d.get<int64_t>());
    }
    if (dims.size() > static_cast<size_t>(kMaxDims)) {
      fail("corrupt file: the shape of '{}' has {} dimensions", flat, dims.size());
    }
    const std::optional<DType> dtype = dtype_from_name(dtype_text.get<std::string>());
    if (!dtype) fail("corrupt file: '{}' has the unknown dtype '{}'", flat, dtype_text.dump());
    const Dims shape(dims);
    const Tensor& t = take(flat);
    if (t.shape() != shape || t.dtype() != *dtype) {
      fail("corrupt file: tensor '{}' has shape {} and dtype {}, but the structure says {} and {}",
           flat, shape_str(t.shape()), dtype_name(t.dtype()), shape_str(shape), dtype_name(*dtype));
    }
    if (requires_grad.get<bool>()) {
      if (!is_floating(*dtype))
        fail("corrupt file: the {} tensor '{}' cannot require grad", dtype_name(*dtype), flat);
      t.set_requires_grad(true);
    }
    return t;
  }

  std::string op_;
  std::string path_;
  const SafetensorsFile& file_;
  std::string prefix_;
  std::map<std::string, Tensor> by_name_;
  std::set<std::string> used_;
};

/// Appends the tensors and metadata that store `states` under `prefix` (Note [optimizer state
/// file]).
void append_states(const std::vector<OptState>& states, std::string_view prefix,
                   NamedTensors& tensors, std::map<std::string, std::string>& metadata) {
  json structure = json::array();
  for (size_t g = 0; g < states.size(); ++g) {
    structure.push_back(structure_of(states[g]));
    for (const auto& [name, t] : states[g].named_tensors()) {
      tensors.emplace_back(fmt::format("{}{}.{}", prefix, g, name), t);
    }
    for (const auto& [name, value] : states[g].named_counters()) {
      tensors.emplace_back(fmt::format("{}{}.{}", prefix, g, name), int64_scalar(value));
    }
  }
  metadata[fmt::format("{}num_groups", prefix)] = std::to_string(states.size());
  metadata[fmt::format("{}structure", prefix)] = structure.dump();
}

/// The states of the optimizer-state file at `path`.
std::vector<OptState> read_state_file(std::string_view op, const std::string& path) {
  const SafetensorsFile file = open_file(op, path);
  check_format(op, path, file, kFormat, kVersion, "an optimizer-state file",
               "save_state (a Module::save file loads with Module::load)");
  return StateReader(op, path, file, "").read();
}

/// `into` with the tensors and counters of `file_states`, which must have its structure (checked
/// first; on any difference it throws naming the group and the entry). `into` is not changed.
std::vector<OptState> fitted(std::string_view op, const std::string& path,
                             const std::vector<OptState>& file_states,
                             const std::vector<OptState>& into) {
  if (file_states.size() != into.size()) {
    fail_file(op, path, "the file holds {} parameter groups but the optimizer has {}",
              file_states.size(), into.size());
  }
  for (size_t g = 0; g < into.size(); ++g) {
    const std::optional<std::string> diff =
        state_difference(file_states[g], into[g], "the file", "the optimizer");
    if (diff) {
      fail_file(op, path,
                "group {}: {}; the file was saved from another transformation or other parameters",
                g, *diff);
    }
  }
  // Everything matches: load into copies (which share no slot with `into`).
  std::vector<OptState> loaded = into;
  for (size_t g = 0; g < into.size(); ++g) {
    loaded[g].load(file_states[g].named_tensors(), file_states[g].named_counters());
  }
  return loaded;
}

/// The training checkpoint at `path`, its format checked.
SafetensorsFile open_checkpoint(std::string_view op, const std::string& path) {
  SafetensorsFile file = open_file(op, path);
  check_format(op, path, file, kCheckpointFormat, kCheckpointVersion, "a training checkpoint",
               "save_checkpoint (an optimizer-state file loads with load_state, a Module::save "
               "file with Module::load)");
  return file;
}

/// The caller's strings of a checkpoint's metadata ("extra.<key>" entries, prefix removed).
std::map<std::string, std::string> extra_of(const SafetensorsFile& file) {
  std::map<std::string, std::string> extra;
  for (const auto& [key, value] : file.metadata) {
    if (key.starts_with(kExtraPrefix)) extra.emplace(key.substr(kExtraPrefix.size()), value);
  }
  return extra;
}

}  // namespace

void save_state(const std::vector<OptState>& states, const std::string& path) {
  NamedTensors tensors;
  std::map<std::string, std::string> metadata = {{"format", kFormat}, {"format_version", kVersion}};
  append_states(states, "", tensors, metadata);
  try {
    save_file(tensors, path, metadata);
  } catch (const Error& e) {
    MG_FAIL("save_state: {}", e.what());
  }
}

std::vector<OptState> read_state(const std::string& path) {
  return read_state_file("read_state", path);
}

void load_state(std::vector<OptState>& into, const std::string& path) {
  into = fitted("load_state", path, read_state_file("load_state", path), into);
}

void save_state(const Optimizer& optimizer, const std::string& path) {
  save_state(optimizer.state_dict(), path);
}

void load_state(Optimizer& optimizer, const std::string& path) {
  std::vector<OptState> states = optimizer.state_dict();
  load_state(states, path);
  optimizer.load_state_dict(states);
}

void save_state(const MetaOptimizer& optimizer, const std::string& path) {
  save_state(optimizer.state_dict(), path);
}

void load_state(MetaOptimizer& optimizer, const std::string& path) {
  std::vector<OptState> states = optimizer.state_dict();
  load_state(states, path);
  optimizer.load_state_dict(states);
}

void save_state(const FuncOptimizer& optimizer, const std::string& path) {
  save_state(std::vector<OptState>{optimizer.state_dict()}, path);
}

void load_state(FuncOptimizer& optimizer, const std::string& path) {
  std::vector<OptState> states;
  if (optimizer.initialized()) {
    states = {optimizer.state_dict()};
    load_state(states, path);
  } else {
    states = read_state_file("load_state", path);
    MG_CHECK(states.size() == 1,
             "load_state('{}'): the file holds {} parameter groups but a FuncOptimizer has one",
             path, states.size());
  }
  optimizer.load_state_dict(states[0]);
}

void save_checkpoint(const std::string& path, const nn::Module& module, const Optimizer& optimizer,
                     const std::map<std::string, std::string>& extra) {
  NamedTensors tensors;
  for (const auto& [name, t] : module.state_dict()) {
    tensors.emplace_back(fmt::format("{}{}", kModulePrefix, name), t);
  }
  std::map<std::string, std::string> metadata = {{"format", kCheckpointFormat},
                                                 {"format_version", kCheckpointVersion}};
  append_states(optimizer.state_dict(), kOptimizerPrefix, tensors, metadata);
  for (const auto& [key, value] : extra) metadata[fmt::format("{}{}", kExtraPrefix, key)] = value;
  try {
    save_file(tensors, path, metadata);
  } catch (const Error& e) {
    MG_FAIL("save_checkpoint: {}", e.what());
  }
}

std::map<std::string, std::string> load_checkpoint(const std::string& path, nn::Module& module,
                                                   Optimizer& optimizer) {
  constexpr std::string_view kOp = "load_checkpoint";
  const SafetensorsFile file = open_checkpoint(kOp, path);
  NamedTensors module_state;
  for (const auto& [name, t] : file.tensors) {
    if (name.starts_with(kModulePrefix)) {
      module_state.emplace_back(name.substr(kModulePrefix.size()), t);
    } else if (!name.starts_with(kOptimizerPrefix)) {
      fail_file(kOp, path,
                "corrupt file: tensor '{}' is neither a module entry ('{}...') nor an "
                "optimizer entry ('{}...')",
                io_detail::excerpt(name), kModulePrefix, kOptimizerPrefix);
    }
  }
  // All or nothing: the optimizer's part is read and fitted to copies of its state, then the
  // module loads (load_state_dict checks everything before it changes a slot), and only then is
  // the optimizer's state replaced, by states already checked to fit it.
  const std::vector<OptState> loaded = fitted(
      kOp, path, StateReader(kOp, path, file, kOptimizerPrefix).read(), optimizer.state_dict());
  try {
    module.load_state_dict(module_state, true);
  } catch (const Error& e) {
    fail_file(kOp, path, "the module does not match the file: {}", e.what());
  }
  optimizer.load_state_dict(loaded);
  return extra_of(file);
}

std::map<std::string, std::string> read_checkpoint_extra(const std::string& path) {
  return extra_of(open_checkpoint("read_checkpoint_extra", path));
}

}  // namespace metagrad
