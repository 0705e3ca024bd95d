// Backend::channel_coefficients (Note [batch-norm coefficients]) on the CPU backend and on the
// CUDA kernels' host emulation: the slots, the neutral values of absent inputs, strided views, the
// in-place running statistics and the argument errors. The formulas' mathematics is checked
// end to end by batch_norm's gradcheck and gradgradcheck (tests/nn_functional).
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "cuda/emulated_backend.hpp"
#include "engine/ops.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;

namespace {

constexpr int64_t kChannels = 5;

View view(const Tensor& t) { return View{t.raw_data(), t.dtype(), t.shape(), t.strides()}; }

// [kChannels] float64 values in [low, high) from `seed`, every second element of a [2 C] tensor
// when `strided` (a view with stride 2).
Tensor values(uint64_t seed, double low = -2.0, double high = 2.0, bool strided = false) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> dist(low, high);
  std::vector<double> v(strided ? 2 * kChannels : kChannels);
  for (double& x : v) x = dist(gen);
  const Tensor t = tensor(v, {static_cast<int64_t>(v.size())}, kFloat64);
  return strided ? t.slice(0, 0, 2 * kChannels, 2) : t;
}

// Runs `formula` on `backend` over `in` (undefined: absent) into fresh zero outputs (the odd slots
// every second element of a [2 C] tensor); the first `written` output slots are passed, the rest
// as absent.
TensorList run(Backend& backend, ChannelFormula formula, const TensorList& in,
               const bn::Constants& constants, int written = bn::kMaxSlots) {
  std::vector<View> in_views, out_views;
  for (const Tensor& t : in) in_views.push_back(t.defined() ? view(t) : View{});
  TensorList out;
  for (int j = 0; j < bn::output_count(formula); ++j) {
    out.push_back(
        j % 2 == 0 ? zeros({kChannels}, TensorOptions(kFloat64))
                   : zeros({2 * kChannels}, TensorOptions(kFloat64)).slice(0, 0, 2 * kChannels, 2));
    out_views.push_back(j < written ? view(out.back()) : View{});
  }
  backend.channel_coefficients(formula, in_views.data(), static_cast<int>(in_views.size()),
                               out_views.data(), static_cast<int>(out_views.size()), constants,
                               kChannels);
  return out;
}

// Both backends' outputs are close to the reference (and so to each other: not bitwise, since
// compilers may contract a * b + c into an FMA differently).
void check_both(ChannelFormula formula, const TensorList& in, const bn::Constants& constants,
                const TensorList& expected) {
  const TensorList on_cpu = run(backend_for(kCPU), formula, in, constants);
  const TensorList emulated = run(emulated_cuda_backend(), formula, in, constants);
  REQUIRE(on_cpu.size() == expected.size());
  for (size_t j = 0; j < expected.size(); ++j) {
    INFO("output slot " << j);
    const double scale = 1.0 + max(abs(expected[j])).item<double>();
    CHECK(max(abs(on_cpu[j] - expected[j])).item<double>() <= 1e-13 * scale);
    CHECK(max(abs(emulated[j] - expected[j])).item<double>() <= 1e-13 * scale);
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("channel_coefficients: the backward slots, with and without a weight", "[cuda][norm]") {
  const bn::Constants k{7.0, 1e-5, 0.0};
  const Tensor s = values(1, 0.5, 2.0), w = values(2, 0.5, 1.5, true), sum_g = values(3),
               sum_gc = values(4, -2.0, 2.0, true);
  for (const bool with_weight : {true, false}) {
    const Tensor ws = with_weight ? w * s : s;
    check_both(ChannelFormula::Backward, {s, with_weight ? w : Tensor(), sum_g, sum_gc}, k,
               {-ws * s * s * sum_gc / 7.0, ws, -ws * sum_g / 7.0, s * sum_gc});
  }
}

TEST_CASE("channel_coefficients: the double-backward slots, absent weight and qw", "[cuda][norm]") {
  const double m = 11.0;
  const bn::Constants k{m, 1e-5, 0.0};
  const Tensor s = values(10, 0.5, 2.0, true), sum_g = values(12), sum_gc = values(13),
               sum_q = values(14, -2.0, 2.0, true), sum_qc = values(15), sum_gq = values(16);
  for (const bool present : {true, false}) {
    const Tensor w = present ? values(11, 0.5, 1.5) : ones({kChannels}, TensorOptions(kFloat64));
    const Tensor qw = present ? values(17) : zeros({kChannels}, TensorOptions(kFloat64));
    const Tensor s2 = s * s, ws = w * s, ws3 = ws * s2, g_m = sum_g / m, gc_m = sum_gc / m;
    const TensorList expected{
        qw * s - ws * s2 * sum_qc / m,
        ws,
        -ws * sum_q / m,
        ws3 * (sum_q * g_m - sum_gq + 3.0 * s2 * gc_m * sum_qc) / m - qw * s2 * s * gc_m,
        qw * s - ws3 * sum_qc / m,
        -ws3 * gc_m,
        ws3 * (sum_qc * g_m + gc_m * sum_q) / m - qw * s * g_m,
        s * (sum_gq - sum_g * sum_q / m - s2 * sum_gc * sum_qc / m)};
    check_both(
        ChannelFormula::DoubleBackward,
        {s, present ? w : Tensor(), present ? qw : Tensor(), sum_g, sum_gc, sum_q, sum_qc, sum_gq},
        k, expected);
  }
}

TEST_CASE("channel_coefficients: the forward slots and the running statistics in place",
          "[cuda][norm]") {
  const double m = 6.0, eps = 1e-3, momentum = 0.25;
  const Tensor mean = values(20), sum_sq = values(21, 0.1, 5.0), w = values(22), b = values(23);
  for (Backend* backend : {&backend_for(kCPU), &emulated_cuda_backend()}) {
    const Tensor rm = values(24, -1.0, 1.0, true).clone(), rv = values(25, 0.5, 2.0);
    const Tensor rm0 = rm.clone(), rv0 = rv.clone();
    const TensorList out{zeros({kChannels}, TensorOptions(kFloat64)),
                         zeros({kChannels}, TensorOptions(kFloat64)),
                         zeros({kChannels}, TensorOptions(kFloat64))};
    const View in_views[] = {view(mean), view(sum_sq), view(w), view(b), view(rm), view(rv)};
    const View out_views[] = {view(out[0]), view(out[1]), view(out[2]), view(rm), view(rv)};
    backend->channel_coefficients(ChannelFormula::Forward, in_views, 6, out_views, 5,
                                  {m, eps, momentum}, kChannels);
    const Tensor inv_std = rsqrt(sum_sq / m + eps);
    CHECK(max(abs(out[0] - inv_std)).item<double>() <= 1e-13);
    CHECK(max(abs(out[1] - inv_std * w)).item<double>() <= 1e-13);
    CHECK(out[2].to_vector<double>() == b.to_vector<double>());
    CHECK(max(abs(rm - (0.75 * rm0 + 0.25 * mean))).item<double>() <= 1e-13);
    CHECK(max(abs(rv - (0.75 * rv0 + 0.25 * sum_sq / (m - 1.0)))).item<double>() <= 1e-13);
  }
  // Without weight, bias and running statistics: scale = inv_std, shift = 0.
  const TensorList bare =
      run(backend_for(kCPU), ChannelFormula::Forward,
          {mean, sum_sq, Tensor(), Tensor(), Tensor(), Tensor()}, {m, eps, 0.1}, 3);
  CHECK(bare[1].to_vector<double>() == bare[0].to_vector<double>());
  CHECK(max(abs(bare[2])).item<double>() == 0.0);
  CHECK(max(abs(bare[3])).item<double>() == 0.0);  // not written
}

TEST_CASE("channel_coefficients: a single channel", "[cuda][norm]") {
  const double m = 4.0, eps = 1e-5;
  const Tensor mean = full({1}, 0.25, kFloat64), sum_sq = full({1}, 3.0, kFloat64),
               w = full({1}, -1.5, kFloat64);
  const double inv_std = 1.0 / std::sqrt(3.0 / m + eps);
  for (Backend* backend : {&backend_for(kCPU), &emulated_cuda_backend()}) {
    const TensorList out{zeros({1}, TensorOptions(kFloat64)), zeros({1}, TensorOptions(kFloat64)),
                         full({1}, 7.0, kFloat64)};
    const View in_views[] = {view(mean), view(sum_sq), view(w), View{}, View{}, View{}};
    const View out_views[] = {view(out[0]), view(out[1]), view(out[2]), View{}, View{}};
    backend->channel_coefficients(ChannelFormula::Forward, in_views, 6, out_views, 5, {m, eps, 0.1},
                                  1);
    CHECK(std::abs(out[0].item<double>() - inv_std) <= 1e-13);
    CHECK(std::abs(out[1].item<double>() + 1.5 * inv_std) <= 1e-13);
    CHECK(out[2].item<double>() == 0.0);
  }
}

TEST_CASE("channel_coefficients: argument errors, the same on both backends", "[cuda][norm]") {
  const Tensor c = values(30), short_one = zeros({3}, TensorOptions(kFloat64));
  const Tensor out = zeros({kChannels}, TensorOptions(kFloat64));
  const Tensor int_out = zeros({kChannels}, TensorOptions(kInt64));
  const View four[] = {view(c), view(c), view(c), view(c)};
  const View outs[] = {view(out), view(out), view(out), view(out), View{}};
  const View bad_shape[] = {view(c), view(short_one), view(c), view(c)};
  const View int_outs[] = {view(int_out), View{}, View{}, View{}};
  const View forward_in[] = {view(c), view(c), View{}, View{}, view(c), View{}};
  const View forward_out[] = {view(out), view(out), view(out), View{}, View{}};
  const bn::Constants k{4.0, 1e-5, 0.1};
  struct Case {
    std::function<void(Backend&)> call;
    std::string message;
  };
  const std::vector<Case> cases{
      {[&](Backend& b) {
         b.channel_coefficients(ChannelFormula::Backward, four, 3, outs, 4, k, 5);
       },
       "channel_coefficients kernel: formula set 1 takes 4 inputs and 4 outputs, got 3 and 4"},
      {[&](Backend& b) {
         b.channel_coefficients(ChannelFormula::Backward, bad_shape, 4, outs, 4, k, 5);
       },
       "channel_coefficients kernel: input slot 1 must be a float64 view of shape [5], got "
       "float64 [3]"},
      {[&](Backend& b) {
         b.channel_coefficients(ChannelFormula::Backward, four, 4, int_outs, 4, k, 5);
       },
       "channel_coefficients kernel: the first output must be a float32 or float64 view"},
      {[&](Backend& b) {
         b.channel_coefficients(ChannelFormula::Forward, forward_in, 6, forward_out, 5, k, 5);
       },
       "channel_coefficients kernel: a running statistic is updated exactly when it is given"},
  };
  for (const Case& test : cases) {
    CHECK(error_of([&] { test.call(backend_for(kCPU)); }) == test.message);
    CHECK(error_of([&] { test.call(emulated_cuda_backend()); }) == test.message);
  }
}
