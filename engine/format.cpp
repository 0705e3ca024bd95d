// Tensor printing: a port of PyTorch's torch/_tensor_str.py (_Formatter, _tensor_str, _str_intern)
// for strided float32/float64/int64/bool tensors.
#include "engine/format.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "engine/autograd/node.hpp"
#include "engine/ops.hpp"

namespace metagrad {
namespace {

// Element reader over a host tensor: element offsets are in elements from the first element.
struct HostElements {
  const char* base;
  DType dtype;

  double as_double(int64_t offset) const {
    return MG_DISPATCH_ALL(dtype, [&](auto tag) {
      using T = decltype(tag);
      return static_cast<double>(reinterpret_cast<const T*>(base)[offset]);
    });
  }
  int64_t as_int(int64_t offset) const {
    return MG_DISPATCH_ALL(dtype, [&](auto tag) {
      using T = decltype(tag);
      return static_cast<int64_t>(reinterpret_cast<const T*>(base)[offset]);
    });
  }
};

// The first `edge` and the last `edge` indices of a dimension of `size` when it is summarised
// (size > 2 * edge), else all of them; calls fn(index) and, between the two halves, gap().
template <typename Fn, typename Gap>
void for_each_shown(int64_t size, bool summarize, int64_t edge, Fn&& fn, Gap&& gap) {
  if (summarize && size > 2 * edge) {
    for (int64_t i = 0; i < edge; ++i) fn(i);
    gap();
    for (int64_t i = size - edge; i < size; ++i) fn(i);
  } else {
    for (int64_t i = 0; i < size; ++i) fn(i);
  }
}

// PyTorch's _Formatter: decides integer / fixed / scientific mode and the common element width
// from the elements that will be shown.
class Formatter {
 public:
  Formatter(const HostElements& data, const std::vector<int64_t>& shown, const PrintOptions& opts)
      : data_(data), floating_(is_floating(data.dtype)), precision_(opts.precision) {
    if (!floating_) {
      for (int64_t off : shown) max_width_ = std::max(max_width_, raw(off).size());
      return;
    }
    std::vector<double> finite;
    for (int64_t off : shown) {
      const double v = data.as_double(off);
      if (std::isfinite(v) && v != 0.0) finite.push_back(v);
    }
    if (!finite.empty()) {
      double lo = std::abs(finite[0]), hi = lo;
      for (double v : finite) {
        lo = std::min(lo, std::abs(v));
        hi = std::max(hi, std::abs(v));
        if (v != std::ceil(v)) int_mode_ = false;
      }
      sci_mode_ = hi / lo > 1000.0 || hi > 1.0e8 || (!int_mode_ && lo < 1.0e-4);
      for (double v : finite) {
        size_t w;
        if (sci_mode_) {
          w = fmt::format("{:.{}e}", v, precision_).size();
        } else if (int_mode_) {
          w = fmt::format("{:.0f}", v).size() + 1;
        } else {
          w = fmt::format("{:.{}f}", v, precision_).size();
        }
        max_width_ = std::max(max_width_, w);
      }
    }
    if (opts.sci_mode) sci_mode_ = *opts.sci_mode;
  }

  size_t width() const { return max_width_; }

  // The element at `offset`, right-aligned to width().
  std::string format(int64_t offset) const {
    std::string s = raw(offset);
    if (s.size() < max_width_) s.insert(0, max_width_ - s.size(), ' ');
    return s;
  }

 private:
  std::string raw(int64_t offset) const {
    if (data_.dtype == kBool) return data_.as_int(offset) ? "True" : "False";
    if (!floating_) return fmt::format("{}", data_.as_int(offset));
    const double v = data_.as_double(offset);
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (sci_mode_) return fmt::format("{:.{}e}", v, precision_);
    if (int_mode_) return fmt::format("{:.0f}.", v);
    return fmt::format("{:.{}f}", v, precision_);
  }

  HostElements data_;
  bool floating_;
  int precision_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  size_t max_width_ = 1;
};

struct Layout {
  const Dims& shape;
  const Dims& strides;
  bool summarize;
  const PrintOptions& opts;
};

// Offsets of the elements PyTorch's get_summarized_data keeps (the formatter sees only those).
void collect_shown(const Layout& l, int d, int64_t offset, std::vector<int64_t>& out) {
  const int ndim = l.shape.size();
  if (d == ndim) {
    out.push_back(offset);
    return;
  }
  const int64_t size = l.shape[d], edge = l.opts.edgeitems;
  for_each_shown(
      size, l.summarize, edge,
      [&](int64_t i) { collect_shown(l, d + 1, offset + i * l.strides[d], out); }, [] {});
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) s += sep;
    s += parts[i];
  }
  return s;
}

// _tensor_str_with_formatter / _vector_str for the sub-tensor at dimension `d`.
std::string tensor_str(const Layout& l, const Formatter& f, int d, int64_t offset, int64_t indent) {
  const int ndim = l.shape.size();
  if (d == ndim) return f.format(offset);
  const int64_t size = l.shape[d], edge = l.opts.edgeitems;
  std::vector<std::string> parts;
  if (ndim - d == 1) {
    const int64_t element_length = static_cast<int64_t>(f.width()) + 2;
    const int64_t per_line = std::max<int64_t>(
        1, static_cast<int64_t>(std::floor(static_cast<double>(l.opts.linewidth - indent) /
                                           static_cast<double>(element_length))));
    if (l.summarize && edge == 0) {
      parts.push_back("...");
    } else {
      for_each_shown(
          size, l.summarize, edge,
          [&](int64_t i) { parts.push_back(f.format(offset + i * l.strides[d])); },
          [&] { parts.push_back(" ..."); });
    }
    std::vector<std::string> lines;
    for (size_t i = 0; i < parts.size(); i += static_cast<size_t>(per_line)) {
      const auto end = parts.begin() + std::min(parts.size(), i + static_cast<size_t>(per_line));
      lines.push_back(join(std::vector<std::string>(parts.begin() + i, end), ", "));
    }
    return "[" + join(lines, ",\n" + std::string(indent + 1, ' ')) + "]";
  }
  for_each_shown(
      size, l.summarize, edge,
      [&](int64_t i) {
        parts.push_back(tensor_str(l, f, d + 1, offset + i * l.strides[d], indent + 1));
      },
      [&] { parts.push_back("..."); });
  const std::string sep = "," + std::string(ndim - d - 1, '\n') + std::string(indent + 1, ' ');
  return "[" + join(parts, sep) + "]";
}

// Python's str(tuple(shape)): "(0, 3)", "(0,)".
std::string shape_tuple(const Dims& shape) {
  std::string s = "(";
  for (int i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// _add_suffixes: ", suffix" on the same line while it fits in linewidth, else on a new line.
std::string add_suffixes(std::string str, const std::vector<std::string>& suffixes, int64_t indent,
                         int64_t linewidth) {
  const size_t newline = str.rfind('\n');
  // PyTorch's arithmetic: len - rfind + 1, with rfind = -1 when there is no newline.
  int64_t last_line_len = static_cast<int64_t>(str.size()) -
                          (newline == std::string::npos ? -1 : static_cast<int64_t>(newline)) + 1;
  for (const std::string& suffix : suffixes) {
    const int64_t len = static_cast<int64_t>(suffix.size());
    if (last_line_len + len + 2 > linewidth) {
      str += ",\n" + std::string(indent, ' ') + suffix;
      last_line_len = indent + len;
    } else {
      str += ", " + suffix;
      last_line_len += len + 2;
    }
  }
  return str + ")";
}

}  // namespace

std::string to_string(const Tensor& t) { return to_string(t, PrintOptions{}); }

std::string to_string(const Tensor& t, const PrintOptions& options) {
  if (!t.defined()) return "tensor(undefined)";
  const std::string prefix = "tensor(";
  const int64_t indent = static_cast<int64_t>(prefix.size());
  std::vector<std::string> suffixes;
  if (!t.device().is_cpu()) suffixes.push_back("device='" + t.device().str() + "'");
  const std::string dtype_str = "dtype=metagrad." + std::string(dtype_name(t.dtype()));

  std::string body;
  if (t.numel() == 0) {
    if (t.dim() != 1) suffixes.push_back("size=" + shape_tuple(t.shape()));
    if (t.dtype() != kFloat32) suffixes.push_back(dtype_str);
    body = "[]";
  } else {
    if (options.edgeitems == 0) suffixes.push_back("size=" + shape_tuple(t.shape()));
    if (t.dtype() == kFloat64) suffixes.push_back(dtype_str);
    const Tensor host = t.device().is_cpu() ? t.detach() : t.detach().to(kCPU);
    const HostElements data{static_cast<const char*>(host.raw_data()), host.dtype()};
    const Layout layout{host.shape(), host.strides(), host.numel() > options.threshold, options};
    std::vector<int64_t> shown;
    collect_shown(layout, 0, 0, shown);
    const Formatter formatter(data, shown, options);
    body = tensor_str(layout, formatter, 0, 0, indent);
  }

  if (const auto& fn = t.grad_fn()) {
    suffixes.push_back("grad_fn=<" + fn->name() + ">");
  } else if (t.requires_grad()) {
    suffixes.push_back("requires_grad=True");
  }
  return add_suffixes(prefix + body, suffixes, indent, options.linewidth);
}

}  // namespace metagrad
