#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "engine/backend/cpu/cpu_backend.hpp"
#include "engine/backend/cpu/loop.hpp"

// Note [reduce kernels]
// A reduction is planned once per call: size-1 dims are dropped, the remaining dims are ordered by
// input stride (largest first, broadcast dims outermost) and neighbours of the same kind (kept or
// reduced) that are contiguous across each other are merged. Two loop shapes follow:
//  - inner: the innermost dim is reduced. Each output element reduces contiguous runs with a
//    vectorised (omp simd) loop; float sums accumulate in double, in blocks.
//  - rows: the innermost dim is kept (e.g. a bias gradient, [64, 256] summed over dim 0), or is
//    reduced but shorter than kShortRun ([N, 3] summed over dim 1). A block of outputs along the
//    innermost kept dim is accumulated side by side, whole rows at a time, then written once.
// Work is split over threads along the outputs when there are enough of them, else along the
// reduced elements (per-thread partial results, combined in thread order: deterministic for a
// given thread count).

namespace metagrad::cpu {
namespace {

// Accumulator type: double for float sums and products (accuracy), T otherwise (max/min are
// exact in T).
template <typename T, ReduceOp Op>
using Acc =
    std::conditional_t<std::is_same_v<T, float> && (Op == ReduceOp::Sum || Op == ReduceOp::Prod),
                       double, T>;

// Columns accumulated together in the rows loop shape, and elements per block of a long sum.
constexpr int64_t kColumns = 256;
constexpr int64_t kSumBlock = 4096;
// Independent accumulators of a contiguous sum (four AVX2 registers of double).
constexpr int64_t kLanes = 16;
// Contiguous runs shorter than this are reduced by a plain loop (no vector prologue/epilogue).
constexpr int64_t kShortRun = 16;

int max_threads() {
#ifdef _OPENMP
  return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
  return 1;
#endif
}

// Sum, product, max and min as (identity, step, contiguous run).
template <typename T, ReduceOp Op>
struct Reducer {
  using A = Acc<T, Op>;
  static constexpr bool kFloat = std::is_floating_point_v<T>;
  static constexpr bool kMax = Op == ReduceOp::Max;

  static A identity() {
    if constexpr (Op == ReduceOp::Sum) {
      return A(0);
    } else if constexpr (Op == ReduceOp::Prod) {
      return A(1);
    } else if constexpr (kFloat) {
      return kMax ? -std::numeric_limits<A>::infinity() : std::numeric_limits<A>::infinity();
    } else {
      return kMax ? std::numeric_limits<A>::lowest() : std::numeric_limits<A>::max();
    }
  }

  // Folds one value into an accumulator; max/min propagate NaN.
  static A step(A acc, A v) {
    if constexpr (Op == ReduceOp::Sum) {
      return acc + v;
    } else if constexpr (Op == ReduceOp::Prod) {
      return acc * v;
    } else if constexpr (kFloat) {
      return ((kMax ? v > acc : v < acc) || v != v) ? v : acc;
    } else {
      return (kMax ? v > acc : v < acc) ? v : acc;
    }
  }

  // Reduction of n contiguous values.
  static A run(const T* p, int64_t n) {
    if constexpr (Op == ReduceOp::Sum) {
      // kLanes independent partial sums: a single vector accumulator would wait on the add's
      // latency every step.
      A total = 0;
      for (int64_t b = 0; b < n; b += kSumBlock) {
        const int64_t e = std::min(n, b + kSumBlock);
        A lanes[kLanes] = {};
        int64_t i = b;
        for (; i + kLanes <= e; i += kLanes) {
          MG_SIMD()
          for (int64_t l = 0; l < kLanes; ++l) lanes[l] += static_cast<A>(p[i + l]);
        }
        A s = 0;
        for (; i < e; ++i) s += static_cast<A>(p[i]);
        for (int64_t l = 0; l < kLanes; ++l) s += lanes[l];
        total += s;
      }
      return total;
    } else if constexpr (Op == ReduceOp::Prod) {
      A s = 1;
      MG_SIMD(reduction(* : s))
      for (int64_t i = 0; i < n; ++i) s *= static_cast<A>(p[i]);
      return s;
    } else if constexpr (kFloat) {
      A m = identity();
      int nan = 0;
      if constexpr (kMax) {
        MG_SIMD(reduction(max : m) reduction(| : nan))
        for (int64_t i = 0; i < n; ++i) {
          const A v = p[i];
          m = v > m ? v : m;
          nan |= v != v;
        }
      } else {
        MG_SIMD(reduction(min : m) reduction(| : nan))
        for (int64_t i = 0; i < n; ++i) {
          const A v = p[i];
          m = v < m ? v : m;
          nan |= v != v;
        }
      }
      return nan ? std::numeric_limits<A>::quiet_NaN() : m;
    } else if constexpr (std::is_same_v<T, bool>) {
      // any (max) / all (min).
      int m = kMax ? 0 : 1;
      const auto* bytes = reinterpret_cast<const unsigned char*>(p);
      if constexpr (kMax) {
        MG_SIMD(reduction(| : m))
        for (int64_t i = 0; i < n; ++i) m |= bytes[i];
      } else {
        MG_SIMD(reduction(& : m))
        for (int64_t i = 0; i < n; ++i) m &= bytes[i];
      }
      return m != 0;
    } else if constexpr (kMax) {
      A m = identity();
      MG_SIMD(reduction(max : m))
      for (int64_t i = 0; i < n; ++i) m = p[i] > m ? p[i] : m;
      return m;
    } else {
      A m = identity();
      MG_SIMD(reduction(min : m))
      for (int64_t i = 0; i < n; ++i) m = p[i] < m ? p[i] : m;
      return m;
    }
  }

  // Reduction of n values `stride` elements apart.
  static A run_strided(const T* p, int64_t stride, int64_t n) {
    A acc = identity();
    for (int64_t i = 0; i < n; ++i) acc = step(acc, static_cast<A>(p[i * stride]));
    return acc;
  }
};

// The coalesced geometry of a reduction; see Note [reduce kernels]. out2 is a second output with
// the same shape as out (the indices of arg_reduce) and may be null.
struct ReducePlan {
  int nk = 0, nr = 0;
  int64_t k_shape[kMaxDims] = {}, k_in[kMaxDims] = {}, k_out[kMaxDims] = {}, k_out2[kMaxDims] = {};
  int64_t r_shape[kMaxDims] = {}, r_in[kMaxDims] = {};
  int64_t kept_numel = 1, red_numel = 1;
  // Accumulate whole rows of outputs (else reduce runs per output); see Note [reduce kernels].
  bool rows = false;

  ReducePlan(const View& in, const View& out, const View* out2) {
    struct Dim {
      int64_t size, in, out, out2;
      bool reduced;
    };
    Dim dims[kMaxDims];
    int n = 0;
    for (int d = 0; d < in.ndim(); ++d) {
      if (in.shape[d] == 1) continue;
      dims[n++] = {in.shape[d], in.strides[d], out.strides[d], out2 ? out2->strides[d] : 0,
                   out.shape[d] == 1};
    }
    // Largest input stride outermost; broadcast (stride 0) dims before all others.
    auto key = [](const Dim& d) { return d.in == 0 ? std::numeric_limits<int64_t>::max() : d.in; };
    std::stable_sort(dims, dims + n, [&](const Dim& a, const Dim& b) { return key(a) > key(b); });
    int m = 0;
    for (int i = 0; i < n; ++i) {
      const Dim& d = dims[i];
      if (m > 0) {
        Dim& prev = dims[m - 1];
        const bool mergeable =
            prev.reduced == d.reduced && prev.in == d.in * d.size &&
            (d.reduced || (prev.out == d.out * d.size && prev.out2 == d.out2 * d.size));
        if (mergeable) {
          prev.size *= d.size;
          prev.in = d.in, prev.out = d.out, prev.out2 = d.out2;
          continue;
        }
      }
      dims[m++] = d;
    }
    for (int i = 0; i < m; ++i) {
      const Dim& d = dims[i];
      if (d.reduced) {
        r_shape[nr] = d.size, r_in[nr++] = d.in;
        red_numel *= d.size;
      } else {
        k_shape[nk] = d.size, k_in[nk] = d.in, k_out[nk] = d.out, k_out2[nk++] = d.out2;
        kept_numel *= d.size;
      }
    }
    // Rows also when the innermost dim is reduced but short: then outputs side by side keep
    // independent accumulators instead of one short dependent chain each.
    rows = nr > 0 && nk > 0 && (!dims[m - 1].reduced || dims[m - 1].size < kShortRun);
  }
};

// Walks a multi-index over `shape[0..ndims)` (row-major) keeping up to three offsets in step.
struct Cursor {
  int ndims = 0;
  const int64_t* shape;
  const int64_t* strides[3];
  int64_t idx[kMaxDims] = {};
  int64_t off[3] = {};

  Cursor(int n, const int64_t* sh, const int64_t* s0, const int64_t* s1, const int64_t* s2,
         int64_t start)
      : ndims(n), shape(sh), strides{s0, s1, s2} {
    for (int d = ndims - 1; d >= 0; --d) {
      idx[d] = start % shape[d];
      start /= shape[d];
      for (int k = 0; k < 3; ++k) off[k] += idx[d] * strides[k][d];
    }
  }

  void next() {
    for (int d = ndims - 1; d >= 0; --d) {
      for (int k = 0; k < 3; ++k) off[k] += strides[k][d];
      if (++idx[d] < shape[d]) return;
      for (int k = 0; k < 3; ++k) off[k] -= idx[d] * strides[k][d];
      idx[d] = 0;
    }
  }
};

// Calls f(offset, count, stride) for runs along the innermost reduced dim that together cover the
// reduced elements [rb, re) (row-major order).
template <typename F>
void for_each_run(const ReducePlan& p, int64_t rb, int64_t re, F&& f) {
  if (p.nr == 0) {
    if (rb < re) f(int64_t{0}, int64_t{1}, int64_t{0});
    return;
  }
  if (rb >= re) return;  // nothing to visit (a reduced dim may have size 0)
  const int outer = p.nr - 1;
  const int64_t n = p.r_shape[outer], s = p.r_in[outer];
  Cursor c(outer, p.r_shape, p.r_in, p.r_in, p.r_in, rb / n);
  int64_t i0 = rb % n;
  for (int64_t r = rb; r < re;) {
    const int64_t count = std::min(n - i0, re - r);
    f(c.off[0] + i0 * s, count, s);
    r += count;
    i0 = 0;
    c.next();
  }
}

template <typename T, ReduceOp Op>
class ReduceKernel {
 public:
  using R = Reducer<T, Op>;
  using A = typename R::A;

  ReduceKernel(const ReducePlan& plan, const T* in) : p_(plan), in_(in) {}

  // Reduces outputs [kb, ke) over reduced elements [rb, re); calls sink(k, out_offset, value)
  // once per output.
  template <typename Sink>
  void compute(int64_t kb, int64_t ke, int64_t rb, int64_t re, Sink&& sink) const {
    if (p_.rows) {
      compute_rows(kb, ke, rb, re, sink);
    } else {
      compute_inner(kb, ke, rb, re, sink);
    }
  }

 private:
  template <typename Sink>
  void compute_inner(int64_t kb, int64_t ke, int64_t rb, int64_t re, Sink& sink) const {
    Cursor c(p_.nk, p_.k_shape, p_.k_in, p_.k_out, p_.k_out, kb);
    for (int64_t k = kb; k < ke; ++k, c.next()) {
      const T* base = in_ + c.off[0];
      A acc = R::identity();
      for_each_run(p_, rb, re, [&](int64_t off, int64_t count, int64_t stride) {
        const T* run = base + off;
        acc = R::step(acc, stride == 1 ? R::run(run, count) : R::run_strided(run, stride, count));
      });
      sink(k, c.off[1], acc);
    }
  }

  // Folds `rows` rows, `stride` apart, of `width` columns (`c_in` apart) into buf.
  static void fold_rows(A* buf, const T* p, int64_t rows, int64_t stride, int64_t width,
                        int64_t c_in) {
    int64_t i = 0;
    if (c_in == 1) {
      for (; i + 4 <= rows; i += 4) {
        const T *r0 = p + i * stride, *r1 = r0 + stride, *r2 = r1 + stride, *r3 = r2 + stride;
        MG_SIMD()
        for (int64_t j = 0; j < width; ++j) {
          buf[j] = R::step(
              R::step(R::step(R::step(buf[j], static_cast<A>(r0[j])), static_cast<A>(r1[j])),
                      static_cast<A>(r2[j])),
              static_cast<A>(r3[j]));
        }
      }
      for (; i < rows; ++i) {
        const T* r0 = p + i * stride;
        MG_SIMD()
        for (int64_t j = 0; j < width; ++j) buf[j] = R::step(buf[j], static_cast<A>(r0[j]));
      }
      return;
    }
    for (; i < rows; ++i) {
      const T* r0 = p + i * stride;
      for (int64_t j = 0; j < width; ++j) buf[j] = R::step(buf[j], static_cast<A>(r0[j * c_in]));
    }
  }

  template <typename Sink>
  void compute_rows(int64_t kb, int64_t ke, int64_t rb, int64_t re, Sink& sink) const {
    const int outer = p_.nk - 1;
    const int64_t cols = p_.k_shape[outer], c_in = p_.k_in[outer], c_out = p_.k_out[outer];
    A buf[kColumns];
    for (int64_t k = kb; k < ke;) {
      const int64_t c_lo = k % cols;
      const int64_t width = std::min({cols - c_lo, ke - k, kColumns});
      const Cursor c(outer, p_.k_shape, p_.k_in, p_.k_out, p_.k_out, k / cols);
      const T* base = in_ + c.off[0] + c_lo * c_in;
      std::fill(buf, buf + width, R::identity());
      for_each_run(p_, rb, re, [&](int64_t off, int64_t count, int64_t stride) {
        fold_rows(buf, base + off, count, stride, width, c_in);
      });
      for (int64_t j = 0; j < width; ++j) sink(k + j, c.off[1] + (c_lo + j) * c_out, buf[j]);
      k += width;
    }
  }

  const ReducePlan& p_;
  const T* in_;
};

template <typename T, ReduceOp Op>
void reduce_typed(const View& in, const View& out) {
  using K = ReduceKernel<T, Op>;
  using A = typename K::A;
  const ReducePlan plan(in, out, nullptr);
  const K kernel(plan, static_cast<const T*>(in.data));
  T* dst = static_cast<T*>(out.data);
  const int64_t kept = plan.kept_numel, red = plan.red_numel;
  if (kept == 0) return;
  auto write = [dst](int64_t, int64_t off, A v) { dst[off] = static_cast<T>(v); };
  const int threads = max_threads();
  if (threads == 1 || kept * red < kParallelThreshold) {
    kernel.compute(0, kept, 0, red, write);
    return;
  }
  // Independent units of work along the outputs: single outputs, or column blocks for rows.
  const int64_t cols = plan.rows ? plan.k_shape[plan.nk - 1] : 1;
  const int64_t units = plan.rows ? kept / cols * ((cols + kColumns - 1) / kColumns) : kept;
  if (units >= 2 * threads || red < 2 * threads) {
    StridedLoop<1>::parallel_range(
        kept, [&](int64_t kb, int64_t ke) { kernel.compute(kb, ke, 0, red, write); });
    return;
  }
  // Few outputs, long reductions: each thread reduces a slice of the reduced elements.
  // (A may be bool, hence no std::vector<A>.)
  const std::unique_ptr<A[]> partials(new A[static_cast<size_t>(threads * kept)]);
  std::fill(partials.get(), partials.get() + threads * kept, Reducer<T, Op>::identity());
  std::vector<int64_t> offsets(static_cast<size_t>(kept));
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
#endif
  {
#ifdef _OPENMP
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
#else
    const int64_t t = 0, nt = 1;
#endif
    A* mine = partials.get() + t * kept;
    kernel.compute(0, kept, red * t / nt, red * (t + 1) / nt, [&](int64_t k, int64_t off, A v) {
      mine[k] = v;
      if (t == 0) offsets[static_cast<size_t>(k)] = off;
    });
  }
  for (int64_t k = 0; k < kept; ++k) {
    A acc = partials[k];
    for (int64_t t = 1; t < threads; ++t) acc = Reducer<T, Op>::step(acc, partials[t * kept + k]);
    dst[offsets[static_cast<size_t>(k)]] = static_cast<T>(acc);
  }
}

template <typename T>
void reduce_dispatch(ReduceOp op, const View& in, const View& out) {
  switch (op) {
    case ReduceOp::Sum:
      return reduce_typed<T, ReduceOp::Sum>(in, out);
    case ReduceOp::Prod:
      return reduce_typed<T, ReduceOp::Prod>(in, out);
    case ReduceOp::Max:
      return reduce_typed<T, ReduceOp::Max>(in, out);
    case ReduceOp::Min:
      return reduce_typed<T, ReduceOp::Min>(in, out);
  }
}

// True when v should replace the current best (NaN wins and stays; ties keep the first).
// Branch-free so that the column loop of arg_reduce vectorises.
template <typename T, bool IsMax>
inline bool better(T v, T best) {
  const bool wins = IsMax ? v > best : v < best;
  if constexpr (std::is_floating_point_v<T>) {
    return (best == best) & ((v != v) | wins);
  } else {
    return wins;
  }
}

template <typename T, bool IsMax>
void arg_reduce_typed(const View& in, int dim, const View& values, const View& indices) {
  const ReducePlan plan(in, values, &indices);
  const T* src = static_cast<const T*>(in.data);
  T* vals = static_cast<T*>(values.data);
  int64_t* idxs = static_cast<int64_t*>(indices.data);
  const int64_t kept = plan.kept_numel;
  const int64_t len = plan.nr ? plan.r_shape[0] : 1, stride = plan.nr ? plan.r_in[0] : 0;
  if (kept == 0) return;
  MG_CHECK(in.shape[dim] > 0, "max/min: reduction dim {} has size 0 (input shape {})", dim,
           shape_str(in.shape));
  using Extremum = Reducer<T, IsMax ? ReduceOp::Max : ReduceOp::Min>;
  auto body = [&](int64_t kb, int64_t ke) {
    if (!plan.rows) {
      Cursor c(plan.nk, plan.k_shape, plan.k_in, plan.k_out, plan.k_out2, kb);
      for (int64_t k = kb; k < ke; ++k, c.next()) {
        const T* p = src + c.off[0];
        T best = p[0];
        int64_t at = 0;
        if (stride == 1 && len >= kShortRun) {
          // Vectorised extremum (NaN-aware), then the first position that holds it.
          best = static_cast<T>(Extremum::run(p, len));
          if constexpr (std::is_floating_point_v<T>) {
            if (best != best) {
              while (p[at] == p[at]) ++at;
            } else {
              while (p[at] != best) ++at;
            }
          } else {
            while (p[at] != best) ++at;
          }
        } else {
          for (int64_t i = 1; i < len; ++i) {
            if (better<T, IsMax>(p[i * stride], best)) best = p[i * stride], at = i;
          }
        }
        vals[c.off[1]] = best;
        idxs[c.off[2]] = at;
      }
      return;
    }
    // Rows: a block of columns scans the reduced dim together.
    const int outer = plan.nk - 1;
    const int64_t cols = plan.k_shape[outer], c_in = plan.k_in[outer];
    const int64_t c_out = plan.k_out[outer], c_out2 = plan.k_out2[outer];
    T best[kColumns];
    int64_t at[kColumns];
    for (int64_t k = kb; k < ke;) {
      const int64_t c_lo = k % cols;
      const int64_t width = std::min({cols - c_lo, ke - k, kColumns});
      const Cursor c(outer, plan.k_shape, plan.k_in, plan.k_out, plan.k_out2, k / cols);
      const T* base = src + c.off[0] + c_lo * c_in;
      for (int64_t j = 0; j < width; ++j) best[j] = base[j * c_in], at[j] = 0;
      for (int64_t i = 1; i < len; ++i) {
        const T* row = base + i * stride;
        if (c_in == 1) {
          MG_SIMD()
          for (int64_t j = 0; j < width; ++j) {
            const T v = row[j];
            const bool take = better<T, IsMax>(v, best[j]);
            best[j] = take ? v : best[j];
            at[j] = take ? i : at[j];
          }
        } else {
          for (int64_t j = 0; j < width; ++j) {
            const T v = row[j * c_in];
            const bool take = better<T, IsMax>(v, best[j]);
            best[j] = take ? v : best[j];
            at[j] = take ? i : at[j];
          }
        }
      }
      for (int64_t j = 0; j < width; ++j) {
        vals[c.off[1] + (c_lo + j) * c_out] = best[j];
        idxs[c.off[2] + (c_lo + j) * c_out2] = at[j];
      }
      k += width;
    }
  };
  if (max_threads() > 1 && kept * len >= kParallelThreshold && kept > 1) {
    StridedLoop<1>::parallel_range(kept, body);
  } else {
    body(0, kept);
  }
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const View& in, const View& out) {
  switch (in.dtype) {
    case DType::Float32:
      return reduce_dispatch<float>(op, in, out);
    case DType::Float64:
      return reduce_dispatch<double>(op, in, out);
    case DType::Int64:
      return reduce_dispatch<int64_t>(op, in, out);
    case DType::Bool:
      // any / all.
      MG_CHECK(op == ReduceOp::Max || op == ReduceOp::Min,
               "reduce: sum/prod of a bool tensor needs an int64 conversion first");
      return op == ReduceOp::Max ? reduce_typed<bool, ReduceOp::Max>(in, out)
                                 : reduce_typed<bool, ReduceOp::Min>(in, out);
  }
}

void CpuBackend::arg_reduce(bool is_max, const View& in, int dim, const View& out_values,
                            const View& out_indices) {
  MG_DISPATCH_ALL(in.dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) {
      MG_FAIL("max/min: not supported for bool tensors; convert with .to(kInt64)");
    } else if (is_max) {
      arg_reduce_typed<T, true>(in, dim, out_values, out_indices);
    } else {
      arg_reduce_typed<T, false>(in, dim, out_values, out_indices);
    }
  });
}

}  // namespace metagrad::cpu
