// state_dict / load_state_dict and safetensors save / load: bit-exact round trips, and every
// failed load leaves the module unchanged.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "tests/nn/nn_helpers.hpp"

using namespace metagrad;
using metagrad::testing::bit_equal;
using metagrad::testing::names;
using metagrad::testing::same_state;
using metagrad::testing::snapshot;
using metagrad::testing::tutorial_net;

namespace {

// A file path in a fresh temporary folder, removed with the object.
struct TempDir {
  std::filesystem::path dir;
  TempDir() {
    std::random_device entropy;
    dir = std::filesystem::temp_directory_path() /
          ("metagrad_nn_" + std::to_string(entropy()) + "_" + std::to_string(entropy()));
    std::filesystem::create_directories(dir);
  }
  ~TempDir() { std::filesystem::remove_all(dir); }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

// Replaces the entry `name` of a state dict.
nn::NamedTensors with_entry(nn::NamedTensors state, const std::string& name, const Tensor& t) {
  for (auto& [n, tensor] : state) {
    if (n == name) tensor = t;
  }
  return state;
}

nn::NamedTensors without_entry(nn::NamedTensors state, const std::string& name) {
  std::erase_if(state, [&](const auto& e) { return e.first == name; });
  return state;
}

// A trained-looking module: random parameters and running statistics, counters at 3.
nn::Sequential trained_tutorial_net(uint64_t seed) {
  manual_seed(seed);
  nn::Sequential net = tutorial_net();
  for (int i = 0; i < 3; ++i) net(randn({4, 1, 28, 28}));
  return net;
}

}  // namespace

TEST_CASE("state_dict entries share storage and carry no history", "[module]") {
  nn::Sequential net(nn::Linear(2, 3), nn::BatchNorm1d(3));
  net.set_parameter("0.bias", net.get_parameter("0.bias") * 1.0);
  for (const auto& [name, t] : net.state_dict()) {
    CHECK_FALSE(t.requires_grad());
    CHECK(t.is_leaf());
  }
  const Tensor w = net.state_dict()[0].second;
  CHECK(w.storage() == net.get_parameter("0.weight").storage());
}

TEST_CASE("state_dict and load_state_dict round-trip bit-exactly", "[module]") {
  nn::Sequential source = trained_tutorial_net(1);
  nn::Sequential target = trained_tutorial_net(2);
  REQUIRE_FALSE(same_state(target, snapshot(source)));
  const TensorList target_params = target.parameters();
  const nn::LoadResult result = target.load_state_dict(source.state_dict());
  CHECK(result.missing_keys.empty());
  CHECK(result.unexpected_keys.empty());
  CHECK(same_state(target, snapshot(source)));
  CHECK(target.get_buffer("1.num_batches_tracked").item<int64_t>() == 3);
  // In place: the parameters are the same tensors (an optimizer holding them sees the values).
  const TensorList after = target.parameters();
  for (size_t i = 0; i < after.size(); ++i) {
    CHECK(after[i].is_same(target_params[i]));
    CHECK(after[i].requires_grad());
    CHECK(after[i].is_leaf());
  }
  const Tensor x = randn({2, 1, 28, 28});
  source.eval();
  target.eval();
  CHECK(bit_equal(source(x), target(x)));

  // float64 too, and a rebound (non-leaf) slot is replaced by a leaf with the loaded values.
  nn::Linear a(3, 2, {.dtype = kFloat64}), b(3, 2, {.dtype = kFloat64});
  b.set_parameter("weight", b.weight() * 2.0);
  b.load_state_dict(a.state_dict());
  CHECK(b.weight().is_leaf());
  CHECK(b.weight().requires_grad());
  CHECK(bit_equal(b.weight(), a.weight()));
  CHECK(bit_equal(b.bias(), a.bias()));
}

TEST_CASE("save and load round-trip bit-exactly through safetensors", "[module]") {
  TempDir tmp;
  const std::string path = tmp.file("net.safetensors");
  nn::Sequential source = trained_tutorial_net(3);
  source.save(path);

  // The file holds PyTorch's names (the loader sorts them) and the state's exact bytes.
  const SafetensorsFile file = load_file(path);
  std::vector<std::string> expected = names(source.state_dict());
  std::sort(expected.begin(), expected.end());
  CHECK(names(file.tensors) == expected);
  CHECK(file.metadata.at("format") == "pt");
  CHECK(bit_equal(file.at("5.running_var"), source.get_buffer("5.running_var")));
  CHECK(file.at("9.num_batches_tracked").dtype() == kInt64);
  CHECK(file.at("9.num_batches_tracked").dim() == 0);

  nn::Sequential target = trained_tutorial_net(4);
  target.load(path);
  CHECK(same_state(target, snapshot(source)));

  nn::Linear lin64(7, 3, {.dtype = kFloat64});
  lin64.save(tmp.file("lin.safetensors"));
  nn::Linear other(7, 3, {.dtype = kFloat64});
  other.load(tmp.file("lin.safetensors"));
  CHECK(bit_equal(other.weight(), lin64.weight()));
  CHECK(bit_equal(other.bias(), lin64.bias()));
}

TEST_CASE("a mismatching state dict is rejected and changes nothing", "[module]") {
  nn::Sequential net(nn::Linear(2, 4), nn::BatchNorm1d(4), nn::Linear(4, 1));
  const nn::NamedTensors before = snapshot(net);
  const nn::NamedTensors good = snapshot(net);

  // Wrong shape: PyTorch's message, and the entries checked before it are not copied either.
  nn::NamedTensors bad = with_entry(good, "0.weight", zeros({3, 2}));
  bad = with_entry(bad, "0.bias", full({4}, 7.0));
  CHECK_THROWS_WITH(net.load_state_dict(bad),
                    MG_CONTAINS("size mismatch for 0.weight: copying a param with shape [3, 2] "
                                "from checkpoint, the shape in current model is [4, 2]."));
  CHECK(same_state(net, before));
  bad =
      with_entry(with_entry(good, "2.bias", full({1}, 5.0)), "1.running_var", zeros({4}, kFloat64));
  CHECK_THROWS_WITH(net.load_state_dict(bad),
                    MG_CONTAINS("dtype mismatch for 1.running_var: copying a param with dtype "
                                "float64 from checkpoint, the dtype in current model is float32."));
  CHECK(same_state(net, before));
  CHECK_THROWS_WITH(net.load_state_dict(with_entry(good, "1.num_batches_tracked", zeros({}))),
                    MG_CONTAINS("dtype mismatch for 1.num_batches_tracked"));
  CHECK(same_state(net, before));

  // Missing and unexpected keys (strict), listed as PyTorch lists them.
  nn::NamedTensors changed = with_entry(good, "0.bias", full({4}, 7.0));
  CHECK_THROWS_WITH(net.load_state_dict(without_entry(changed, "2.weight")),
                    MG_CONTAINS("Error(s) in loading state_dict for Sequential:") &&
                        MG_CONTAINS("Missing key(s) in state_dict: \"2.weight\"."));
  CHECK(same_state(net, before));
  nn::NamedTensors extra = changed;
  extra.emplace_back("3.weight", zeros({1}));
  CHECK_THROWS_WITH(net.load_state_dict(extra),
                    MG_CONTAINS("Unexpected key(s) in state_dict: \"3.weight\"."));
  CHECK(same_state(net, before));
  nn::NamedTensors twice = changed;
  twice.push_back(changed[0]);
  CHECK_THROWS_WITH(net.load_state_dict(twice),
                    MG_CONTAINS("Duplicate key(s) in state_dict: \"0.weight\""));
  CHECK(same_state(net, before));
  CHECK_THROWS_WITH(net.load_state_dict(with_entry(changed, "2.bias", Tensor())),
                    MG_CONTAINS("undefined tensor for 2.bias"));
  CHECK(same_state(net, before));

  // Non-strict: keys may be missing or extra, and the rest is loaded; shapes still must match.
  const nn::LoadResult result = net.load_state_dict(without_entry(extra, "2.weight"), false);
  CHECK(result.missing_keys == std::vector<std::string>{"2.weight"});
  CHECK(result.unexpected_keys == std::vector<std::string>{"3.weight"});
  CHECK(bit_equal(net.get_parameter("0.bias"), full({4}, 7.0)));
  CHECK(bit_equal(net.get_parameter("2.weight"), before[7].second));
  const nn::NamedTensors loaded = snapshot(net);
  CHECK_THROWS_WITH(net.load_state_dict(with_entry(good, "0.weight", zeros({3, 2})), false),
                    MG_CONTAINS("size mismatch for 0.weight"));
  CHECK(same_state(net, loaded));
}

TEST_CASE("loading a wrong or corrupt file leaves the module unchanged", "[module]") {
  TempDir tmp;
  manual_seed(6);
  nn::Sequential net(nn::Linear(2, 4), nn::BatchNorm1d(4), nn::Linear(4, 1));
  const nn::NamedTensors before = snapshot(net);
  const nn::NamedTensors good = snapshot(net);
  const auto rejects = [&](const std::string& file, const std::string& message) {
    CHECK_THROWS_WITH(net.load(file), MG_CONTAINS(message));
    CHECK(same_state(net, before));
  };

  // Each bad file also changes a value that a partial load would copy.
  const nn::NamedTensors changed = with_entry(good, "0.bias", full({4}, 9.0));
  save_file(with_entry(changed, "0.weight", zeros({4, 3})), tmp.file("shape.safetensors"));
  rejects(tmp.file("shape.safetensors"), "size mismatch for 0.weight");
  save_file(without_entry(changed, "1.running_mean"), tmp.file("missing.safetensors"));
  rejects(tmp.file("missing.safetensors"), "Missing key(s) in state_dict: \"1.running_mean\"");
  nn::NamedTensors extra = changed;
  extra.emplace_back("classifier.weight", zeros({2}));
  save_file(extra, tmp.file("extra.safetensors"));
  rejects(tmp.file("extra.safetensors"), "Unexpected key(s) in state_dict: \"classifier.weight\"");
  save_file(with_entry(changed, "2.weight", zeros({1, 4}, kFloat64)),
            tmp.file("dtype.safetensors"));
  rejects(tmp.file("dtype.safetensors"), "dtype mismatch for 2.weight");
  CHECK_THROWS_WITH(net.load(tmp.file("dtype.safetensors")),
                    MG_CONTAINS(tmp.file("dtype.safetensors")));

  // A good file cut short, garbage, and a file that does not exist.
  net.save(tmp.file("good.safetensors"));
  std::ifstream in(tmp.file("good.safetensors"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() > 100);
  std::ofstream(tmp.file("cut.safetensors"), std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 10));
  CHECK_THROWS_AS(net.load(tmp.file("cut.safetensors")), Error);
  CHECK(same_state(net, before));
  std::ofstream(tmp.file("junk.safetensors"), std::ios::binary) << "this is not a safetensors file";
  CHECK_THROWS_AS(net.load(tmp.file("junk.safetensors")), Error);
  CHECK(same_state(net, before));
  std::ofstream(tmp.file("short.safetensors"), std::ios::binary) << "abc";
  CHECK_THROWS_AS(net.load(tmp.file("short.safetensors")), Error);
  CHECK(same_state(net, before));
  CHECK_THROWS_AS(net.load(tmp.file("absent.safetensors")), Error);
  CHECK(same_state(net, before));

  // And the good file loads.
  {
    NoGradGuard no_grad;
    for (Tensor p : net.parameters()) p.add_(1.0);
  }
  net.load(tmp.file("good.safetensors"));
  CHECK(same_state(net, before));
}
