#include "engine/ops/factory.hpp"

#include <cmath>

#include "engine/ops/op_support.hpp"
#include "engine/random/philox.hpp"

namespace metagrad {
namespace {

Tensor finish(Tensor t, const TensorOptions& options) {
  if (options.requires_grad) t.requires_grad_(true);
  return t;
}

Tensor filled(const Dims& shape, double value, const TensorOptions& options, const char* op) {
  detail::check_value_fits(value, options.dtype, op, "fill value");
  Tensor t = make_empty(shape, options.dtype, options.device, op);
  if (t.numel() > 0) detail::backend_of(t).fill(detail::view_of(t), value);
  return finish(t, options);
}

// Fills `t` from the generator (Backend::random).
Tensor random_fill(Tensor t, RandomKind kind, double low, double high, Generator* generator) {
  Generator& gen = generator ? *generator : default_generator();
  const uint64_t n = static_cast<uint64_t>(t.numel());
  uint64_t counters;
  if (kind == RandomKind::Normal) {
    counters = random_detail::counters_normal(n);
  } else if (kind == RandomKind::Uniform && t.dtype() == kFloat32) {
    counters = random_detail::counters_uniform_float(n);
  } else {
    counters = random_detail::counters_uniform_double(n);
  }
  const auto [seed, offset] = gen.reserve(counters);
  if (n > 0) detail::backend_of(t).random(kind, detail::view_of(t), seed, offset, low, high);
  return t;
}

// A 1-D tensor of n values value_at(i), written on the host (no temporary of doubles: n may be too
// large to allocate, which make_empty reports) and moved to options.device.
template <typename ValueAt>
Tensor sequence(int64_t n, const TensorOptions& options, const char* op, ValueAt value_at) {
  Tensor host = make_empty(Dims{n}, options.dtype, kCPU, op);
  MG_DISPATCH_ALL(options.dtype, [&](auto tag) {
    using T = decltype(tag);
    T* dst = static_cast<T*>(host.raw_data());
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<T>(value_at(i));
  });
  return finish(options.device.is_cpu() ? host : host.to(options.device), options);
}

}  // namespace

Tensor empty(const Dims& shape, TensorOptions options) {
  return finish(make_empty(shape, options.dtype, options.device, "empty"), options);
}
Tensor zeros(const Dims& shape, TensorOptions options) {
  return filled(shape, 0.0, options, "zeros");
}
Tensor ones(const Dims& shape, TensorOptions options) {
  return filled(shape, 1.0, options, "ones");
}
Tensor full(const Dims& shape, double value, TensorOptions options) {
  return filled(shape, value, options, "full");
}
Tensor scalar_tensor(double value, TensorOptions options) {
  return filled(Dims{}, value, options, "scalar_tensor");
}

Tensor arange(double end, TensorOptions options) { return arange(0.0, end, 1.0, options); }

Tensor arange(double start, double end, double step, TensorOptions options) {
  MG_CHECK(std::isfinite(start) && std::isfinite(end),
           "arange: unsupported range: {} -> {} (start and end must be finite)", start, end);
  MG_CHECK(step != 0.0, "arange: step must be nonzero");
  MG_CHECK((step > 0 && end >= start) || (step < 0 && end <= start),
           "arange: upper bound and larger bound inconsistent with step sign (start {}, end {}, "
           "step {})",
           start, end, step);
  const double count = std::ceil((end - start) / step);
  // 0x1p63 is the first double above INT64_MAX; a larger count is not an int64.
  MG_CHECK(std::isfinite(count) && count < 0x1p63,
           "arange: invalid size, possible overflow: ({} - {}) / {} = {} elements do not fit int64",
           end, start, step, count);
  for (double bound : {start, end})
    detail::check_value_fits(bound, options.dtype, "arange", "bound");
  return sequence(static_cast<int64_t>(count), options, "arange",
                  [&](int64_t i) { return start + step * static_cast<double>(i); });
}

Tensor linspace(double start, double end, int64_t steps, TensorOptions options) {
  MG_CHECK(steps >= 0, "linspace: number of steps must be non-negative, got {}", steps);
  for (double bound : {start, end})
    detail::check_value_fits(bound, options.dtype, "linspace", "bound");
  const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  // Symmetric evaluation as PyTorch: first half from start, second half from end.
  // One step gives `start` (torch.linspace(a, b, 1) == [a]).
  const int64_t half = steps == 1 ? 1 : steps / 2;
  return sequence(steps, options, "linspace", [&](int64_t i) {
    return i < half ? start + step * static_cast<double>(i)
                    : end - step * static_cast<double>(steps - 1 - i);
  });
}

Tensor eye(int64_t n, int64_t m, TensorOptions options) {
  if (m < 0) m = n;
  MG_CHECK(n >= 0, "eye: n must be greater or equal to 0, got {}", n);
  Tensor host = filled(Dims{n, m}, 0.0, TensorOptions(options.dtype, kCPU), "eye");
  MG_DISPATCH_ALL(options.dtype, [&](auto tag) {
    using T = decltype(tag);
    T* dst = static_cast<T*>(host.raw_data());
    for (int64_t i = 0; i < std::min(n, m); ++i) dst[i * m + i] = T(1);
  });
  return finish(options.device.is_cpu() ? host : host.to(options.device), options);
}

Tensor rand(const Dims& shape, TensorOptions options, Generator* generator) {
  MG_CHECK(is_floating(options.dtype), "rand: dtype must be float32 or float64, got {}",
           dtype_name(options.dtype));
  return finish(random_fill(make_empty(shape, options.dtype, options.device, "rand"),
                            RandomKind::Uniform, 0.0, 1.0, generator),
                options);
}

Tensor randn(const Dims& shape, TensorOptions options, Generator* generator) {
  MG_CHECK(is_floating(options.dtype), "randn: dtype must be float32 or float64, got {}",
           dtype_name(options.dtype));
  return finish(random_fill(make_empty(shape, options.dtype, options.device, "randn"),
                            RandomKind::Normal, 0.0, 1.0, generator),
                options);
}

Tensor randint(int64_t low, int64_t high, const Dims& shape, TensorOptions options,
               Generator* generator) {
  MG_CHECK(low < high, "randint: expects low < high, got low={} high={}", low, high);
  MG_CHECK(options.dtype != kBool, "randint: bool dtype is not supported");
  const DType dtype = options.dtype == kFloat32 ? kInt64 : options.dtype;  // as documented
  return random_fill(make_empty(shape, dtype, options.device, "randint"), RandomKind::Integer,
                     static_cast<double>(low), static_cast<double>(high), generator);
}

Tensor tensor(const std::vector<double>& values, const Dims& shape, TensorOptions options) {
  const int64_t numel = numel_of(shape, "tensor");
  MG_CHECK(static_cast<int64_t>(values.size()) == numel,
           "tensor: {} values given for shape {} ({} elements)", values.size(), shape_str(shape),
           numel);
  for (size_t i = 0; i < values.size(); ++i)
    detail::check_value_fits(values[i], options.dtype, "tensor", "value");
  Tensor host = make_empty(shape, options.dtype, kCPU, "tensor");
  MG_DISPATCH_ALL(options.dtype, [&](auto tag) {
    using T = decltype(tag);
    T* dst = static_cast<T*>(host.raw_data());
    for (size_t i = 0; i < values.size(); ++i) dst[i] = static_cast<T>(values[i]);
  });
  Tensor t = options.device.is_cpu() ? host : host.to(options.device);
  return finish(t, options);
}

Tensor tensor(const std::vector<double>& values, TensorOptions options) {
  return tensor(values, Dims{static_cast<int64_t>(values.size())}, options);
}

namespace {
// The dtype and device of a like-factory's `like`, which must be defined.
TensorOptions like_options(const Tensor& like, const char* op) {
  detail::check_defined(like, op, "like");
  return TensorOptions(like.dtype(), like.device());
}
}  // namespace

Tensor empty_like(const Tensor& like) {
  const TensorOptions o = like_options(like, "empty_like");
  return empty(like.shape(), o);
}
Tensor empty_like(const Tensor& like, TensorOptions o) {
  detail::check_defined(like, "empty_like", "like");
  return empty(like.shape(), o);
}
Tensor zeros_like(const Tensor& like) {
  const TensorOptions o = like_options(like, "zeros_like");
  return zeros(like.shape(), o);
}
Tensor zeros_like(const Tensor& like, TensorOptions o) {
  detail::check_defined(like, "zeros_like", "like");
  return zeros(like.shape(), o);
}
Tensor ones_like(const Tensor& like) {
  const TensorOptions o = like_options(like, "ones_like");
  return ones(like.shape(), o);
}
Tensor ones_like(const Tensor& like, TensorOptions o) {
  detail::check_defined(like, "ones_like", "like");
  return ones(like.shape(), o);
}
Tensor full_like(const Tensor& like, double v) {
  const TensorOptions o = like_options(like, "full_like");
  return full(like.shape(), v, o);
}
Tensor full_like(const Tensor& like, double v, TensorOptions o) {
  detail::check_defined(like, "full_like", "like");
  return full(like.shape(), v, o);
}
Tensor rand_like(const Tensor& like, Generator* g) {
  const TensorOptions o = like_options(like, "rand_like");
  return rand(like.shape(), o, g);
}
Tensor randn_like(const Tensor& like, Generator* g) {
  const TensorOptions o = like_options(like, "randn_like");
  return randn(like.shape(), o, g);
}

}  // namespace metagrad
