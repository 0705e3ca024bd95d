// The ThreadSanitizer stress test of issue 10 §3, run by `make tsan` in a -Db_sanitize=thread
// build (where any report fails it) and by the `threads` suite of the other builds.
//
// Four autograd threads build and differentiate graphs at the same time: MetaAdam inner steps and
// their meta-gradient, a Hessian-vector product, a functional (FuncOptimizer) inner loop whose
// meta-gradient lands in leaves shared by all four, create_graph and plain backward into one
// shared leaf, and classic optimizer steps. A fifth runs task-parallel meta-steps (meta_batch,
// whose own three workers adapt replicas of one network at once). Alongside, one thread toggles
// grad mode, one draws random numbers (default and private generators) and two save and load files.
// Catch2 is not thread-safe: workers record failures, the assertions run on the main thread after
// join.
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/helpers.hpp"

namespace {

using namespace metagrad;

constexpr int kAutogradThreads = 4;
constexpr int kIterations = 10;

// Failures seen by the worker threads, reported on the main thread.
class Failures {
 public:
  void expect(bool ok, const std::string& what) {
    if (ok) return;
    std::lock_guard lock(mutex_);
    list_.push_back(what);
  }
  std::vector<std::string> list() const {
    std::lock_guard lock(mutex_);
    return list_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> list_;
};

bool same(const Tensor& a, const Tensor& b) {
  return a.defined() && b.defined() && a.shape() == b.shape() && all(eq(a, b)).item<bool>();
}

bool close(const Tensor& a, const Tensor& b, double tol) {
  return a.defined() && b.defined() && a.shape() == b.shape() &&
         ((a - b).abs().max().item<double>() <= tol * (1.0 + b.abs().max().item<double>()));
}

bool finite(const Tensor& t) { return t.defined() && all(isfinite(t)).item<bool>(); }

Tensor small_ints(const Dims& shape, uint64_t seed) {
  Generator gen(seed);
  return randint(-3, 4, shape, kFloat64, &gen);
}

// A 3-8-1 tanh MLP written with the functional ops over a flat parameter list (w1, b1, w2, b2).
Tensor mlp(const TensorList& p, const Tensor& x) {
  return linear(linear(x, p[0], p[1]).tanh(), p[2], p[3]);
}

// Data shared read-only by every thread.
struct Shared {
  TensorList meta_params;  // leaves of the functional MAML, shared by the autograd threads
  Tensor w;                // one leaf every thread runs backward into
  std::vector<Tensor> xs, ys, ws;
};

// The functional MAML meta-gradient of thread t: two FuncOptimizer steps on the support loss
// (sgd on even threads, adam on odd ones), then the query loss of the adapted parameters.
Tensor maml_meta_loss(const Shared& s, int t) {
  FuncOptimizer inner(t % 2 == 0 ? sgd({.lr = 0.1}) : adam({.lr = 0.05}));
  TensorList params = s.meta_params;
  for (int k = 0; k < 2; ++k) params = inner.step(mse_loss(mlp(params, s.xs[t]), s.ys[t]), params);
  return mse_loss(mlp(params, s.xs[t] * 0.5), s.ys[t]);
}

// d(w^3 summed)/dw = 3w^2; its product with v: H v = 6 w v.
void hessian_vector(const Shared& s, int t, Failures& failures) {
  const Tensor v = s.xs[t].sum({0}).reshape({1, 3}).expand({3, 3}).contiguous();
  const Tensor g = grad({s.w.pow(3.0).sum()}, {s.w}, {}, {.create_graph = true})[0];
  const Tensor hv = grad({(g * v).sum()}, {s.w})[0];
  failures.expect(close(hv, s.w.detach() * v * 6.0, 1e-12), "Hessian-vector product");
}

// MetaAdam inner steps on a private module and the meta-gradient of the query loss with respect
// to its initial parameters, then a classic Adam step on them.
void meta_adam(const Shared& s, int t, Failures& failures) {
  nn::Sequential net(nn::Linear(3, 8, {.dtype = kFloat64}), nn::Tanh(),
                     nn::Linear(8, 1, {.dtype = kFloat64}));
  const TensorList leaves = net.parameters();
  Adam outer(leaves, {.lr = 1e-2});
  MetaAdam inner(net, {.lr = 0.1});
  const ModuleState initial = extract_state_dict(net);
  for (int k = 0; k < 2; ++k) inner.step(mse_loss(net.forward(s.xs[t]), s.ys[t]));
  const Tensor query = mse_loss(net.forward(s.xs[t] * 0.5), s.ys[t]);
  failures.expect(!net.parameters()[0].is_leaf(), "MetaAdam rebinds the parameters");
  query.backward();
  recover_state_dict(net, initial);
  for (const Tensor& p : leaves) failures.expect(finite(p.grad()), "MetaAdam meta-gradient");
  const Tensor before = leaves[0].detach().clone();
  outer.step();
  outer.zero_grad(true);
  failures.expect(!same(before, leaves[0].detach()), "classic Adam step");
}

// A classic SGD with momentum on a private quadratic: the loss must fall.
void classic_sgd(int t, Failures& failures) {
  const Tensor p = full({4}, 1.0 + t, kFloat64).requires_grad_();
  SGD opt({p}, {.lr = 0.1, .momentum = 0.5});
  double first = 0, last = 0;
  for (int k = 0; k < 5; ++k) {
    opt.zero_grad();
    const Tensor loss = (p * p).sum();
    loss.backward();
    opt.step();
    (k == 0 ? first : last) = loss.item<double>();
  }
  failures.expect(last < first, "classic SGD decreases the loss");
}

void autograd_worker(const Shared& s, int t, Failures& failures) {
  for (int it = 0; it < kIterations; ++it) {
    maml_meta_loss(s, t).backward();  // into the shared meta_params
    (s.xs[t].sum({0}).reshape({1, 3}) * s.w.pow(2.0))
        .sum()
        .backward(  // into the shared w
            {}, std::nullopt, /*create_graph=*/it % 2 == 0);
    hessian_vector(s, t, failures);
    meta_adam(s, t, failures);
    classic_sgd(t, failures);
  }
}

// The task-parallel meta-step (issue 13): meta_batch runs the tasks of a meta-batch of a private
// BatchNorm network on three workers of its own, while the other threads run; its meta-gradient
// must equal the sequential loop's.
void meta_batch_worker(const Shared& s, Failures& failures) {
  nn::Sequential net(nn::Linear(3, 8, {.dtype = kFloat64}),
                     nn::BatchNorm1d(8, {.momentum = 1.0, .dtype = kFloat64}), nn::Tanh(),
                     nn::Linear(8, 1, {.dtype = kFloat64}));
  auto task_loss = [&s](nn::Module& module, int64_t t) {
    MetaSGD inner(module, {.lr = 0.1});
    const auto k = static_cast<size_t>(t);
    for (int step = 0; step < 2; ++step) inner.step(mse_loss(module(s.xs[k]), s.ys[k]));
    return mse_loss(module(s.xs[k] * 0.5), s.ys[k]);
  };
  for (int it = 0; it < kIterations / 2; ++it) {
    const ModuleState initial =
        extract_state_dict(net, {.by = CopyMode::reference, .detach_buffers = true});
    for (int64_t t = 0; t < kAutogradThreads; ++t) {
      task_loss(net, t).backward();
      recover_state_dict(net, initial);
    }
    TensorList expected;
    for (const Tensor& p : net.parameters()) {
      expected.push_back(p.grad());
      p.set_grad(Tensor());
    }
    meta_batch(net, kAutogradThreads, task_loss,
               {.reduction = MetaBatchReduction::Sum, .parallel = {.workers = 3}});
    const TensorList params = net.parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      failures.expect(close(params[i].grad(), expected[i], 1e-12), "meta_batch meta-gradient");
      params[i].set_grad(Tensor());
    }
  }
}

// Grad mode is thread-local: toggling it here never changes what the other threads record.
void grad_mode_worker(const Shared& s, Failures& failures) {
  for (int it = 0; it < 200; ++it) {
    {
      NoGradGuard no_grad;
      failures.expect(!is_grad_enabled(), "NoGradGuard disables recording");
      failures.expect(!(s.w * 2.0).requires_grad(), "no history under NoGradGuard");
      {
        EnableGradGuard enable;
        failures.expect((s.w * 2.0).requires_grad(), "history under EnableGradGuard");
      }
      failures.expect(!is_grad_enabled(), "EnableGradGuard restores");
    }
    failures.expect(is_grad_enabled(), "NoGradGuard restores");
  }
}

// The default generator (shared, locked) and private ones (same seed, same numbers).
void random_worker(Failures& failures) {
  for (int it = 0; it < 50; ++it) {
    Generator a(1234 + it), b(1234 + it);
    failures.expect(same(randn({16}, kFloat64, &a), randn({16}, kFloat64, &b)),
                    "a private generator is deterministic");
    const Tensor u = rand({32}, kFloat64);
    failures.expect(u.min().item<double>() >= 0.0 && u.max().item<double>() < 1.0,
                    "default generator in [0, 1)");
    failures.expect(finite(randn({8}, kFloat32)), "default generator normal");
  }
}

// safetensors, .npy and Module save/load round trips on per-thread files.
void io_worker(int id, Failures& failures) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  const std::string stem = "metagrad_tsan_" + std::to_string(::getpid()) + "_" + std::to_string(id);
  const std::string st_path = (dir / (stem + ".safetensors")).string();
  const std::string npy_path = (dir / (stem + ".npy")).string();
  const std::string module_path = (dir / (stem + "_module.safetensors")).string();
  Generator gen(99 + id);
  for (int it = 0; it < 10; ++it) {
    const Tensor a = randn({4, 5}, kFloat64, &gen);
    const Tensor b = arange(7.0, kFloat32);
    save_file({{"a", a}, {"b", b}}, st_path);
    const SafetensorsFile file = load_file(st_path);
    failures.expect(file.tensors.size() == 2 && same(file.tensors[0].second, a) &&
                        same(file.tensors[1].second, b),
                    "safetensors round trip");
    save_npy(a, npy_path);
    failures.expect(same(load_npy(npy_path), a), "npy round trip");
    nn::Linear saved(3, 2, {.dtype = kFloat64, .generator = &gen});
    nn::Linear loaded(3, 2, {.dtype = kFloat64, .generator = &gen});
    saved.save(module_path);
    loaded.load(module_path);
    for (size_t i = 0; i < 2; ++i)
      failures.expect(same(loaded.parameters()[i].detach(), saved.parameters()[i].detach()),
                      "Module save/load round trip");
  }
  for (const std::string& p : {st_path, npy_path, module_path}) std::filesystem::remove(p);
}

// Both io threads also write one shared path: each write is atomic (a unique temporary file
// renamed over the target), so a read sees one complete file, from either writer.
void shared_file_worker(int id, const std::string& path, Failures& failures) {
  const Tensor mine = full({64}, static_cast<double>(id), kFloat64);
  for (int it = 0; it < 10; ++it) {
    save_file({{"v", mine}}, path);
    const SafetensorsFile file = load_file(path);
    const Tensor v = file.tensors.at(0).second;
    failures.expect(same(v, full({64}, 0.0, kFloat64)) || same(v, full({64}, 1.0, kFloat64)),
                    "a shared path holds one complete file");
  }
}

TEST_CASE("threads build, differentiate and step while others toggle grad mode, draw and save",
          "[threads][tsan]") {
  Shared s;
  Generator gen(2026);
  s.meta_params = {randn({8, 3}, kFloat64, &gen) * 0.5, zeros({8}, kFloat64),
                   randn({1, 8}, kFloat64, &gen) * 0.5, zeros({1}, kFloat64)};
  for (Tensor& p : s.meta_params) p = p.detach().requires_grad_();
  s.w = small_ints({3, 3}, 3).requires_grad_();
  for (int t = 0; t < kAutogradThreads; ++t) {
    s.xs.push_back(small_ints({5, 3}, 10 + t));
    s.ys.push_back(small_ints({5, 1}, 20 + t));
  }

  // What the shared leaves must hold afterwards, from the same contributions run serially.
  TensorList meta_expected, meta_magnitude;
  for (const Tensor& p : s.meta_params) {
    meta_expected.push_back(zeros_like(p));
    meta_magnitude.push_back(zeros_like(p));
  }
  Tensor w_expected = zeros({3, 3}, kFloat64);
  for (int t = 0; t < kAutogradThreads; ++t) {
    const TensorList g = grad({maml_meta_loss(s, t)}, s.meta_params);
    for (size_t i = 0; i < g.size(); ++i) {
      meta_expected[i] = meta_expected[i] + g[i] * kIterations;
      meta_magnitude[i] = meta_magnitude[i] + g[i].abs() * kIterations;
    }
    w_expected = w_expected + s.xs[t].sum({0}).reshape({1, 3}) * s.w.detach() * (2.0 * kIterations);
  }

  Failures failures;
  const int n_threads = kAutogradThreads + 5;
  std::latch start(n_threads);
  std::vector<std::thread> threads;
  const auto launch = [&](std::function<void()> body) {
    threads.emplace_back([&start, &failures, body = std::move(body)] {
      start.arrive_and_wait();
      try {
        body();
      } catch (const std::exception& e) {
        failures.expect(false, std::string("exception: ") + e.what());
      }
    });
  };
  for (int t = 0; t < kAutogradThreads; ++t)
    launch([&s, &failures, t] { autograd_worker(s, t, failures); });
  launch([&] { meta_batch_worker(s, failures); });
  launch([&] { grad_mode_worker(s, failures); });
  launch([&] { random_worker(failures); });
  const std::string shared_path = (std::filesystem::temp_directory_path() /
                                   ("metagrad_tsan_" + std::to_string(::getpid()) + ".safetensors"))
                                      .string();
  for (int id = 0; id < 2; ++id) {
    launch([&, id] {
      io_worker(id, failures);
      shared_file_worker(id, shared_path, failures);
    });
  }
  for (auto& th : threads) th.join();
  std::filesystem::remove(shared_path);

  CHECK(failures.list() == std::vector<std::string>{});
  // Integer data: the shared leaf's sum is exact whatever the order of the additions.
  CHECK(same(s.w.grad().detach(), w_expected));
  // Arbitrary doubles: the order may change each sum by its rounding, eps * terms * sum |g|.
  constexpr int kTerms = kAutogradThreads * kIterations;
  for (size_t i = 0; i < s.meta_params.size(); ++i) {
    const Tensor err = (s.meta_params[i].grad() - meta_expected[i]).abs();
    CHECK(all(le(err, meta_magnitude[i] * (kTerms * 2.3e-16))).item<bool>());
  }
  // The create_graph backward left a history on w.grad that saves w: clear it (a cycle otherwise).
  s.w.set_grad(Tensor());
}

}  // namespace
