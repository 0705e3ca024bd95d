#pragma once

// KernelBackend's index entries: gather, scatter_add, index_select, index_add (semantics: Note
// [index kernels] in engine/backend/cpu/cpu_index.cpp). Each is one thread per element of its
// iteration shape (index's for gather/scatter_add, out's for index_select, src's for index_add),
// walking three views together with an Indexer: the data view, the indexed view with the stride
// of `dim` set to 0 (the index value supplies that coordinate), and the index (for index_select
// and index_add the 1-D index broadcast over the other dims). A bad index is reported from inside
// the kernel and thrown with the CPU's message after the launch. The adds use atomics: repeated
// indices make several threads add into one element.
#include "cuda/kernel_backend.hpp"

namespace metagrad {
namespace kernels {

/// Reads in[off + index * step] into out: gather and index_select.
template <typename T>
struct IndexedRead {
  T* out;
  const T* in;
  const int64_t* index;
  Indexer<3> ix;  // out, in without dim, index
  int64_t step, size, dim;
  KernelError* error;

  MG_HD void operator()(int64_t i) const {
    int64_t off[3];
    ix.offsets(i, off);
    const int64_t v = index[off[2]];
    if (v < 0 || v >= size) {
      report_error(error, kIndexOutOfBounds, v, dim, size);
      return;
    }
    out[off[0]] = in[off[1] + v * step];
  }
};

/// Adds src into out[off + index * step] (bool: logical or): scatter_add and index_add.
template <typename T>
struct IndexedAdd {
  T* out;
  const T* src;
  const int64_t* index;
  Indexer<3> ix;  // out without dim, src, index
  int64_t step, size, dim;
  KernelError* error;

  MG_HD void operator()(int64_t i) const {
    int64_t off[3];
    ix.offsets(i, off);
    const int64_t v = index[off[2]];
    if (v < 0 || v >= size) {
      report_error(error, kIndexOutOfBounds, v, dim, size);
      return;
    }
    T* target = out + off[0] + v * step;
    if constexpr (std::is_same_v<T, bool>) {
      if (src[off[1]]) *target = true;  // every writer stores the same value
    } else {
      atomic_add(target, src[off[1]]);
    }
  }
};

/// Checks index values only, for a launch with nothing to compute but an index to validate.
struct IndexCheck {
  const int64_t* index;
  Indexer<1> ix;
  int64_t size, dim;
  KernelError* error;

  MG_HD void operator()(int64_t i) const {
    int64_t off[1];
    ix.offsets(i, off);
    const int64_t v = index[off[0]];
    if (v < 0 || v >= size) report_error(error, kIndexOutOfBounds, v, dim, size);
  }
};

/// `v` seen with `shape`, its stride along `dim` replaced by `dim_stride`.
inline View with_dim_stride(const View& v, const Dims& shape, int dim, int64_t dim_stride) {
  View r{v.data, v.dtype, shape, v.strides};
  r.strides[dim] = dim_stride;
  return r;
}

/// The 1-D `index` broadcast to `shape` along `dim` (stride 0 elsewhere).
inline View index_along(const View& index, const Dims& shape, int dim) {
  View r{index.data, index.dtype, shape, Dims(shape.size(), 0)};
  r.strides[dim] = index.strides[0];
  return r;
}

inline void check_index_dtype(const View& index, const char* op) {
  MG_CHECK(index.dtype == DType::Int64, "{}: index must be int64, got {}", op,
           dtype_name(index.dtype));
}

/// The three views walked together, of views[0]'s shape.
inline Indexer<3> indexer_of(const View& a, const View& b, const View& c) {
  const View* const views[3] = {&a, &b, &c};
  return make_indexer(views);
}

}  // namespace kernels

namespace detail {

// Launches IndexedRead over out's elements: out = data[place + index * step].
template <typename Executor>
void launch_indexed_read(Executor& executor, const View& out, const View& data, const View& index,
                         int64_t step, int64_t size, int dim, kernels::KernelError* slot) {
  const kernels::Indexer<3> ix = kernels::indexer_of(out, data, index);
  kernels::dispatch_all(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    executor.for_each(out.numel(), kernels::IndexedRead<T>{static_cast<T*>(out.data),
                                                           static_cast<const T*>(data.data),
                                                           static_cast<const int64_t*>(index.data),
                                                           ix, step, size, dim, slot});
  });
}

// Launches IndexedAdd over src's elements: out[place + index * step] += src.
template <typename Executor>
void launch_indexed_add(Executor& executor, const View& out, const View& src, const View& index,
                        int64_t step, int64_t size, int dim, kernels::KernelError* slot) {
  const kernels::Indexer<3> ix = kernels::indexer_of(out, src, index);
  kernels::dispatch_all(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    executor.for_each(
        src.numel(),
        kernels::IndexedAdd<T>{static_cast<T*>(out.data), static_cast<const T*>(src.data),
                               static_cast<const int64_t*>(index.data), ix, step, size, dim, slot});
  });
}

// Validates every value of `index` when the iteration itself is empty (as the CPU does).
template <typename Executor>
void launch_index_check(Executor& executor, const View& index, int64_t size, int dim,
                        kernels::KernelError* slot) {
  const View* const views[1] = {&index};
  executor.for_each(index.numel(),
                    kernels::IndexCheck{static_cast<const int64_t*>(index.data),
                                        kernels::make_indexer(views), size, dim, slot});
}

}  // namespace detail

template <typename Executor>
void KernelBackend<Executor>::gather(const View& in, int dim, const View& index, const View& out) {
  kernels::check_index_dtype(index, "gather");
  kernels::KernelError* slot = error_slot_for("gather");
  const View data = kernels::with_dim_stride(in, index.shape, dim, 0);
  detail::launch_indexed_read(executor_, out, data, index, in.strides[dim], in.shape[dim], dim,
                              slot);
}

template <typename Executor>
void KernelBackend<Executor>::scatter_add(const View& out, int dim, const View& index,
                                          const View& src) {
  kernels::check_index_dtype(index, "scatter_add");
  kernels::KernelError* slot = error_slot_for("scatter_add");
  const View target = kernels::with_dim_stride(out, index.shape, dim, 0);
  const View source{src.data, src.dtype, index.shape, src.strides};
  detail::launch_indexed_add(executor_, target, source, index, out.strides[dim], out.shape[dim],
                             dim, slot);
}

template <typename Executor>
void KernelBackend<Executor>::index_select(const View& in, int dim, const View& index,
                                           const View& out) {
  kernels::check_index_dtype(index, "index_select");
  kernels::KernelError* slot = error_slot_for("index_select");
  if (out.numel() == 0) {
    detail::launch_index_check(executor_, index, in.shape[dim], dim, slot);
  } else {
    const View data = kernels::with_dim_stride(in, out.shape, dim, 0);
    const View idx = kernels::index_along(index, out.shape, dim);
    detail::launch_indexed_read(executor_, out, data, idx, in.strides[dim], in.shape[dim], dim,
                                slot);
  }
}

template <typename Executor>
void KernelBackend<Executor>::index_add(const View& out, int dim, const View& index,
                                        const View& src) {
  kernels::check_index_dtype(index, "index_add");
  kernels::KernelError* slot = error_slot_for("index_add");
  if (src.numel() == 0) {
    detail::launch_index_check(executor_, index, out.shape[dim], dim, slot);
  } else {
    const View target = kernels::with_dim_stride(out, src.shape, dim, 0);
    const View idx = kernels::index_along(index, src.shape, dim);
    detail::launch_indexed_add(executor_, target, src, idx, out.strides[dim], out.shape[dim], dim,
                               slot);
  }
}

}  // namespace metagrad
