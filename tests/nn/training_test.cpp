// Networks built from the layers learn synthetic tasks with plain SGD (updates under NoGradGuard).
#include <cmath>
#include <random>

#include "tests/nn/nn_helpers.hpp"

using namespace metagrad;

namespace {

// Points in [-1, 1]^2 labelled by quadrant parity (XOR: class 1 when x0 * x1 > 0), kept at least
// `margin` away from the axes so the classes are separable.
std::pair<Tensor, Tensor> xor_data(int n, uint64_t seed, double margin = 0.15) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> xs;
  std::vector<double> ys;
  while (static_cast<int>(ys.size()) < n) {
    const double a = u(rng), b = u(rng);
    if (std::abs(a) < margin || std::abs(b) < margin) continue;
    xs.push_back(a);
    xs.push_back(b);
    ys.push_back(a * b > 0 ? 1.0 : 0.0);
  }
  return {tensor(xs, {n, 2}), tensor(ys, {n}, kInt64)};
}

// 8 x 8 images of one bright bar on noise: class 0 a vertical bar, class 1 a horizontal one, at a
// random position.
std::pair<Tensor, Tensor> bar_images(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.2);
  std::uniform_int_distribution<int> pos(0, 7), cls(0, 1);
  std::vector<double> pixels(static_cast<size_t>(n) * 64);
  std::vector<double> labels(n);
  for (int i = 0; i < n; ++i) {
    const int c = cls(rng), p = pos(rng);
    labels[i] = c;
    for (int r = 0; r < 8; ++r) {
      for (int col = 0; col < 8; ++col) {
        const bool on = c == 0 ? col == p : r == p;
        pixels[(i * 8 + r) * 8 + col] = (on ? 1.0 : 0.0) + noise(rng);
      }
    }
  }
  return {tensor(pixels, {n, 1, 8, 8}), tensor(labels, {n}, kInt64)};
}

double accuracy(const Tensor& logits, const Tensor& labels) {
  const auto [values, predicted] = logits.max(1);
  return eq(predicted, labels).to(kFloat64).mean().item<double>();
}

}  // namespace

TEST_CASE("a two-layer MLP learns XOR with plain SGD", "[module]") {
  manual_seed(0);
  const auto [x, y] = xor_data(200, 1);
  nn::Sequential net(nn::Linear(2, 32), nn::Tanh(), nn::Linear(32, 2));
  const TensorList params = net.parameters();
  const double initial = cross_entropy(net(x), y).item<double>();
  double loss_value = initial;
  for (int step = 0; step < 400; ++step) {
    const Tensor loss = cross_entropy(net(x), y);
    loss_value = loss.item<double>();
    const TensorList grads = grad({loss}, params);
    NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) Tensor(params[i]).sub_(grads[i], 1.0);
  }
  INFO("initial loss " << initial << ", final loss " << loss_value);
  CHECK(initial > 0.6);
  CHECK(loss_value < 0.05);
  const auto [x_test, y_test] = xor_data(500, 2);
  CHECK(accuracy(net(x_test), y_test) >= 0.97);
}

TEST_CASE("a small conv net with BatchNorm learns bar orientation with plain SGD", "[module]") {
  manual_seed(1);
  nn::Sequential net(nn::Conv2d(1, 8, 3, {.padding = 1}), nn::BatchNorm2d(8), nn::ReLU(),
                     nn::MaxPool2d(2, 2), nn::Flatten(), nn::Linear(8 * 4 * 4, 2));
  const auto [x, y] = bar_images(64, 3);
  double loss_value = 0.0;
  for (int step = 0; step < 150; ++step) {
    const Tensor loss = cross_entropy(net(x), y);
    loss_value = loss.item<double>();
    net.zero_grad();
    loss.backward();
    NoGradGuard no_grad;
    for (Tensor p : net.parameters()) p.sub_(p.grad(), 0.1);
  }
  INFO("final training loss " << loss_value);
  CHECK(loss_value < 0.05);
  CHECK(net.get_buffer("1.num_batches_tracked").item<int64_t>() == 150);
  // Eval mode (running statistics) on new images.
  net.eval();
  const auto [x_test, y_test] = bar_images(200, 4);
  const double acc = accuracy(net(x_test), y_test);
  INFO("test accuracy " << acc);
  CHECK(acc >= 0.95);
}
