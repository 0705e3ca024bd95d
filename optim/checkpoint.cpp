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

// Rebuilds the group states of a file from its structure metadata and tensors.
class StateReader {
 public:
  StateReader(const std::string& op, const std::string& path) : op_(op), path_(path) {
    try {
      file_ = load_file(path);
    } catch (const Error& e) {
      MG_FAIL("{}: {}", op, e.what());
    }
    for (const auto& [name, t] : file_.tensors) by_name_.emplace(name, t);
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
    const auto format = meta.find("format");
    if (format == meta.end() || format->second != kFormat) {
      fail(
          "not an optimizer-state file: its __metadata__ has no \"format\": \"{}\"; write one "
          "with save_state (a Module::save file loads with Module::load)",
          kFormat);
    }
    const auto version = meta.find("format_version");
    if (version == meta.end() || version->second != kVersion) {
      fail("format_version '{}' is not supported (this build reads version {})",
           version == meta.end() ? "(none)" : version->second, kVersion);
    }
    const auto groups = meta.find("num_groups");
    const auto structure_text = meta.find("structure");
    if (groups == meta.end() || structure_text == meta.end()) {
      fail("corrupt file: __metadata__ lacks \"num_groups\" or \"structure\"");
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
    for (const auto& [name, t] : file_.tensors) {
      if (used_.count(name) == 0)
        fail("corrupt file: tensor '{}' is not part of the structure", name);
    }
    return states;
  }

  template <typename... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) const {
    MG_FAIL("{}('{}'): {}", op_, path_, fmt::format(format, std::forward<Args>(args)...));
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
        const std::string flat = fmt::format("{}.{}{}.{}", g, prefix, name, j);
        tensors.push_back(parse_tensor(entries[j], flat, g, prefix));
      }
      state.tensors.emplace_back(name, std::move(tensors));
    }
    for (const json& counter : field(node, "counters", json::value_t::array, g, prefix)) {
      if (!counter.is_string()) fail("corrupt file: a counter name of group {} is not a string", g);
      const auto name = counter.get<std::string>();
      const std::string flat = fmt::format("{}.{}{}", g, prefix, name);
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
  SafetensorsFile file_;
  std::map<std::string, Tensor> by_name_;
  std::set<std::string> used_;
};

}  // namespace

void save_state(const std::vector<OptState>& states, const std::string& path) {
  NamedTensors tensors;
  json structure = json::array();
  for (size_t g = 0; g < states.size(); ++g) {
    structure.push_back(structure_of(states[g]));
    for (const auto& [name, t] : states[g].named_tensors()) {
      tensors.emplace_back(fmt::format("{}.{}", g, name), t);
    }
    for (const auto& [name, value] : states[g].named_counters()) {
      tensors.emplace_back(fmt::format("{}.{}", g, name), int64_scalar(value));
    }
  }
  const std::map<std::string, std::string> metadata = {
      {"format", kFormat},
      {"format_version", kVersion},
      {"num_groups", std::to_string(states.size())},
      {"structure", structure.dump()},
  };
  try {
    save_file(tensors, path, metadata);
  } catch (const Error& e) {
    MG_FAIL("save_state: {}", e.what());
  }
}

std::vector<OptState> read_state(const std::string& path) {
  return StateReader("read_state", path).read();
}

void load_state(std::vector<OptState>& into, const std::string& path) {
  const std::vector<OptState> file_states = StateReader("load_state", path).read();
  MG_CHECK(file_states.size() == into.size(),
           "load_state('{}'): the file holds {} parameter groups but the optimizer has {}", path,
           file_states.size(), into.size());
  for (size_t g = 0; g < into.size(); ++g) {
    const std::optional<std::string> diff =
        state_difference(file_states[g], into[g], "the file", "the optimizer");
    MG_CHECK(!diff,
             "load_state('{}'): group {}: {}; the file was saved from another transformation or "
             "other parameters",
             path, g, diff.value_or(""));
  }
  // Everything matches: load into copies (which share no slot with `into`), then commit.
  std::vector<OptState> loaded = into;
  for (size_t g = 0; g < into.size(); ++g) {
    loaded[g].load(file_states[g].named_tensors(), file_states[g].named_counters());
  }
  into = std::move(loaded);
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
    states = StateReader("load_state", path).read();
    MG_CHECK(states.size() == 1,
             "load_state('{}'): the file holds {} parameter groups but a FuncOptimizer has one",
             path, states.size());
  }
  optimizer.load_state_dict(states[0]);
}

}  // namespace metagrad
