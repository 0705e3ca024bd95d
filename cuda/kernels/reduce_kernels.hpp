#pragma once

// KernelBackend::reduce and arg_reduce, and the staged reduction they share with the batch-norm
// kernels (norm_kernels.hpp).
//
// Note [staged reduction]
// A reduction is planned once per call (ReducePlan): size-1 dims are dropped, the rest ordered by
// the first input's stride (largest first, broadcast dims outermost) and neighbours of one kind
// (kept or reduced) merged where every operand is contiguous across them. Without shared memory,
// each output's reduced elements are split into `chunks` interleaved pieces: thread (k, c)
// combines elements c, c + chunks, c + 2 chunks, ... of output k into a partial, so that adjacent
// threads read adjacent elements when the reduced dims are innermost ("inner" layout, threads
// k-major) and adjacent outputs' elements when a kept dim is innermost ("outer" layout, threads
// chunk-major). The partials, an array [kept, chunks] (inner) or [chunks, kept] (outer), are then
// reduced again the same way until one thread per output suffices (chunks = 1), which writes the
// output. Every combination happens in a fixed order, so results do not depend on thread order.
// The stages are generic over three policies:
//   - a Reduction R: `Acc` (the accumulator: double for floats, int64 for int64 and bool, a
//     pair for the batch-norm gradient sums, (value, index) for arg_reduce), MG_HD identity()
//     and combine(a, b), associative and commutative where it matters (arg_reduce breaks ties
//     by index, which makes it so);
//   - a Load: MG_HD Acc operator()(k, e, off0, off1): the accumulator of reduced element e of
//     output k, at element offsets off0/off1 of the (up to two) inputs;
//   - a Store: MG_HD void operator()(i, k, out_offsets, acc): writes the result of thread i,
//     output k (out_offsets: k's offsets in the (up to two) outputs).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "cuda/kernel_backend.hpp"

namespace metagrad {
namespace kernels {

/// The coalesced geometry of a reduction (Note [staged reduction]): kept dims (sizes, strides in
/// up to two inputs and two outputs) and reduced dims (sizes, strides in the inputs), outermost
/// first.
struct ReducePlan {
  int nk = 0, nr = 0;
  int64_t kept = 1, red = 1;
  int64_t k_size[kMaxDims] = {};
  int64_t k_in[2][kMaxDims] = {};
  int64_t k_out[2][kMaxDims] = {};
  int64_t r_size[kMaxDims] = {};
  int64_t r_in[2][kMaxDims] = {};
  /// The innermost input dim is reduced.
  bool inner = true;

  /// The offsets of output k's first reduced element in the inputs and of k in the outputs.
  MG_HD void kept_offsets(int64_t k, int64_t (&in)[2], int64_t (&out)[2]) const {
    in[0] = in[1] = out[0] = out[1] = 0;
    for (int d = nk - 1; d >= 0; --d) {
      const int64_t i = k % k_size[d];
      k /= k_size[d];
      in[0] += i * k_in[0][d];
      in[1] += i * k_in[1][d];
      out[0] += i * k_out[0][d];
      out[1] += i * k_out[1][d];
    }
  }
};

/// The plan of reducing in0 (and in1, same shape; may be null) into out0 (and out1, same shape;
/// may be null): out0 has in0's ndim with size 1 in each reduced dim.
inline ReducePlan make_reduce_plan(const View& in0, const View* in1, const View& out0,
                                   const View* out1) {
  struct Dim {
    int64_t size, in0, in1, out0, out1;
    bool reduced;
  };
  Dim dims[kMaxDims];
  int n = 0;
  for (int d = 0; d < in0.ndim(); ++d) {
    if (in0.shape[d] == 1) continue;
    dims[n++] = {in0.shape[d],
                 in0.strides[d],
                 in1 ? in1->strides[d] : 0,
                 out0.strides[d],
                 out1 ? out1->strides[d] : 0,
                 out0.shape[d] == 1};
  }
  auto key = [](const Dim& d) { return d.in0 == 0 ? std::numeric_limits<int64_t>::max() : d.in0; };
  std::stable_sort(dims, dims + n, [&](const Dim& a, const Dim& b) { return key(a) > key(b); });
  int m = 0;
  for (int i = 0; i < n; ++i) {
    const Dim& d = dims[i];
    if (m > 0) {
      Dim& prev = dims[m - 1];
      const bool mergeable =
          prev.reduced == d.reduced && prev.in0 == d.in0 * d.size && prev.in1 == d.in1 * d.size &&
          (d.reduced || (prev.out0 == d.out0 * d.size && prev.out1 == d.out1 * d.size));
      if (mergeable) {
        prev.size *= d.size;
        prev.in0 = d.in0, prev.in1 = d.in1, prev.out0 = d.out0, prev.out1 = d.out1;
        continue;
      }
    }
    dims[m++] = d;
  }
  ReducePlan p;
  for (int i = 0; i < m; ++i) {
    const Dim& d = dims[i];
    if (d.reduced) {
      p.r_size[p.nr] = d.size, p.r_in[0][p.nr] = d.in0, p.r_in[1][p.nr] = d.in1;
      p.red *= d.size;
      ++p.nr;
    } else {
      p.k_size[p.nk] = d.size, p.k_in[0][p.nk] = d.in0, p.k_in[1][p.nk] = d.in1;
      p.k_out[0][p.nk] = d.out0, p.k_out[1][p.nk] = d.out1;
      p.kept *= d.size;
      ++p.nk;
    }
  }
  p.inner = m == 0 || dims[m - 1].reduced;
  return p;
}

/// Thread i of a stage: combines reduced elements c, c + chunks, ... of output k (Note [staged
/// reduction]) and stores the result.
template <class R, class Load, class Store>
struct ReduceStage {
  ReducePlan p;
  R r;
  Load load;
  Store store;
  int64_t chunks = 1;
  // `chunks` as a multi-index over the reduced dims (the step between a thread's elements).
  int64_t step[kMaxDims] = {};

  MG_HD void operator()(int64_t i) const {
    int64_t k, c;
    if (p.inner) {
      k = i / chunks;
      c = i - k * chunks;
    } else {
      c = i / p.kept;
      k = i - c * p.kept;
    }
    int64_t in[2], out[2];
    p.kept_offsets(k, in, out);
    typename R::Acc acc = r.identity();
    if (p.nr <= 1) {
      const int64_t s0 = p.nr ? p.r_in[0][0] : 0, s1 = p.nr ? p.r_in[1][0] : 0;
      for (int64_t e = c; e < p.red; e += chunks)
        acc = r.combine(acc, load(k, e, in[0] + e * s0, in[1] + e * s1));
    } else if (p.nr == 2 && c < p.red) {
      acc = combine_two_dims(k, c, in, acc);
    } else if (c < p.red) {
      // A multi-index indexed at run time: nvcc keeps it in local memory (96 bytes of stack).
      int64_t idx[kMaxDims];
      int64_t off0 = in[0], off1 = in[1], rest = c;
      for (int d = p.nr - 1; d >= 0; --d) {
        idx[d] = rest % p.r_size[d];
        rest /= p.r_size[d];
        off0 += idx[d] * p.r_in[0][d];
        off1 += idx[d] * p.r_in[1][d];
      }
      for (int64_t e = c; e < p.red; e += chunks) {
        acc = r.combine(acc, load(k, e, off0, off1));
        // Mixed-radix add of `step`, keeping the offsets in step.
        int64_t carry = 0;
        for (int d = p.nr - 1; d >= 0; --d) {
          const int64_t add = step[d] + carry;
          idx[d] += add;
          off0 += add * p.r_in[0][d];
          off1 += add * p.r_in[1][d];
          carry = idx[d] >= p.r_size[d];
          if (carry) {
            idx[d] -= p.r_size[d];
            off0 -= p.r_size[d] * p.r_in[0][d];
            off1 -= p.r_size[d] * p.r_in[1][d];
          }
        }
      }
    }
    store(i, k, out, acc);
  }

  // The loop over two reduced dims (batch norm's N and S around its channel dim) with the
  // multi-index in registers: ptxas gives the general loop's array 96 bytes of stack per thread
  // (local memory, read and written for every element). Element e = i0 * size1 + i1; stepping
  // e by `chunks` adds step[1] to i1 (step[1] < size1, so at most one wrap) and step[0] plus the
  // wrap's carry to i0, whose own wrap only happens once e has passed the end.
  MG_HD typename R::Acc combine_two_dims(int64_t k, int64_t c, const int64_t (&in)[2],
                                         typename R::Acc acc) const {
    const int64_t size1 = p.r_size[1];
    int64_t i1 = c % size1;
    int64_t off0 = in[0] + (c / size1) * p.r_in[0][0] + i1 * p.r_in[0][1];
    int64_t off1 = in[1] + (c / size1) * p.r_in[1][0] + i1 * p.r_in[1][1];
    const int64_t advance0 = step[0] * p.r_in[0][0] + step[1] * p.r_in[0][1];
    const int64_t advance1 = step[0] * p.r_in[1][0] + step[1] * p.r_in[1][1];
    const int64_t wrap0 = p.r_in[0][0] - size1 * p.r_in[0][1];
    const int64_t wrap1 = p.r_in[1][0] - size1 * p.r_in[1][1];
    for (int64_t e = c; e < p.red; e += chunks) {
      acc = r.combine(acc, load(k, e, off0, off1));
      i1 += step[1];
      off0 += advance0;
      off1 += advance1;
      if (i1 >= size1) {
        i1 -= size1;
        off0 += wrap0;
        off1 += wrap1;
      }
    }
    return acc;
  }
};

/// Loads a partial: the accumulator at off0 of an array of them.
template <typename Acc>
struct PartialLoad {
  const Acc* src;
  MG_HD Acc operator()(int64_t, int64_t, int64_t off0, int64_t) const { return src[off0]; }
};

/// Stores thread i's partial at index i.
template <typename Acc>
struct PartialStore {
  Acc* dst;
  MG_HD void operator()(int64_t i, int64_t, const int64_t (&)[2], const Acc& acc) const {
    dst[i] = acc;
  }
};

/// Threads that keep a GPU busy, and the fewest elements one thread of a split reduction reads.
inline constexpr int64_t kReduceThreads = int64_t{1} << 17;
inline constexpr int64_t kMinPerThread = 16;

/// The number of interleaved pieces each of `kept` outputs' `red` elements is split into.
inline int64_t reduce_chunks(int64_t kept, int64_t red, bool inner) {
  if (red < 2 * kMinPerThread) return 1;
  int64_t chunks = (kReduceThreads + kept - 1) / kept;
  // Inner layout: 32 threads (a warp) share an output and read 32 adjacent elements, unless
  // there are so many outputs that one thread each keeps the GPU busy (and the partials small).
  if (inner && red >= 32 * kMinPerThread && kept <= kReduceThreads / 8)
    chunks = std::max<int64_t>(chunks, 32);
  return std::max<int64_t>(1, std::min(chunks, red / kMinPerThread));
}

/// Runs the reduction planned by `p` (Note [staged reduction]) on `backend`'s executor.
template <class R, class Load, class Store, class KB>
void staged_reduce(KB& backend, const ReducePlan& p, const R& r, const Load& load,
                   const Store& store) {
  using Acc = typename R::Acc;
  if (p.kept == 0) return;
  const int64_t chunks = reduce_chunks(p.kept, p.red, p.inner);
  if (chunks == 1) {
    ReduceStage<R, Load, Store> stage{p, r, load, store, 1, {}};
    if (p.nr > 0) stage.step[p.nr - 1] = 1;
    backend.executor().for_each(p.kept, stage);
    return;
  }
  ReduceStage<R, Load, PartialStore<Acc>> stage{p, r, load, {}, chunks, {}};
  int64_t rest = chunks;
  for (int d = p.nr - 1; d >= 0; --d) {
    stage.step[d] = rest % p.r_size[d];
    rest /= p.r_size[d];
  }
  ScratchBuffer partials = backend.scratch(static_cast<size_t>(p.kept * chunks) * sizeof(Acc));
  stage.store = PartialStore<Acc>{partials.template as<Acc>()};
  backend.executor().for_each(p.kept * chunks, stage);
  // The partials as the input of the next stage: kept dims as before (contiguous, times chunks
  // in the inner layout), one reduced dim of `chunks`.
  ReducePlan next;
  next.nk = p.nk;
  next.kept = p.kept;
  next.nr = 1;
  next.red = chunks;
  next.inner = p.inner;
  int64_t stride = p.inner ? chunks : 1;
  for (int d = p.nk - 1; d >= 0; --d) {
    next.k_size[d] = p.k_size[d];
    next.k_in[0][d] = stride;
    next.k_out[0][d] = p.k_out[0][d];
    next.k_out[1][d] = p.k_out[1][d];
    stride *= p.k_size[d];
  }
  next.r_size[0] = chunks;
  next.r_in[0][0] = p.inner ? 1 : p.kept;
  staged_reduce(backend, next, r, PartialLoad<Acc>{partials.template as<Acc>()}, store);
}

/// Sum, in Acc.
template <typename A>
struct SumReduction {
  using Acc = A;
  MG_HD Acc identity() const { return Acc(0); }
  MG_HD Acc combine(Acc a, Acc b) const { return a + b; }
};

/// Product, in Acc.
template <typename A>
struct ProdReduction {
  using Acc = A;
  MG_HD Acc identity() const { return Acc(1); }
  MG_HD Acc combine(Acc a, Acc b) const { return a * b; }
};

/// Max (IsMax) or min, propagating NaN; `init` is the identity (∓inf, or the int64 limit).
template <typename A, bool IsMax>
struct ExtremumReduction {
  using Acc = A;
  A init;
  MG_HD Acc identity() const { return init; }
  MG_HD Acc combine(Acc a, Acc b) const {
    const bool wins = IsMax ? b > a : b < a;
    if constexpr (std::is_floating_point_v<A>) {
      return (wins || b != b) ? b : a;
    } else {
      return wins ? b : a;
    }
  }
};

/// Loads an input element converted to the accumulator.
template <typename T, typename A>
struct ValueLoad {
  const T* src;
  MG_HD A operator()(int64_t, int64_t, int64_t off0, int64_t) const {
    return static_cast<A>(src[off0]);
  }
};

/// Writes the accumulator, converted to T, at output k.
template <typename T, typename A>
struct CastStore {
  T* dst;
  MG_HD void operator()(int64_t, int64_t, const int64_t (&out)[2], const A& acc) const {
    dst[out[0]] = static_cast<T>(acc);
  }
};

/// A candidate of arg_reduce: a value and its position along the reduced dim.
template <typename T>
struct ArgCandidate {
  T value;
  int64_t index;
};

/// The max (IsMax) or min with its index: NaN wins, ties (and NaNs) keep the smallest index, so
/// the result is the first extremum whatever order candidates are combined in. `init` is the
/// identity's value (∓inf, or the int64 limit), at index INT64_MAX.
template <typename T, bool IsMax>
struct ArgReduction {
  using Acc = ArgCandidate<T>;
  T init;
  MG_HD Acc identity() const { return Acc{init, INT64_MAX}; }
  MG_HD Acc combine(Acc a, Acc b) const {
    bool take;
    if constexpr (std::is_floating_point_v<T>) {
      const bool a_nan = a.value != a.value, b_nan = b.value != b.value;
      const bool wins = IsMax ? b.value > a.value : b.value < a.value;
      const bool tie = (a_nan && b_nan) || b.value == a.value;
      take = (!a_nan && (b_nan || wins)) || (tie && b.index < a.index);
    } else {
      const bool wins = IsMax ? b.value > a.value : b.value < a.value;
      take = wins || (b.value == a.value && b.index < a.index);
    }
    return take ? b : a;
  }
};

/// Loads an input element as a candidate at its position e along the reduced dim.
template <typename T>
struct ArgLoad {
  const T* src;
  MG_HD ArgCandidate<T> operator()(int64_t, int64_t e, int64_t off0, int64_t) const {
    return ArgCandidate<T>{src[off0], e};
  }
};

/// Writes the value at out0 and the index at out1 of output k.
template <typename T>
struct ArgStore {
  T* values;
  int64_t* indices;
  MG_HD void operator()(int64_t, int64_t, const int64_t (&out)[2],
                        const ArgCandidate<T>& acc) const {
    values[out[0]] = acc.value;
    indices[out[1]] = acc.index;
  }
};

/// The identity of max (IsMax) or min for T: -inf/+inf, or T's limits.
template <typename T>
T extremum_identity(bool is_max) {
  if constexpr (std::is_floating_point_v<T>)
    return is_max ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
  else
    return is_max ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
}

}  // namespace kernels

template <typename Executor>
void KernelBackend<Executor>::reduce(ReduceOp op, const View& in, const View& out) {
  using namespace kernels;
  if (in.dtype == DType::Bool)
    MG_CHECK(op == ReduceOp::Max || op == ReduceOp::Min,
             "reduce: sum/prod of a bool tensor needs an int64 conversion first");
  const ReducePlan plan = make_reduce_plan(in, nullptr, out, nullptr);
  dispatch_all(in.dtype, [&](auto tag) {
    using T = decltype(tag);
    // Accumulators: double for floats, int64 for int64 and bool (max/min: any/all).
    using A = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
    const ValueLoad<T, A> load{static_cast<const T*>(in.data)};
    const CastStore<T, A> store{static_cast<T*>(out.data)};
    // any() of nothing is false, all() of nothing true.
    auto init = [](bool is_max) {
      return std::is_same_v<T, bool> ? A(!is_max) : extremum_identity<A>(is_max);
    };
    switch (op) {
      case ReduceOp::Sum:
        return staged_reduce(*this, plan, SumReduction<A>{}, load, store);
      case ReduceOp::Prod:
        return staged_reduce(*this, plan, ProdReduction<A>{}, load, store);
      case ReduceOp::Max:
        return staged_reduce(*this, plan, ExtremumReduction<A, true>{init(true)}, load, store);
      case ReduceOp::Min:
        return staged_reduce(*this, plan, ExtremumReduction<A, false>{init(false)}, load, store);
    }
  });
}

template <typename Executor>
void KernelBackend<Executor>::arg_reduce(bool is_max, const View& in, int dim,
                                         const View& out_values, const View& out_indices) {
  using namespace kernels;
  MG_CHECK(in.dtype != DType::Bool,
           "max/min: not supported for bool tensors; convert with .to(kInt64)");
  const ReducePlan plan = make_reduce_plan(in, nullptr, out_values, &out_indices);
  if (plan.kept == 0) return;
  MG_CHECK(in.shape[dim] > 0, "max/min: reduction dim {} has size 0 (input shape {})", dim,
           shape_str(in.shape));
  dispatch_all(in.dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (!std::is_same_v<T, bool>) {
      const ArgLoad<T> load{static_cast<const T*>(in.data)};
      const ArgStore<T> store{static_cast<T*>(out_values.data),
                              static_cast<int64_t*>(out_indices.data)};
      if (is_max) {
        staged_reduce(*this, plan, ArgReduction<T, true>{extremum_identity<T>(true)}, load, store);
      } else {
        staged_reduce(*this, plan, ArgReduction<T, false>{extremum_identity<T>(false)}, load,
                      store);
      }
    }
  });
}

}  // namespace metagrad
