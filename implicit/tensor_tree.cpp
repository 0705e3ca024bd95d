#include "implicit/tensor_tree.hpp"

#include <limits>

#include "engine/grad_mode.hpp"
#include "engine/ops.hpp"
#include "engine/shape.hpp"

namespace metagrad::tree {
namespace {

// Checks that `a` and `b` can be combined entry by entry (same length, shapes, dtypes, devices).
void check_same_structure(const char* op, const TensorList& a, const TensorList& b) {
  MG_CHECK(a.size() == b.size(), "tree::{}: the lists have {} and {} tensors; they must match", op,
           a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    MG_CHECK(a[i].defined() && b[i].defined(), "tree::{}: entry {} is an undefined tensor", op, i);
    MG_CHECK(a[i].shape() == b[i].shape(),
             "tree::{}: entry {} has shapes {} and {}; they must match", op, i,
             shape_str(a[i].shape()), shape_str(b[i].shape()));
    MG_CHECK(a[i].dtype() == b[i].dtype(),
             "tree::{}: entry {} has dtypes {} and {}; they must match (convert one with .to())",
             op, i, dtype_name(a[i].dtype()), dtype_name(b[i].dtype()));
    MG_CHECK(a[i].device() == b[i].device(),
             "tree::{}: entry {} is on devices {} and {}; they must match", op, i,
             a[i].device().str(), b[i].device().str());
  }
}

void check_defined(const char* op, const TensorList& a) {
  for (size_t i = 0; i < a.size(); ++i) {
    MG_CHECK(a[i].defined(), "tree::{}: entry {} is an undefined tensor", op, i);
  }
}

// `alpha` as a 0-d tensor, checked to be a one-element float tensor.
Tensor scalar_of(const char* op, const Tensor& alpha, const TensorList& like) {
  MG_CHECK(alpha.defined(), "tree::{}: alpha is an undefined tensor", op);
  MG_CHECK(alpha.numel() == 1,
           "tree::{}: alpha must be a scalar tensor (one element), got shape {}", op,
           shape_str(alpha.shape()));
  if (!like.empty()) {
    MG_CHECK(alpha.dtype() == like[0].dtype(),
             "tree::{}: alpha has dtype {} but the list has dtype {}; they must match", op,
             dtype_name(alpha.dtype()), dtype_name(like[0].dtype()));
  }
  return alpha.dim() == 0 ? alpha : alpha.reshape({});
}

}  // namespace

TensorList add(const TensorList& a, const TensorList& b) {
  check_same_structure("add", a, b);
  TensorList out;
  out.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) out.push_back(a[i] + b[i]);
  return out;
}

TensorList sub(const TensorList& a, const TensorList& b) {
  check_same_structure("sub", a, b);
  TensorList out;
  out.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) out.push_back(a[i] - b[i]);
  return out;
}

TensorList add_scaled(const TensorList& a, double alpha, const TensorList& b) {
  check_same_structure("add_scaled", a, b);
  TensorList out;
  out.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) out.push_back(metagrad::add(a[i], b[i], alpha));
  return out;
}

TensorList add_scaled(const TensorList& a, const Tensor& alpha, const TensorList& b) {
  check_same_structure("add_scaled", a, b);
  const Tensor s = scalar_of("add_scaled", alpha, a);
  TensorList out;
  out.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) out.push_back(a[i] + s * b[i]);
  return out;
}

TensorList scale(const TensorList& a, double alpha) {
  check_defined("scale", a);
  TensorList out;
  out.reserve(a.size());
  for (const Tensor& t : a) out.push_back(t * alpha);
  return out;
}

TensorList scale(const TensorList& a, const Tensor& alpha) {
  check_defined("scale", a);
  const Tensor s = scalar_of("scale", alpha, a);
  TensorList out;
  out.reserve(a.size());
  for (const Tensor& t : a) out.push_back(s * t);
  return out;
}

TensorList neg(const TensorList& a) {
  check_defined("neg", a);
  TensorList out;
  out.reserve(a.size());
  for (const Tensor& t : a) out.push_back(t.neg());
  return out;
}

Tensor vdot(const TensorList& a, const TensorList& b) {
  check_same_structure("vdot", a, b);
  MG_CHECK(!a.empty(), "tree::vdot: the lists are empty; give at least one tensor");
  Tensor total;
  for (size_t i = 0; i < a.size(); ++i) {
    // <a_i, b_i> = sum(a_i * b_i); 1-D operands use the dot kernel.
    Tensor term = a[i].dim() == 1 ? metagrad::dot(a[i], b[i]) : (a[i] * b[i]).sum();
    total = total.defined() ? total + term : term;
  }
  return total;
}

double squared_norm(const TensorList& a) {
  check_defined("squared_norm", a);
  MG_CHECK(!a.empty(), "tree::squared_norm: the list is empty; give at least one tensor");
  NoGradGuard no_grad;
  return vdot(detach(a), detach(a)).item<double>();
}

TensorList zeros_like(const TensorList& a) {
  check_defined("zeros_like", a);
  TensorList out;
  out.reserve(a.size());
  for (const Tensor& t : a) out.push_back(metagrad::zeros_like(t));
  return out;
}

TensorList detach(const TensorList& a) {
  check_defined("detach", a);
  TensorList out;
  out.reserve(a.size());
  for (const Tensor& t : a) out.push_back(t.detach());
  return out;
}

int64_t numel(const TensorList& a) {
  check_defined("numel", a);
  int64_t total = 0;
  for (const Tensor& t : a) {
    MG_CHECK(t.numel() <= std::numeric_limits<int64_t>::max() - total,
             "tree::numel: the total number of elements overflows int64");
    total += t.numel();
  }
  return total;
}

Tensor flatten(const TensorList& a) {
  check_defined("flatten", a);
  MG_CHECK(!a.empty(), "tree::flatten: the list is empty; give at least one tensor");
  for (size_t i = 1; i < a.size(); ++i) {
    MG_CHECK(a[i].dtype() == a[0].dtype(),
             "tree::flatten: entry {} has dtype {} but entry 0 has dtype {}; they must match", i,
             dtype_name(a[i].dtype()), dtype_name(a[0].dtype()));
  }
  if (a.size() == 1) return a[0].reshape({-1});
  TensorList flat;
  flat.reserve(a.size());
  for (const Tensor& t : a) flat.push_back(t.reshape({-1}));
  return cat(flat, 0);
}

TensorList unflatten(const Tensor& flat, const TensorList& like) {
  MG_CHECK(flat.defined(), "tree::unflatten: `flat` is an undefined tensor");
  MG_CHECK(flat.dim() == 1, "tree::unflatten: `flat` must be 1-D, got shape {}",
           shape_str(flat.shape()));
  const int64_t n = numel(like);
  MG_CHECK(flat.numel() == n,
           "tree::unflatten: `flat` has {} elements but the list it mirrors has {}", flat.numel(),
           n);
  if (like.size() == 1) return {flat.reshape(like[0].shape())};
  std::vector<int64_t> sizes;
  sizes.reserve(like.size());
  for (const Tensor& t : like) sizes.push_back(t.numel());
  TensorList parts = split(flat, sizes, 0);
  for (size_t i = 0; i < parts.size(); ++i) parts[i] = parts[i].reshape(like[i].shape());
  return parts;
}

}  // namespace metagrad::tree
