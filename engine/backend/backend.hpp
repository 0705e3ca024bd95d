#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/backend/norm_coefficients.hpp"
#include "engine/device.hpp"
#include "engine/dtype.hpp"
#include "engine/memory_stats.hpp"
#include "engine/shape.hpp"

// Note [backend contract]
// Backends see raw strided views only — never Tensor, Node or autograd. Strides are in elements
// and may be 0 (broadcast) or negative-free arbitrary (permuted, sliced). Output views passed to a
// kernel never overlap an input view unless the op says so (in-place ops pass out == a). Kernels
// are templated on the scalar type; float32/float64 are supported everywhere, int64/bool where an
// op makes sense for them (copy, fill, comparisons, index ops).
//
// Why each entry exists (the interface stays small: a new entry needs a reason of this kind):
// - fill, copy, unary, binary, where, reduce: the kinds every elementwise op and reduction is built
//   from; copy also moves bytes between devices (the non-CPU backend does it).
// - matmul: GEMM is where the FLOPs are; it goes to Eigen or cuBLAS.
// - gather/scatter_add, index_select/index_add, unfold/fold: the adjoint pairs of DESIGN §3 from
//   which indexing, embedding, losses, conv2d (unfold + matmul) and pooling are composed.
// - cumsum: prefix sums along a dim and, with `reverse`, suffix sums, which are their adjoint
//   (DESIGN §3's pairs: cumsum's backward is the reverse cumsum and vice versa). No composition of
//   the other entries gives them in linear time and memory (a triangular matmul is quadratic).
// - arg_reduce, max_pool2d_indices, sort_indices: they produce indices, which have no gradient;
//   the values are then taken with gather, whose backward is scatter_add (sort_indices gives
//   sort, argsort, topk, kthvalue, median and quantile, none of which a composition of the other
//   entries orders in less than quadratic work).
// - channel_moments, channel_grad_sums, channel_affine: batch norm's statistics and affine map in
//   two passes over [N, C, S] instead of about ten ops (Note [batch-norm kernels]).
// - channel_coefficients: the per-channel vectors between those passes, one call instead of up to
//   45 tiny ops, each a launch on a GPU (Note [batch-norm coefficients]).
// - lu_solve: the dense solves of implicit differentiation (linalg::solve, solve_inv).
// - decompose, triangular_solve: the LAPACK calls under torch.linalg (LU, Cholesky, symmetric
//   eigendecomposition, QR, SVD; triangular solves). Each is sequential, pivoted or iterative work
//   that no composition of the elementwise and GEMM entries gives; everything else in linalg
//   (inverses, determinants, Cholesky solves, the backwards) is composed from them and matmul.
// - random: one counter-based generator, so a seed draws the same numbers on every backend.
// - adam_forward, adam_backward: the fused Adam step (see their comment). adam_forward can also
//   add the scaled step to the parameters (AdamForwardSlot::param): a classic optimizer's step is
//   then one pass of 28 bytes per float32 element (read g, p, mu, nu; write p, mu, nu) instead of
//   44 (the fused pass writing u, then u *= -lr and p += u), and it is memory-bound.
// - synchronize, memory_stats, empty_cache, reset_peak_memory_stats: a device's queue and
//   allocator, as torch.cuda exposes them (no-ops on the CPU).

namespace metagrad {

/// A raw strided view: what kernels operate on.
struct View {
  void* data = nullptr;
  DType dtype = DType::Float32;
  Dims shape;
  Dims strides;

  /// The number of dims, and of elements.
  int ndim() const { return shape.size(); }
  int64_t numel() const { return numel_of(shape); }
};

/// The elementwise ops of Backend::unary (out = op(x), with UnaryParams for the parametrised ones).
enum class UnaryOp : uint8_t {
  Neg,
  Abs,
  Sign,
  Exp,
  Log,
  Log1p,
  Sqrt,
  Rsqrt,
  Square,
  Sin,
  Cos,
  Tanh,
  Sigmoid,
  Relu,
  /// out = clamp(x, alpha, beta), alpha/beta may be ±inf when absent.
  Clamp,
  /// out = x ^ alpha (scalar exponent).
  PowScalar,
  /// out = alpha ^ x (scalar base).
  ScalarPow,
  /// NaN -> alpha, +inf -> beta, -inf -> gamma.
  NanToNum,
  /// The error function, 2/sqrt(pi) * integral of exp(-t^2) from 0 to x (GELU needs it).
  Erf,
  /// e^x - 1, accurate near 0 (ELU and SELU need it).
  Expm1,
  /// Rounding to an integral value: toward -inf, toward +inf, to nearest with ties to even
  /// (PyTorch's round), toward 0.
  Floor,
  Ceil,
  Round,
  Trunc,
  // Trigonometric and hyperbolic functions and their inverses (torch.tan ... torch.atanh).
  Tan,
  Asin,
  Acos,
  Atan,
  Sinh,
  Cosh,
  Asinh,
  Acosh,
  Atanh,
  Log2,
  Log10,
  /// 1 - erf(x), accurate where erf(x) is near 1.
  Erfc,
  /// The inverse of erf on [-1, 1].
  Erfinv,
  /// log |Gamma(x)|.
  Lgamma,
  /// psi(x) = Gamma'(x) / Gamma(x), the derivative of lgamma.
  Digamma,
  /// The alpha-th derivative of digamma (alpha a whole number; 0 is digamma): lgamma's
  /// derivatives of every order need the whole family.
  Polygamma,
  /// The modified Bessel functions of the first kind I0 and I1, and e^-|x| times each.
  I0,
  I0e,
  I1,
  I1e,
  /// The modified Bessel functions of the second kind K0 and K1 (x >= 0), and e^x times each.
  K0,
  K0e,
  K1,
  K1e,
  /// The Bessel functions of the first kind J0, J1 and of the second kind Y0, Y1 (x >= 0).
  J0,
  J1,
  Y0,
  Y1,
  /// e^(x^2) erfc(x), finite where erfc(x) underflows.
  Erfcx,
  /// The standard normal quantile: the x with Phi(x) = p.
  Ndtri,
  /// log(1 + e^x) = max(x, 0) + log1p(e^-|x|), without overflow: softplus, log_sigmoid and the
  /// logistic losses in one pass where their compositions made a dozen.
  Softplus,
  /// gelu(x) = x Phi(x), Phi the standard normal CDF, and its derivative Phi(x) + x phi(x): the
  /// exact (erf) gelu in one pass each way where its composition made a dozen.
  Gelu,
  GeluDerivative,
  /// elu(x) = x for x > 0, alpha (e^x - 1) otherwise, and its derivative 1 for x > 0, alpha e^x
  /// otherwise (alpha at 0, as PyTorch's): alpha in UnaryParams::alpha.
  Elu,
  EluDerivative,
  LogicalNot,
};

/// The elementwise ops of Backend::binary (out = op(a, b), operands broadcast to out's shape).
enum class BinaryOp : uint8_t {
  Add,
  Sub,
  Mul,
  Div,
  Pow,
  Maximum,
  Minimum,
  /// The angle of the point (b, a): atan(a / b) in the quadrant of (b, a).
  Atan2,
  /// a - b floor(a / b): the sign of b, as Python's % (torch.remainder).
  Remainder,
  /// a - b trunc(a / b): the sign of a, as C's fmod (torch.fmod).
  Fmod,
  /// sqrt(a^2 + b^2) without overflow or underflow in the squares.
  Hypot,
  /// P(a, x), the regularized lower incomplete gamma function (torch.special.gammainc).
  Igamma,
  /// Q(a, x) = 1 - P(a, x), the regularized upper one (torch.special.gammaincc).
  Igammac,
  /// The Hurwitz zeta function zeta(a, b) = sum_{k>=0} (b + k)^-a (torch.special.zeta).
  Zeta,
  // Comparisons and logic: output dtype is bool.
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  LogicalAnd,
  LogicalOr,
  LogicalXor,
};

/// True for binary ops whose result is bool.
constexpr bool is_predicate(BinaryOp op) { return op >= BinaryOp::Eq; }

/// The reductions of Backend::reduce.
enum class ReduceOp : uint8_t { Sum, Prod, Max, Min };

/// Scalars passed alongside a unary op.
struct UnaryParams {
  double alpha = 0, beta = 0, gamma = 0;
};

/// Geometry of a 2-D sliding window (im2col / col2im): kernel, stride, zero padding and dilation
/// per spatial dim, and the number of window positions (out_h x out_w) it produces.
struct ConvGeometry {
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t out_h = 0, out_w = 0;
};

/// What Backend::random draws.
enum class RandomKind : uint8_t {
  /// Uniform in [low, high).
  Uniform,
  /// Normal with mean `low` and standard deviation `high`.
  Normal,
  /// Integers in [low, high).
  Integer,
};

/// The factorizations of Backend::decompose (one per LAPACK routine torch.linalg calls).
enum class Decomposition : uint8_t {
  /// Partial-pivoting LU (getrf) of square a: out[0] [B, n, n] holds L below the diagonal (unit
  /// diagonal implied) and U on and above it; out[1] (int64 [B, n]) the row permutation: row i of
  /// P a is row out[1][i] of a. info = 1 + the first k with U[k, k] == 0, else 0.
  Lu,
  /// Cholesky factor (potrf) of the symmetric positive-definite a, read from its lower triangle:
  /// out[0] [B, n, n] = L (lower, zeros above) with a = L Lᵀ. info = the order of the first
  /// leading minor that is not positive definite (or not finite), else 0 (out[0] unspecified).
  Cholesky,
  /// Eigendecomposition (syevd) of the symmetric a, read from its lower triangle: out[0] [B, n]
  /// the eigenvalues in ascending order, out[1] [B, n, n] the orthonormal eigenvectors as columns.
  /// info = 1 when the iteration did not converge or a is not finite, else 0.
  SymmetricEigen,
  /// Householder QR (geqrf + orgqr) of a [B, m, n]: out[0] Q [B, m, c] with orthonormal columns
  /// and out[1] R [B, c, n] upper triangular, for c = min(m, n) or c = m (the complete Q, as
  /// out[0]'s shape says). info = 0.
  Qr,
  /// Singular value decomposition (gesdd) of a [B, m, n]: out[0] U [B, m, c], out[1] S [B, k]
  /// descending (k = min(m, n)), out[2] Vh [B, r, n], with c = k and r = k (thin) or c = m and
  /// r = n (full, as the outputs' shapes say). info = 1 when the iteration did not converge or a
  /// is not finite, else 0.
  Svd,
};

/// The scalars of one fused Adam step (Note [fused adam] in engine/ops/fused_adam.cpp): betas,
/// eps, eps_root and the bias corrections bc1 = 1 - b1^t, bc2 = 1 - b2^t.
struct AdamCoefficients {
  double b1 = 0.9, b2 = 0.999, eps = 1e-8, eps_root = 0.0, bc1 = 1.0, bc2 = 1.0;
  /// The factor of the update added to a slot's `param` (-lr for Adam), rounded to the dtype as
  /// a scalar of `u * param_scale` is. Read only for slots with a param.
  double param_scale = 0.0;
};

/// One tensor of a fused Adam forward: contiguous buffers of `numel` elements of one float dtype.
/// Reads g, mu, nu; writes mu_out, nu_out and u_out. An output may be the same buffer as an input
/// (mu_out == mu, nu_out == nu, u_out == g: the in-place step); otherwise no buffers overlap.
/// With `param` set, the step is applied instead of returned: param <- param + u * param_scale
/// (u * param_scale rounded to the dtype, then added: the rounding of scale(-lr) followed by
/// apply_updates), u_out is neither written nor read (it may be null), and mu_out == mu and
/// nu_out == nu (the in-place step); param overlaps no other buffer.
struct AdamForwardSlot {
  DType dtype = DType::Float32;
  int64_t numel = 0;
  const void *g = nullptr, *mu = nullptr, *nu = nullptr;
  void *mu_out = nullptr, *nu_out = nullptr, *u_out = nullptr;
  void* param = nullptr;
};

/// One tensor of a fused Adam first-order backward: contiguous buffers of `numel` elements of one
/// float dtype. Reads the output gradients (grad_mu, grad_nu, grad_u) and the saved g, mu', nu';
/// writes dg, dmu, dnu. No buffers overlap.
struct AdamBackwardSlot {
  DType dtype = DType::Float32;
  int64_t numel = 0;
  const void *grad_mu = nullptr, *grad_nu = nullptr, *grad_u = nullptr;
  const void *g = nullptr, *mu = nullptr, *nu = nullptr;
  void *dg = nullptr, *dmu = nullptr, *dnu = nullptr;
};

/// One compute backend (CPU or CUDA). See Note [backend contract].
class Backend {
 public:
  virtual ~Backend() = default;

  /// A block of at least `nbytes` of this backend's memory, aligned for any dtype (null for 0
  /// bytes); throws metagrad::Error when there is no room (OutOfMemoryError on a GPU).
  virtual void* allocate(size_t nbytes) = 0;
  /// Returns a block from allocate(nbytes) (the same `nbytes`).
  virtual void deallocate(void* ptr, size_t nbytes) = 0;

  /// out[i] = value (converted to out's dtype).
  virtual void fill(const View& out, double value) = 0;
  /// out[i] = src[i] with dtype conversion; shapes equal (src may carry 0 strides).
  virtual void copy(const View& src, const View& out) = 0;
  /// out = op(in); same shape and dtype (LogicalNot: bool out).
  virtual void unary(UnaryOp op, const View& in, const View& out, UnaryParams params) = 0;
  /// out = op(a, b); a and b are already broadcast to out's shape (0 strides); a, b share a dtype.
  virtual void binary(BinaryOp op, const View& a, const View& b, const View& out) = 0;
  /// out = cond ? a : b, all broadcast to out's shape; cond is bool.
  virtual void where(const View& cond, const View& a, const View& b, const View& out) = 0;
  /// Reduces `in` into `out`, where out has in's ndim and size 1 in each reduced dim.
  virtual void reduce(ReduceOp op, const View& in, const View& out) = 0;
  /// Along `dim`: values and int64 indices of the max (is_max) or min; ties pick the first.
  /// out_values/out_indices have in's ndim with size 1 at dim.
  virtual void arg_reduce(bool is_max, const View& in, int dim, const View& out_values,
                          const View& out_indices) = 0;
  /// Prefix sums along `dim` (Note [scan]): out[.., i, ..] = Σ_{j <= i} in[.., j, ..], or
  /// Σ_{j >= i} with `reverse`, summed in order along dim (floats in double, rounded at each
  /// output; int64 and bool in int64). in is float, int64 or bool; out has in's shape and dtype
  /// (int64 for bool in); any strides; out is in itself or overlaps nothing.
  virtual void cumsum(const View& in, const View& out, int dim, bool reverse) = 0;
  /// The order of each line along `dim` (Note [sort]): out_indices[.., r, ..] is the position
  /// along dim of the element of rank r in its line of `in`, for r < k = out_indices.shape[dim]
  /// (k <= in.shape[dim]; k < n gives the first k ranks, as top-k). Ranks ascend by value (descend
  /// with `descending`), NaN ranks above every number, and equal values (NaNs among themselves)
  /// keep their order of position: a total order, so the indices are the same on every backend.
  /// in is float, int64 or bool with any strides; out_indices is int64 with in's shape but k at
  /// dim, any strides, and overlaps nothing.
  virtual void sort_indices(const View& in, const View& out_indices, int dim, bool descending) = 0;
  /// Batched GEMM: out[b] = a[b] @ b[b] for 3-D views [batch, m, k] x [batch, k, n] -> [batch,
  /// m, n]; any strides (a batch stride of 0 broadcasts). out is contiguous.
  virtual void matmul(const View& a, const View& b, const View& out) = 0;
  /// out[..., index[i,...] along dim, ...] = in[i...]: torch.gather. index int64, out shape =
  /// index shape.
  virtual void gather(const View& in, int dim, const View& index, const View& out) = 0;
  /// out[index[i] along dim] += src[i]: torch.scatter_add_ (out is modified in place).
  virtual void scatter_add(const View& out, int dim, const View& index, const View& src) = 0;
  /// out = in.index_select(dim, index) with a 1-D int64 index.
  virtual void index_select(const View& in, int dim, const View& index, const View& out) = 0;
  /// out.index_select(dim, index) += src: the adjoint of index_select.
  virtual void index_add(const View& out, int dim, const View& index, const View& src) = 0;
  /// im2col: in [N, C, H, W] -> out [N, C*kh*kw, out_h*out_w] with
  /// out[n, (c*kh + i)*kw + j, y*out_w + x] = in[n, c, y*sh - ph + i*dh, x*sw - pw + j*dw], and
  /// `pad_value` where that position lies outside the input. Float dtypes; any strides.
  virtual void unfold(const View& in, const View& out, const ConvGeometry& geometry,
                      double pad_value) = 0;
  /// col2im, the adjoint of unfold: in [N, C*kh*kw, out_h*out_w] -> out [N, C, H, W], each
  /// output element the sum of the column entries that unfold would copy from it (out is fully
  /// overwritten, not accumulated into). Float dtypes; any strides.
  virtual void fold(const View& in, const View& out, const ConvGeometry& geometry) = 0;
  /// Max pooling's argmax: in [N, C, H, W] (float, any strides) -> contiguous int64 out_indices
  /// [N, C, out_h*out_w], each the flat position h*W + w of its window's maximum. Padding never
  /// wins, NaN wins and stays, ties keep the first position in row-major window order. Every
  /// window must reach the input (the op checks).
  virtual void max_pool2d_indices(const View& in, const View& out_indices,
                                  const ConvGeometry& geometry) = 0;
  /// Batch-norm statistics (Note [batch-norm kernels]): for `in` viewed as [N, C, S] (float, any
  /// strides, N S > 0), per channel c: mean[c] = Σ in[:, c, :] / (N S) and sum_sq[c] =
  /// Σ (in[:, c, :] - mean[c])², from two passes over the channel, accumulated in double. mean
  /// and sum_sq are 1-D [C] views of in's dtype.
  virtual void channel_moments(const View& in, const View& mean, const View& sum_sq) = 0;
  /// One pass over grad and in ([N, C, S], one float dtype, any strides): per channel c,
  /// sum_g[c] = Σ grad[:, c, :] and sum_gx[c] = Σ grad[:, c, :] (in[:, c, :] - mean[c]),
  /// accumulated in double. mean, sum_g and sum_gx are 1-D [C] views of that dtype.
  virtual void channel_grad_sums(const View& grad, const View& in, const View& mean,
                                 const View& sum_g, const View& sum_gx) = 0;
  /// out[n, c, s] = a[c] (u[n, c, s] - m[c]) + b[c] v[n, c, s] + d[c] over [N, C, S] views of one
  /// float dtype (any strides; out overlaps no input), m, a, b, d 1-D [C] views. Centring u first
  /// keeps the result accurate when u's mean is large against its spread. A `v` with null data
  /// drops the b term (b is then not read).
  virtual void channel_affine(const View& u, const View& m, const View& v, const View& a,
                              const View& b, const View& d, const View& out) = 0;
  /// Evaluates the per-channel formula set `formula` (Note [batch-norm coefficients]) for every
  /// channel c < channels: out[j][c] from in[0..n_in)[c], computed in double. Every view is a 1-D
  /// [channels] view (any stride) of one float dtype; an input with null data reads as its
  /// neutral value (weight 1, bias 0, qw 0; an absent running statistic is not updated, and
  /// its out view must be null too); an out view may alias its own in slot, no other.
  virtual void channel_coefficients(ChannelFormula formula, const View* in, int n_in,
                                    const View* out, int n_out, const bn::Constants& constants,
                                    int64_t channels) = 0;
  /// Dense solve by partial-pivoting LU: out = a⁻¹ b for a [n, n] and b, out [n, k] (one float
  /// dtype, any strides; out overlaps nothing). Returns the reciprocal condition estimate of a
  /// (0 when a is singular or has a non-finite entry, which leaves out unspecified).
  virtual double lu_solve(const View& a, const View& b, const View& out) = 0;
  /// Factorizes each matrix of the batch a [B, m, n] (one float dtype, any strides; square for
  /// Lu, Cholesky and SymmetricEigen) as `kind`
  /// says, into the outputs `out[0..n_out)` (contiguous, of a's dtype unless the kind says
  /// otherwise; they overlap nothing), and writes each matrix's status to info (int64 [B],
  /// contiguous): 0 for success, else what the kind documents.
  virtual void decompose(Decomposition kind, const View& a, const View* out, int n_out,
                         const View& info) = 0;
  /// Triangular solves: out[i] = a[i]⁻¹ b[i] for a [B, n, n] triangular (the `upper` or lower
  /// triangle is read, the other ignored; with `unit_diagonal` the diagonal is taken as ones) and
  /// b, out [B, n, k] (one float dtype, any strides; out overlaps nothing). A zero on the diagonal
  /// gives infinities or NaNs, as LAPACK's trtrs.
  virtual void triangular_solve(const View& a, const View& b, const View& out, bool upper,
                                bool unit_diagonal) = 0;
  /// Fills a contiguous `out` from the counter-based generator (seed, offset): element i is a
  /// pure function of (seed, offset, i), so every backend draws the same numbers.
  virtual void random(RandomKind kind, const View& out, uint64_t seed, uint64_t offset, double low,
                      double high) = 0;

  // Fused Adam (Note [fused adam]). These exist because the step is memory-bound: one pass over
  // g, mu, nu instead of the nine ops of the unfused formula, and, for many small tensors, one
  // call (on CUDA, one launch: multi-tensor apply) for all of them. The ops in
  // engine/ops/fused_adam.cpp call them; their backwards are again differentiable ops.

  /// The fused Adam forward over `count` tensors, element by element:
  /// mu' = b1 mu + (1 - b1) g, nu' = b2 nu + (1 - b2) g², u = (mu' / bc1) / (sqrt(nu' / bc2 +
  /// eps_root) + eps), with the unfused ops' rounding (float64 bit-identical to them); for a slot
  /// with a param, param += u * param_scale in the same pass, u not stored.
  virtual void adam_forward(const AdamCoefficients& k, const AdamForwardSlot* slots,
                            size_t count) = 0;
  /// The fused first-order backward of adam_forward over `count` tensors (Note [fused adam]).
  virtual void adam_backward(const AdamCoefficients& k, const AdamBackwardSlot* slots,
                             size_t count) = 0;

  // Device housekeeping: what torch.cuda offers. The CPU backend has nothing to report.

  /// Waits until every kernel queued on this backend has finished.
  virtual void synchronize() {}
  /// The allocator's counters (zeros for a backend without a device allocator).
  virtual DeviceMemoryStats memory_stats() { return {}; }
  /// Returns the cached free blocks to the device.
  virtual void empty_cache() {}
  /// Sets peak_allocated to the current allocated.
  virtual void reset_peak_memory_stats() {}
};

/// The backend of a device. Throws a clear Error when the device's backend is not built or the
/// device does not exist.
Backend& backend_for(Device device);

namespace detail {
/// The CUDA runtime's backend of device `index`, created on first use; null when metagrad was
/// built without CUDA or the device does not exist (defined in cuda/).
Backend* cuda_runtime_backend(int index);
/// The number of CUDA devices the runtime sees (0 without the CUDA backend or a driver).
int cuda_runtime_device_count();
}  // namespace detail

/// Makes `backend` serve every CUDA device in place of the CUDA runtime's backend (null restores
/// it). Tests use it to run the CUDA kernels on the host (cuda/emulated_backend.hpp) on machines
/// without a GPU. Not thread-safe: call it before any CUDA tensor exists.
void register_cuda_backend(Backend* backend);

}  // namespace metagrad
