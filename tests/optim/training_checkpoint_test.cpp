// Training checkpoints (save_checkpoint / load_checkpoint / read_checkpoint_extra): a module with
// buffers, its optimizer and the caller's strings round trip bit for bit and resume the
// uninterrupted trajectory; a missing, corrupt, foreign or mismatched file is an error naming the
// file and what differs, and leaves both the module and the optimizer unchanged; a failed save
// keeps the previous checkpoint.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/optim/checkpoint_support.hpp"
#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

// Linear + BatchNorm1d (running statistics and a num_batches_tracked counter) + Linear, float64.
nn::Sequential make_net(uint64_t seed, int64_t hidden = 6) {
  manual_seed(seed);
  return nn::Sequential(nn::Linear(3, hidden, {.dtype = kFloat64}),
                        nn::BatchNorm1d(hidden, {.dtype = kFloat64}), nn::Tanh(),
                        nn::Linear(hidden, 2, {.dtype = kFloat64}));
}

Tensor data_x(int k) { return randn64({5, 3}, 100 + k).detach(); }
Tensor data_y(int k) { return randn64({5, 2}, 200 + k).detach(); }

void train_step(nn::Sequential& net, Optimizer& opt, int k) {
  opt.zero_grad();
  mse_loss(net.forward(data_x(k)), data_y(k)).backward();
  opt.step();
}

// The exact bits of every state_dict() entry (parameters and buffers), by name.
std::map<std::string, std::vector<uint64_t>> module_bits(const nn::Module& net) {
  std::map<std::string, std::vector<uint64_t>> out;
  for (const auto& [name, t] : net.state_dict()) out[name] = bits(t);
  return out;
}

// What a failed load must leave alone: the module's and the optimizer's exact values.
struct Snapshot {
  std::map<std::string, std::vector<uint64_t>> module;
  Dump optimizer;
  bool operator==(const Snapshot&) const = default;
};
Snapshot snapshot(const nn::Module& net, const Optimizer& opt) {
  return {module_bits(net), dump(opt.state_dict())};
}

const std::map<std::string, std::string> kExtra = {
    {"epoch", "3"},
    {"step", "17"},
    {"note", "a \"quoted\", multi-line\nvalue, \xc3\xa9t\xc3\xa9"},
    {"empty", ""},
};

TEST_CASE("a training checkpoint round trips the module, its optimizer and the caller's strings",
          "[optim][checkpoint]") {
  TempDir tmp;
  const std::string path = tmp.file("train.safetensors");
  const AdamOptions options = {.lr = linear_schedule(0.05, 0.005, 20), .weight_decay = 0.01};
  nn::Sequential net = make_net(1);
  Adam opt(net.parameters(), options);
  for (int k = 0; k < 6; ++k) train_step(net, opt, k);
  save_checkpoint(path, net, opt, kExtra);
  const Snapshot saved = snapshot(net, opt);
  CHECK(saved.module.count("1.running_mean") == 1);
  CHECK(saved.module.at("1.num_batches_tracked") == std::vector<uint64_t>{6});

  // The file's layout (Note [training checkpoint file]).
  const SafetensorsFile file = load_file(path);
  CHECK(file.metadata.at("format") == "metagrad.training_checkpoint");
  CHECK(file.metadata.at("extra.step") == "17");
  CHECK(file.contains("module.0.weight"));
  CHECK(file.contains("module.1.running_var"));
  // Adam with weight decay: chain(add_decayed_weights, scale_by_adam, scale_by_schedule).
  CHECK(file.contains("optimizer.0.1.mu.0"));
  CHECK(file.contains("optimizer.0.1.count"));
  CHECK(read_checkpoint_extra(path) == kExtra);

  // Into another module and optimizer (other initial values, other steps taken).
  nn::Sequential resumed = make_net(2);
  Adam opt2(resumed.parameters(), options);
  for (int k = 0; k < 2; ++k) train_step(resumed, opt2, 50 + k);
  const TensorList slots_before = resumed.parameters();
  CHECK_FALSE(snapshot(resumed, opt2) == saved);
  CHECK(load_checkpoint(path, resumed, opt2) == kExtra);
  CHECK(snapshot(resumed, opt2) == saved);
  // The module's leaves keep their tensors (values copied in), so opt2 still steps them.
  const TensorList slots_after = resumed.parameters();
  for (size_t i = 0; i < slots_after.size(); ++i) CHECK(slots_after[i].is_same(slots_before[i]));

  // Both continue on the same trajectory, bit for bit.
  for (int k = 6; k < 12; ++k) {
    train_step(net, opt, k);
    train_step(resumed, opt2, k);
    REQUIRE(snapshot(resumed, opt2) == snapshot(net, opt));
  }

  // No extra strings is a valid checkpoint too.
  save_checkpoint(path, net, opt);
  CHECK(read_checkpoint_extra(path).empty());
  CHECK(load_checkpoint(path, resumed, opt2).empty());
}

TEST_CASE("a bad training checkpoint is an error naming the file and changes nothing",
          "[optim][checkpoint]") {
  TempDir tmp;
  const std::string good = tmp.file("good.safetensors");
  {
    nn::Sequential net = make_net(3);
    Adam opt(net.parameters(), {.lr = 0.1});
    for (int k = 0; k < 3; ++k) train_step(net, opt, k);
    save_checkpoint(good, net, opt, kExtra);
  }
  nn::Sequential net = make_net(4);
  Adam opt(net.parameters(), {.lr = 0.1});
  train_step(net, opt, 9);
  const Snapshot before = snapshot(net, opt);
  const std::string bad = tmp.file("bad.safetensors");
  auto rejects = [&](const std::string& path, const std::vector<std::string>& parts) {
    try {
      load_checkpoint(path, net, opt);
      FAIL("no error for " << path);
    } catch (const Error& e) {
      const std::string what = e.what();
      INFO(what);
      for (const auto& part : parts) CHECK(what.find(part) != std::string::npos);
    }
    CHECK(snapshot(net, opt) == before);
  };

  // Missing, truncated, foreign.
  rejects(tmp.file("absent.safetensors"), {"load_checkpoint: load_file", "absent.safetensors"});
  const std::string bytes = read_bytes(good);
  write_bytes(bad, bytes.substr(0, bytes.size() - 8));
  rejects(bad, {"load_checkpoint: load_file", "bad.safetensors"});
  net.save(bad);
  rejects(bad, {"load_checkpoint('" + bad + "'): not a training checkpoint", "save_checkpoint",
                "Module::load"});
  save_state(opt, bad);
  rejects(bad, {"not a training checkpoint", "load_state"});
  CHECK_THROWS_WITH(read_checkpoint_extra(bad),
                    MG_CONTAINS("read_checkpoint_extra('" + bad + "'): not a training checkpoint"));

  // Corrupt parts.
  tampered(good, bad, [](NamedTensors&, auto& meta) { meta["format_version"] = "2"; });
  rejects(bad, {"format_version '2' is not supported"});
  tampered(good, bad, [](NamedTensors& ts, auto&) { ts.emplace_back("stray", zeros({1})); });
  rejects(bad, {"tensor 'stray' is neither a module entry ('module....') nor an optimizer entry"});
  tampered(good, bad, [](NamedTensors&, auto& meta) { meta.erase("optimizer.structure"); });
  rejects(bad, {"lacks \"optimizer.num_groups\" or \"optimizer.structure\""});
  tampered(good, bad, [](NamedTensors& ts, auto&) {
    replace_tensor(ts, "optimizer.0.0.mu.1", zeros({5}, kFloat64));
  });
  rejects(bad, {"corrupt file: tensor 'optimizer.0.0.mu.1' has shape [5] and dtype float64, but "
                "the structure says [6] and float64"});
  tampered(good, bad, [](NamedTensors& ts, auto&) {
    std::erase_if(ts, [](const auto& e) { return e.first == "optimizer.0.0.nu.2"; });
  });
  rejects(bad, {"tensor 'optimizer.0.0.nu.2' of the structure is missing"});

  // A module entry that does not fit while the optimizer part does (the optimizer is checked
  // first and must not change either).
  tampered(good, bad, [](NamedTensors& ts, auto&) {
    std::erase_if(ts, [](const auto& e) { return e.first == "module.1.running_mean"; });
  });
  rejects(bad, {"load_checkpoint('" + bad + "'): the module does not match the file",
                "Missing key(s) in state_dict: \"1.running_mean\""});
  tampered(good, bad, [](NamedTensors& ts, auto&) {
    replace_tensor(ts, "module.1.running_var", zeros({6}, kFloat32));
  });
  rejects(bad, {"dtype mismatch for 1.running_var: copying a param with dtype float32"});

  // Another network (the optimizer's shapes differ first) and another optimizer.
  {
    nn::Sequential wide = make_net(5, 7);
    Adam wide_opt(wide.parameters(), {.lr = 0.1});
    const auto wide_before = snapshot(wide, wide_opt);
    CHECK_THROWS_WITH(load_checkpoint(good, wide, wide_opt),
                      MG_CONTAINS("load_checkpoint('" + good +
                                  "'): group 0: tensor '0.mu.0' has "
                                  "shape [6, 3] and dtype float64 in the file but shape [7, 3]"));
    CHECK(snapshot(wide, wide_opt) == wide_before);
  }
  {
    SGD sgd_opt(net.parameters(), {.lr = 0.1, .momentum = 0.9});
    const auto sgd_before = snapshot(net, sgd_opt);
    CHECK_THROWS_WITH(load_checkpoint(good, net, sgd_opt),
                      MG_CONTAINS("group 0: child '0' is a ScaleByAdamState in the file but a "
                                  "TraceState in the optimizer"));
    CHECK(snapshot(net, sgd_opt) == sgd_before);
  }

  // The good file loads.
  CHECK(load_checkpoint(good, net, opt) == kExtra);
  CHECK_FALSE(snapshot(net, opt) == before);
}

TEST_CASE("a failed save_checkpoint leaves the previous checkpoint in place",
          "[optim][checkpoint]") {
  TempDir tmp;
  const std::string path = tmp.file("ckpt.safetensors");
  nn::Sequential net = make_net(6);
  Adam opt(net.parameters(), {.lr = 0.1});
  save_checkpoint(path, net, opt, {{"step", "0"}});
  const std::string old_bytes = read_bytes(path);
  train_step(net, opt, 0);
  CHECK_THROWS_WITH(save_checkpoint(path, net, opt, {{"bad", "\xff\xfe"}}),
                    MG_CONTAINS("save_checkpoint: save_file('" + path + "')"));
  CHECK(read_bytes(path) == old_bytes);
  CHECK_THROWS_WITH(save_checkpoint(tmp.file("no/such/folder/ckpt.safetensors"), net, opt),
                    MG_CONTAINS("save_checkpoint"));
  check_only_file(tmp.dir, "ckpt.safetensors");
}

}  // namespace
