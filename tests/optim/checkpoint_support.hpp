#pragma once

// What the checkpoint tests share: a temporary folder, file bytes, the exact bits of tensors and
// optimizer states, and rewriting a safetensors file with edited tensors or metadata.
#include <bit>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"

namespace metagrad::testing {

// A fresh temporary folder, removed with the object.
struct TempDir {
  std::filesystem::path dir;
  TempDir() {
    std::random_device entropy;
    dir = std::filesystem::temp_directory_path() /
          ("metagrad_ckpt_" + std::to_string(entropy()) + "_" + std::to_string(entropy()));
    std::filesystem::create_directories(dir);
  }
  ~TempDir() { std::filesystem::remove_all(dir); }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

// The bytes of the file at `path`.
inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Replaces the file at `path` by `bytes`.
inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Everything a state holds, by flat name, with the exact bits of each value.
struct Dump {
  std::vector<std::string> kinds;
  std::map<std::string, std::vector<uint64_t>> tensors;
  std::map<std::string, std::string> meta;  // shape, dtype, requires_grad of each tensor
  std::map<std::string, int64_t> counters;
  bool operator==(const Dump&) const = default;
};

// The exact bits of each value of `t` (float32, float64; integers and bools as int64).
inline std::vector<uint64_t> bits(const Tensor& t) {
  std::vector<uint64_t> out;
  const Tensor c = t.detach().contiguous();
  if (c.dtype() == kFloat32) {
    for (float v : c.to_vector<float>()) out.push_back(std::bit_cast<uint32_t>(v));
  } else if (c.dtype() == kFloat64) {
    for (double v : c.to_vector<double>()) out.push_back(std::bit_cast<uint64_t>(v));
  } else {
    for (int64_t v : c.to(kInt64).to_vector<int64_t>()) out.push_back(static_cast<uint64_t>(v));
  }
  return out;
}

// The kinds of `s` and of its children, depth first.
inline void collect_kinds(const OptState& s, std::vector<std::string>& out) {
  out.push_back(s.kind);
  for (const auto& c : s.children) collect_kinds(c, out);
}

// The Dump of every group state.
inline Dump dump(const std::vector<OptState>& states) {
  Dump d;
  for (size_t g = 0; g < states.size(); ++g) {
    collect_kinds(states[g], d.kinds);
    for (const auto& [name, t] : states[g].named_tensors()) {
      const std::string key = std::to_string(g) + "/" + name;
      d.tensors[key] = bits(t);
      d.meta[key] = shape_str(t.shape()) + " " + std::string(dtype_name(t.dtype())) +
                    (t.requires_grad() ? " grad" : "");
    }
    for (const auto& [name, v] : states[g].named_counters()) {
      d.counters[std::to_string(g) + "/" + name] = v;
    }
  }
  return d;
}

// Writes a copy of the safetensors file at `from` to `to` with its tensors and metadata changed by
// `edit(tensors, metadata)`.
template <typename Edit>
void tampered(const std::string& from, const std::string& to, Edit edit) {
  SafetensorsFile f = load_file(from);
  edit(f.tensors, f.metadata);
  save_file(f.tensors, to, f.metadata);
}

// Replaces the tensor called `name` (which must be present) by `t`.
inline void replace_tensor(NamedTensors& ts, const std::string& name, const Tensor& t) {
  bool found = false;
  for (auto& [n, tensor] : ts) {
    if (n == name) {
      tensor = t;
      found = true;
    }
  }
  REQUIRE(found);
}

/// Checks that `dir` holds exactly one entry, called `name` (no temporary file left behind by a
/// failed atomic write).
inline void check_only_file(const std::string& dir, const std::string& name) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    CHECK(entry.path().filename() == name);
  }
  CHECK(files == 1);
}

}  // namespace metagrad::testing
