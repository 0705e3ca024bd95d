// Optimizer checkpoints (save_state / read_state / load_state): bit-exact round trips, errors for
// missing, truncated, corrupt and foreign files and for states of another structure (each by
// message, each leaving the optimizer unchanged), atomic saves, and resuming a module + optimizer
// checkpoint on exactly the trajectory of an uninterrupted run.
#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tests/optim/checkpoint_support.hpp"
#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;
using namespace metagrad::testing;

// Advances `state` by `steps` in-place updates with seeded random gradients.
void advance(const GradientTransformation& t, OptState& state, const TensorList& params, int steps,
             uint64_t seed) {
  NoGradGuard no_grad;
  for (int k = 0; k < steps; ++k) {
    TensorList g;
    for (size_t i = 0; i < params.size(); ++i) {
      g.push_back(randn64(params[i].shape(), seed + 31 * k + i).detach().to(params[i].dtype()));
    }
    t.update(g, state, params, true);
  }
}

TEST_CASE("save_state / read_state / load_state round trips are bit-exact", "[optim][checkpoint]") {
  TempDir tmp;
  const TensorList p64 = {randn64({3, 4}, 1).detach(), randn64({5}, 2).detach()};
  const TensorList p32 = {randn64({2, 2}, 3).detach().to(kFloat32), randn64({}, 4).detach()};
  const std::vector<std::pair<std::string, GradientTransformation>> cases = {
      {"adam schedule", adam({.lr = linear_schedule(0.1, 0.01, 10), .eps_root = 1e-8})},
      {"adam moments require grad", adam({.lr = 0.1, .moment_requires_grad = true})},
      {"sgd nesterov", sgd({.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1, .nesterov = true})},
      {"rmsprop centered", rmsprop({.lr = 0.01, .momentum = 0.5, .centered = true})},
      {"adagrad", adagrad({.lr = 0.1, .lr_decay = 0.01})},
      {"adamw masked", adamw({.lr = 0.01, .mask = {true, false}})},
      {"clip + adamax", chain(clip_grad_norm({.max_norm = 1.0}), adamax({.lr = 0.02}))},
      {"radam", radam()},
      {"adadelta", adadelta()},
  };
  for (const auto& [name, t] : cases) {
    INFO(name);
    // Two groups of different dtypes, each advanced a different number of steps.
    std::vector<OptState> states = {t.init(p64), t.init(p32)};
    advance(t, states[0], p64, 3, 100);
    advance(t, states[1], p32, 5, 200);
    const std::string path = tmp.file("state.safetensors");
    save_state(states, path);

    const std::vector<OptState> read = read_state(path);
    REQUIRE(read.size() == 2);
    CHECK(read[0].same_structure(states[0]));
    CHECK(read[1].same_structure(states[1]));
    CHECK(dump(read) == dump(states));
    for (const auto& [n, tensor] : read[0].named_tensors()) CHECK(tensor.is_leaf());

    std::vector<OptState> into = {t.init(p64), t.init(p32)};
    const OptState untouched = into[0];
    load_state(into, path);
    CHECK(dump(into) == dump(states));
    // The loaded tensors are new: neither the file's source nor the replaced ones.
    const auto loaded = into[0].named_tensors();
    const auto source = states[0].named_tensors();
    const auto replaced = untouched.named_tensors();
    for (size_t i = 0; i < loaded.size(); ++i) {
      CHECK_FALSE(loaded[i].second.is_same(source[i].second));
      CHECK_FALSE(loaded[i].second.is_same(replaced[i].second));
    }
    // Stepping the loaded state gives the same numbers as stepping the original.
    advance(t, states[0], p64, 2, 300);
    advance(t, into[0], p64, 2, 300);
    CHECK(dump({into[0]}) == dump({states[0]}));
  }
}

TEST_CASE("undefined entries, large counters and empty states round trip", "[optim][checkpoint]") {
  TempDir tmp;
  OptState s;
  s.kind = "HandMadeState";
  s.tensors.emplace_back("m", TensorList{randn64({2}, 5).detach(), Tensor(),
                                         randn64({1, 3}, 6).detach().requires_grad_(true)});
  // The largest rank a tensor may have (kMaxDims): the reader's bound admits it.
  s.tensors.emplace_back("deep",
                         TensorList{randn64({1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 3, 1}, 7).detach()});
  s.counters.emplace_back("count", (int64_t{1} << 53) + 1);  // not exact as a double
  s.counters.emplace_back("skipped", -7);
  OptState child;
  child.kind = "EmptyState";
  s.children = {child, child};
  const std::string path = tmp.file("hand.safetensors");
  save_state({s, OptState{}}, path);
  const auto read = read_state(path);
  REQUIRE(read.size() == 2);
  CHECK(read[0].same_structure(s));
  CHECK_FALSE(read[0].tensors[0].second[1].defined());
  CHECK(read[0].tensors[0].second[2].requires_grad());
  CHECK_FALSE(read[0].tensors[0].second[0].requires_grad());
  CHECK(read[0].counter("count") == (int64_t{1} << 53) + 1);
  CHECK(read[0].counter("skipped") == -7);
  CHECK(read[0].tensors[1].second[0].dim() == kMaxDims);
  CHECK(read[1].kind == "EmptyState");
  CHECK(dump(read) == dump({s, OptState{}}));

  save_state(std::vector<OptState>{}, path);
  CHECK(read_state(path).empty());
}

// A small MLP (float64) and seeded data for step k.
nn::Sequential make_net(uint64_t seed) {
  manual_seed(seed);
  return nn::Sequential(nn::Linear(3, 8, {.dtype = kFloat64}), nn::Tanh(),
                        nn::Linear(8, 2, {.dtype = kFloat64}));
}
Tensor data_x(int k) { return randn64({6, 3}, 1000 + k).detach(); }
Tensor data_y(int k) { return randn64({6, 2}, 2000 + k).detach(); }

std::vector<std::vector<uint64_t>> param_bits(const nn::Module& net) {
  std::vector<std::vector<uint64_t>> out;
  for (const auto& p : net.parameters()) out.push_back(bits(p));
  return out;
}

void classic_step(nn::Sequential& net, Optimizer& opt, int k) {
  opt.zero_grad();
  mse_loss(net.forward(data_x(k)), data_y(k)).backward();
  opt.step();
}

TEST_CASE("a module + optimizer checkpoint resumes the uninterrupted trajectory",
          "[optim][checkpoint]") {
  TempDir tmp;
  const std::string net_path = tmp.file("net.safetensors");
  const std::string opt_path = tmp.file("opt.safetensors");

  SECTION("classic Adam with a schedule") {
    const AdamOptions options = {.lr = linear_schedule(0.05, 0.005, 20), .weight_decay = 0.01};
    nn::Sequential net = make_net(1);
    Adam opt(net.parameters(), options);
    for (int k = 0; k < 8; ++k) classic_step(net, opt, k);
    net.save(net_path);
    save_state(opt, opt_path);
    std::vector<std::vector<std::vector<uint64_t>>> reference;
    for (int k = 8; k < 16; ++k) {
      classic_step(net, opt, k);
      reference.push_back(param_bits(net));
    }

    nn::Sequential resumed = make_net(2);  // other initial values
    Adam opt2(resumed.parameters(), options);
    for (int k = 0; k < 3; ++k) classic_step(resumed, opt2, 50 + k);  // a state to overwrite
    resumed.load(net_path);
    load_state(opt2, opt_path);
    for (int k = 8; k < 16; ++k) {
      classic_step(resumed, opt2, k);
      REQUIRE(param_bits(resumed) == reference[k - 8]);
    }
    CHECK(dump(opt2.state_dict()) == dump(opt.state_dict()));
  }

  SECTION("MetaAdam inner loop") {
    nn::Sequential net = make_net(3);
    MetaAdam opt(net, {.lr = 0.05});
    for (int k = 0; k < 5; ++k) opt.step(mse_loss(net.forward(data_x(k)), data_y(k)));
    net.save(net_path);
    save_state(opt, opt_path);
    std::vector<std::vector<std::vector<uint64_t>>> reference;
    for (int k = 5; k < 10; ++k) {
      opt.step(mse_loss(net.forward(data_x(k)), data_y(k)));
      reference.push_back(param_bits(net));
    }

    nn::Sequential resumed = make_net(4);
    MetaAdam opt2(resumed, {.lr = 0.05});
    resumed.load(net_path);
    load_state(opt2, opt_path);
    for (const auto& [name, t] : opt2.state_dict()[0].named_tensors()) {
      CHECK(t.is_leaf());
      CHECK(t.requires_grad());  // MetaAdam's moments require grad
    }
    for (int k = 5; k < 10; ++k) {
      opt2.step(mse_loss(resumed.forward(data_x(k)), data_y(k)));
      REQUIRE(param_bits(resumed) == reference[k - 5]);
    }
  }
}

TensorList mlp_params(uint64_t seed) {
  return {randn64({4, 3}, seed).detach().requires_grad_(),
          randn64({4}, seed + 1).detach().requires_grad_()};
}
Tensor func_loss(const TensorList& p, int k) {
  return mse_loss(linear(data_x(k), p[0], p[1]), randn64({6, 4}, 3000 + k).detach());
}
TensorList cut(const TensorList& ps) {
  TensorList out;
  for (const auto& p : ps) out.push_back(p.detach().clone().requires_grad_());
  return out;
}

TEST_CASE("FuncOptimizer checkpoints, before and after its first step", "[optim][checkpoint]") {
  TempDir tmp;
  const std::string path = tmp.file("func.safetensors");
  const auto impl = adam({.lr = 0.05, .eps_root = 1e-8});
  FuncOptimizer opt(impl);
  save_state(opt, path);  // uninitialised: one UninitializedState group
  REQUIRE(read_state(path).size() == 1);
  CHECK(read_state(path)[0].kind == "UninitializedState");

  TensorList p = mlp_params(7);
  for (int k = 0; k < 4; ++k) p = cut(opt.step(func_loss(p, k), p));
  save_state(opt, path);
  const TensorList at_four = cut(p);
  std::vector<std::vector<uint64_t>> reference;
  for (int k = 4; k < 7; ++k) {
    p = cut(opt.step(func_loss(p, k), p));
    for (const auto& t : p) reference.push_back(bits(t));
  }

  // Into a FuncOptimizer that has not stepped: the file's state is taken and used by its first
  // step.
  for (bool stepped_before : {false, true}) {
    INFO("stepped before loading: " << stepped_before);
    FuncOptimizer other(impl);
    TensorList q = cut(at_four);
    if (stepped_before) {
      const TensorList warmup = mlp_params(9);
      other.step(func_loss(warmup, 0), warmup);
    }
    load_state(other, path);
    std::vector<std::vector<uint64_t>> trajectory;
    for (int k = 4; k < 7; ++k) {
      q = cut(other.step(func_loss(q, k), q));
      for (const auto& t : q) trajectory.push_back(bits(t));
    }
    CHECK(trajectory == reference);
  }

  // An initialised FuncOptimizer rejects the file of an uninitialised one, and vice versa resets.
  FuncOptimizer blank(impl);
  const std::string blank_path = tmp.file("blank.safetensors");
  save_state(blank, blank_path);
  const auto before = dump({opt.state_dict()});
  CHECK_THROWS_WITH(load_state(opt, blank_path),
                    MG_CONTAINS("group 0: the state is a UninitializedState in the file but a "
                                "ChainState in the optimizer"));
  CHECK(dump({opt.state_dict()}) == before);
  FuncOptimizer lazy(impl);
  load_state(lazy, path);
  load_state(lazy, blank_path);
  CHECK_FALSE(lazy.initialized());
  CHECK(lazy.state_dict().kind == "UninitializedState");
}

TEST_CASE("missing, truncated, corrupt and foreign files are errors that change nothing",
          "[optim][checkpoint]") {
  TempDir tmp;
  const Tensor a = randn64({3}, 11), b = randn64({2}, 12);
  Adam opt({a, b}, {.lr = 0.1});
  for (int k = 0; k < 3; ++k) {
    opt.zero_grad();
    (square(a).sum() + square(b).sum()).backward();
    opt.step();
  }
  const std::string good = tmp.file("good.safetensors");
  save_state(opt, good);
  const Dump before = dump(opt.state_dict());
  const std::string bad = tmp.file("bad.safetensors");
  auto rejects = [&](const std::string& path, const std::vector<std::string>& parts) {
    try {
      load_state(opt, path);
      FAIL("no error for " << path);
    } catch (const Error& e) {
      const std::string what = e.what();
      INFO(what);
      for (const auto& part : parts) CHECK(what.find(part) != std::string::npos);
    }
    CHECK(dump(opt.state_dict()) == before);
  };

  rejects(tmp.file("absent.safetensors"), {"load_state: load_file", "cannot open", "absent"});
  const std::string bytes = read_bytes(good);
  write_bytes(bad, bytes.substr(0, bytes.size() - 12));
  rejects(bad, {"load_state: load_file", "bad.safetensors"});
  write_bytes(bad, bytes.substr(0, 5));
  rejects(bad, {"shorter than the 8-byte header length"});
  std::string garbled = bytes;
  garbled[8] = '#';  // the header's opening brace
  write_bytes(bad, garbled);
  rejects(bad, {"header is not valid JSON"});

  nn::Linear lin(3, 2);
  lin.save(bad);
  rejects(bad, {"load_state('", "not an optimizer-state file", "Module::load"});

  tampered(good, bad, [](NamedTensors&, auto& meta) { meta["format_version"] = "2"; });
  rejects(bad, {"format_version '2' is not supported"});
  tampered(good, bad, [](NamedTensors&, auto& meta) { meta.erase("structure"); });
  rejects(bad, {"corrupt file: __metadata__ lacks"});
  tampered(good, bad, [](NamedTensors&, auto& meta) { meta["structure"] = "[{\"kind\": "; });
  rejects(bad, {"corrupt file: the \"structure\" metadata is not valid JSON"});
  tampered(good, bad, [](NamedTensors&, auto& meta) { meta["num_groups"] = "3"; });
  rejects(bad, {"\"structure\" must be a JSON array with num_groups = 3 entries"});
  tampered(good, bad, [](NamedTensors&, auto& meta) {
    meta["structure"] = "[{\"kind\": \"ChainState\", \"tensors\": 5}]";
  });
  rejects(bad, {"corrupt file: the structure of group 0 at '(top)' has no valid \"tensors\""});
  tampered(good, bad, [](NamedTensors& ts, auto&) {
    std::erase_if(ts, [](const auto& e) { return e.first == "0.0.nu.1"; });
  });
  rejects(bad, {"corrupt file: tensor '0.0.nu.1' of the structure is missing"});
  tampered(good, bad,
           [](NamedTensors& ts, auto&) { ts.emplace_back("0.0.extra.0", zeros({1}, kFloat64)); });
  rejects(bad, {"corrupt file: tensor '0.0.extra.0' is not part of the structure"});
  tampered(good, bad,
           [](NamedTensors& ts, auto&) { replace_tensor(ts, "0.0.mu.0", zeros({4}, kFloat64)); });
  rejects(bad, {"corrupt file: tensor '0.0.mu.0' has shape [4] and dtype float64, but the "
                "structure says [3] and float64"});
  tampered(good, bad,
           [](NamedTensors& ts, auto&) { replace_tensor(ts, "0.0.count", zeros({2}, kInt64)); });
  rejects(bad, {"counter '0.0.count' must be a 0-d int64 tensor, got shape [2]"});

  // The good file still loads, and really changes the state of a fresh optimizer.
  Adam fresh({a, b}, {.lr = 0.1});
  CHECK_FALSE(dump(fresh.state_dict()) == before);
  load_state(fresh, good);
  CHECK(dump(fresh.state_dict()) == before);
}

TEST_CASE("a file of another structure is rejected by name and changes nothing",
          "[optim][checkpoint]") {
  TempDir tmp;
  const std::string path = tmp.file("other.safetensors");
  const TensorList params = {randn64({3}, 13).detach(), randn64({2, 2}, 14).detach()};
  const auto impl = adam({.lr = 0.1});
  std::vector<OptState> target = {impl.init(params)};
  advance(impl, target[0], params, 2, 400);
  const Dump before = dump(target);

  auto rejects = [&](const std::vector<OptState>& saved, const std::string& part) {
    save_state(saved, path);
    CHECK_THROWS_WITH(load_state(target, path), MG_CONTAINS(part));
    CHECK(dump(target) == before);
  };
  rejects({sgd({.lr = 0.1, .momentum = 0.9}).init(params)},
          "group 0: child '0' is a TraceState in the file but a ScaleByAdamState in the optimizer");
  rejects({impl.init({params[0]})},
          "tensor list '0.mu' has 1 entries in the file but 2 in the optimizer");
  rejects({impl.init({params[0], zeros({4}, kFloat64)})},
          "tensor '0.mu.1' has shape [4] and dtype float64 in the file but shape [2, 2] and dtype "
          "float64 in the optimizer");
  rejects({impl.init({params[0], params[1].to(kFloat32)})},
          "tensor '0.mu.1' has shape [2, 2] and dtype float32 in the file");
  rejects({impl.init(params), impl.init(params)},
          "the file holds 2 parameter groups but the optimizer has 1");
  OptState renamed = impl.init(params);
  renamed.children[0].tensors[1].first = "nu_max";
  rejects({renamed},
          "child '0' (ScaleByAdamState) has tensor lists [mu, nu_max] in the file but "
          "[mu, nu] in the optimizer");
  OptState recounted = impl.init(params);
  recounted.children[0].counters[0].first = "step";
  rejects({recounted}, "has counters [step] in the file but [count] in the optimizer");
  OptState undefined_entry = impl.init(params);
  undefined_entry.children[0].tensors[0].second[1] = Tensor();
  rejects({undefined_entry},
          "tensor '0.mu.1' is undefined in the file but defined in the optimizer");
  OptState extra_child = impl.init(params);
  extra_child.children.push_back(OptState{});
  rejects({extra_child},
          "the state (ChainState) has 3 children in the file but 2 in the optimizer");

  // The same structure loads.
  std::vector<OptState> same = {impl.init(params)};
  advance(impl, same[0], params, 5, 500);
  save_state(same, path);
  load_state(target, path);
  CHECK(dump(target) == dump(same));
}

TEST_CASE("a failed save leaves the previous checkpoint in place", "[optim][checkpoint]") {
  TempDir tmp;
  const std::string path = tmp.file("ckpt.safetensors");
  OptState s = adam({.lr = 0.1}).init({randn64({3}, 15).detach()});
  save_state({s}, path);
  const std::string old_bytes = read_bytes(path);
  // A tensor and a counter with the same flat name: the writer rejects the duplicate.
  OptState clash;
  clash.kind = "ClashState";
  clash.tensors.emplace_back("a", TensorList{zeros({1}, kFloat64)});
  clash.counters.emplace_back("a.0", 1);
  CHECK_THROWS_WITH(save_state({clash}, path), MG_CONTAINS("save_state: save_file"));
  CHECK(read_bytes(path) == old_bytes);
  CHECK_THROWS_WITH(save_state({s}, tmp.file("no/such/folder/ckpt.safetensors")),
                    MG_CONTAINS("save_state"));
  CHECK(std::filesystem::directory_iterator(tmp.dir) != std::filesystem::directory_iterator());
  check_only_file(tmp.dir, "ckpt.safetensors");
}

}  // namespace
