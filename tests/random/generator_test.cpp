// Generator: seeding, counter offsets, saving and restoring the position, distributions of rand /
// randn / randint.
#include <algorithm>
#include <cmath>
#include <set>
#include <thread>

#include "engine/random/philox.hpp"
#include "tests/support/helpers.hpp"

using namespace metagrad;

namespace {

struct Stats {
  double mean = 0, std = 0, min = 0, max = 0;
};

Stats stats(const Tensor& t) {
  const auto v = t.to_vector<double>();
  Stats s;
  double sum = 0, sum2 = 0;
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  for (double x : v) {
    sum += x;
    sum2 += x * x;
  }
  const double n = static_cast<double>(v.size());
  s.mean = sum / n;
  s.std = std::sqrt(sum2 / n - s.mean * s.mean);
  return s;
}

}  // namespace

TEST_CASE("the same seed gives the same numbers", "[generator]") {
  Generator a(42), b(42);
  CHECK(rand({7}, {}, &a).to_vector<float>() == rand({7}, {}, &b).to_vector<float>());
  CHECK(randn({5}, kFloat64, &a).to_vector<double>() ==
        randn({5}, kFloat64, &b).to_vector<double>());
  CHECK(randint(0, 100, {9}, kInt64, &a).to_vector<int64_t>() ==
        randint(0, 100, {9}, kInt64, &b).to_vector<int64_t>());
  CHECK(a.offset() == b.offset());
}

TEST_CASE("different seeds give different numbers", "[generator]") {
  Generator a(1), b(2);
  CHECK(rand({8}, {}, &a).to_vector<float>() != rand({8}, {}, &b).to_vector<float>());
  CHECK(randn({8}, kFloat64, &a).to_vector<double>() !=
        randn({8}, kFloat64, &b).to_vector<double>());
}

TEST_CASE("manual_seed restarts the stream", "[generator]") {
  Generator g(7);
  const auto first = randn({6}, {}, &g).to_vector<float>();
  const auto second = randn({6}, {}, &g).to_vector<float>();
  CHECK(first != second);
  g.manual_seed(7);
  CHECK(g.offset() == 0);
  CHECK(g.seed() == 7);
  CHECK(randn({6}, {}, &g).to_vector<float>() == first);
  CHECK(randn({6}, {}, &g).to_vector<float>() == second);
  g.manual_seed(8);
  CHECK(randn({6}, {}, &g).to_vector<float>() != first);
}

TEST_CASE("each fill advances the offset by the counters it consumed", "[generator]") {
  Generator g(3);
  CHECK(g.offset() == 0);
  rand({10}, kFloat32, &g);  // 4 floats per counter
  CHECK(g.offset() == 3);
  rand({10}, kFloat64, &g);  // 2 doubles per counter
  CHECK(g.offset() == 8);
  randn({10}, kFloat32, &g);  // one counter per normal
  CHECK(g.offset() == 18);
  randint(0, 5, {3}, kInt64, &g);  // 2 64-bit draws per counter
  CHECK(g.offset() == 20);
  rand({0}, kFloat32, &g);
  CHECK(g.offset() == 20);
  // Consecutive draws of the same size differ.
  CHECK(rand({4}, {}, &g).to_vector<float>() != rand({4}, {}, &g).to_vector<float>());
}

TEST_CASE("fills are the documented Philox elements at the generator's offset", "[generator]") {
  using namespace random_detail;
  const uint64_t seed = 0x1234abcdULL;
  Generator g(seed);
  const auto u = rand({5}, kFloat32, &g).to_vector<float>();
  for (uint64_t i = 0; i < 5; ++i) CHECK(u[i] == uniform_float(seed, 0, i));
  const auto d = rand({3}, kFloat64, &g).to_vector<double>();  // starts at counter 2
  for (uint64_t i = 0; i < 3; ++i) CHECK(d[i] == uniform_double(seed, 2, i));
  const auto z = randn({4}, kFloat64, &g).to_vector<double>();  // starts at counter 4
  for (uint64_t i = 0; i < 4; ++i) CHECK(z[i] == normal_double(seed, 4, i));
  const auto zf = randn({3}, kFloat32, &g).to_vector<float>();  // starts at counter 8
  for (uint64_t i = 0; i < 3; ++i) CHECK(zf[i] == normal_float(seed, 8, i));
  const auto k = randint(10, 17, {4}, kInt64, &g).to_vector<int64_t>();  // counter 11
  for (uint64_t i = 0; i < 4; ++i)
    CHECK(k[i] == 10 + static_cast<int64_t>(random_bits64(seed, 11, i) % 7));
}

TEST_CASE("randn has mean 0 and std 1 over 100k samples", "[generator]") {
  Generator g(2024);
  for (DType dtype : {kFloat32, kFloat64}) {
    Tensor t = randn({100000}, dtype, &g);
    CHECK(t.dtype() == dtype);
    const Stats s = stats(t);
    CHECK(std::abs(s.mean) < 0.015);
    CHECK(s.std == Approx(1.0).margin(0.015));
    CHECK(s.min < -3.5);
    CHECK(s.max > 3.5);
  }
}

TEST_CASE("rand is uniform in [0, 1) for float32 and float64", "[generator]") {
  Generator g(99);
  for (DType dtype : {kFloat32, kFloat64}) {
    Tensor t = rand({100000}, dtype, &g);
    CHECK(t.dtype() == dtype);
    const Stats s = stats(t);
    CHECK(s.min >= 0.0);
    CHECK(s.max < 1.0);
    CHECK(s.mean == Approx(0.5).margin(0.005));
    CHECK(s.std == Approx(std::sqrt(1.0 / 12.0)).margin(0.005));
  }
  const auto f = rand({1000}, kFloat32, &g).to_vector<double>();
  const auto d = rand({1000}, kFloat64, &g).to_vector<double>();
  CHECK(std::set<double>(f.begin(), f.end()).size() > 990);
  CHECK(std::set<double>(d.begin(), d.end()).size() == 1000);
  CHECK_THROWS_WITH(rand({2}, kInt64), MG_CONTAINS("rand: dtype must be float32 or float64"));
  CHECK_THROWS_WITH(randn({2}, kBool), MG_CONTAINS("randn: dtype must be float32 or float64"));
}

TEST_CASE("randint draws every value of [low, high) and nothing else", "[generator]") {
  Generator g(5);
  Tensor t = randint(-3, 4, {20000}, kInt64, &g);
  CHECK(t.dtype() == kInt64);
  const auto v = t.to_vector<int64_t>();
  std::set<int64_t> seen(v.begin(), v.end());
  CHECK(seen == std::set<int64_t>{-3, -2, -1, 0, 1, 2, 3});
  for (int64_t k = -3; k < 4; ++k) {
    const auto count = std::count(v.begin(), v.end(), k);
    CHECK(count > 2500);
    CHECK(count < 3200);
  }
  CHECK(randint(0, 1, {50}, kInt64, &g).to_vector<int64_t>() == std::vector<int64_t>(50, 0));
  // The default dtype is int64 even when options leave the dtype at its default.
  CHECK(randint(0, 3, {2}, TensorOptions(kCPU), &g).dtype() == kInt64);
  Tensor f = randint(0, 10, {100}, kFloat64, &g);
  CHECK(f.dtype() == kFloat64);
  for (double x : f.to_vector<double>()) CHECK((x == std::floor(x) && x >= 0 && x < 10));
  CHECK_THROWS_WITH(randint(3, 3, {2}),
                    MG_CONTAINS("randint: expects low < high, got low=3 high=3"));
}

TEST_CASE("the default generator is seeded by manual_seed", "[generator]") {
  manual_seed(123);
  CHECK(default_generator().seed() == 123);
  CHECK(default_generator().offset() == 0);
  const auto a = rand({5}).to_vector<float>();
  const auto n = randn({3}, kFloat64).to_vector<double>();
  CHECK(default_generator().offset() == 2 + 3);
  manual_seed(123);
  CHECK(rand({5}).to_vector<float>() == a);
  CHECK(randn({3}, kFloat64).to_vector<double>() == n);
  Generator same(123);
  CHECK(rand({5}, {}, &same).to_vector<float>() == a);
  CHECK(&default_generator() == &default_generator());
}

TEST_CASE("a restored state continues the stream with the identical numbers", "[generator]") {
  Generator g(0x5eed);
  rand({7}, kFloat32, &g);
  randn({3}, kFloat64, &g);
  const GeneratorState saved = g.state();
  CHECK(saved == GeneratorState{0x5eed, g.offset()});
  CHECK(saved.offset == 2 + 3);
  const auto next_u = rand({9}, kFloat64, &g).to_vector<double>();
  const auto next_z = randn({5}, kFloat32, &g).to_vector<float>();
  const auto next_k = randint(0, 1000, {6}, kInt64, &g).to_vector<int64_t>();
  const GeneratorState after = g.state();
  CHECK(after.offset > saved.offset);

  // The same generator, moved back, and another one moved there from another seed.
  Generator other(99);
  rand({13}, kFloat32, &other);
  for (Generator* h : {&g, &other}) {
    h->set_state(saved);
    CHECK(h->state() == saved);
    CHECK(h->seed() == 0x5eed);
    CHECK(rand({9}, kFloat64, h).to_vector<double>() == next_u);
    CHECK(randn({5}, kFloat32, h).to_vector<float>() == next_z);
    CHECK(randint(0, 1000, {6}, kInt64, h).to_vector<int64_t>() == next_k);
    CHECK(h->state() == after);
  }

  // A position far along the stream (near the end of the 64-bit counter range) is valid as well.
  const GeneratorState far{7, (uint64_t{1} << 63) + 5};
  g.set_state(far);
  CHECK(g.reserve(2) == std::pair<uint64_t, uint64_t>{7, far.offset});
  CHECK(g.state() == GeneratorState{7, far.offset + 2});
  // manual_seed still restarts from counter 0.
  g.manual_seed(0x5eed);
  CHECK(g.state() == GeneratorState{0x5eed, 0});
}

TEST_CASE("concurrent reservations never overlap", "[generator]") {
  Generator g(11);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&g] {
      for (int i = 0; i < 1000; ++i) g.reserve(3);
    });
  for (auto& th : threads) th.join();
  CHECK(g.offset() == 12000);
}
