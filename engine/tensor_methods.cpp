// Tensor member functions that forward to the free-function ops of engine/ops.hpp.
#include "engine/ops.hpp"

namespace metagrad {

Tensor Tensor::sum(const Dims& d, bool k) const { return metagrad::sum(*this, d, k); }
Tensor Tensor::mean(const Dims& d, bool k) const { return metagrad::mean(*this, d, k); }
Tensor Tensor::prod(std::optional<int64_t> d, bool k) const { return metagrad::prod(*this, d, k); }
Tensor Tensor::amax(const Dims& d, bool k) const { return metagrad::amax(*this, d, k); }
Tensor Tensor::amin(const Dims& d, bool k) const { return metagrad::amin(*this, d, k); }
Tensor Tensor::norm(double p, const Dims& d, bool k) const {
  return metagrad::norm(*this, p, d, k);
}
Tensor Tensor::var(const Dims& d, bool u, bool k) const { return metagrad::var(*this, d, u, k); }
Tensor Tensor::std(const Dims& d, bool u, bool k) const { return metagrad::std(*this, d, u, k); }
Tensor Tensor::logsumexp(const Dims& d, bool k) const { return metagrad::logsumexp(*this, d, k); }
std::tuple<Tensor, Tensor> Tensor::max(int64_t d, bool k) const {
  return metagrad::max(*this, d, k);
}
std::tuple<Tensor, Tensor> Tensor::min(int64_t d, bool k) const {
  return metagrad::min(*this, d, k);
}
Tensor Tensor::max() const { return metagrad::max(*this); }
Tensor Tensor::min() const { return metagrad::min(*this); }

Tensor Tensor::neg() const { return metagrad::neg(*this); }
Tensor Tensor::abs() const { return metagrad::abs(*this); }
Tensor Tensor::sign() const { return metagrad::sign(*this); }
Tensor Tensor::exp() const { return metagrad::exp(*this); }
Tensor Tensor::log() const { return metagrad::log(*this); }
Tensor Tensor::log1p() const { return metagrad::log1p(*this); }
Tensor Tensor::sqrt() const { return metagrad::sqrt(*this); }
Tensor Tensor::rsqrt() const { return metagrad::rsqrt(*this); }
Tensor Tensor::square() const { return metagrad::square(*this); }
Tensor Tensor::sin() const { return metagrad::sin(*this); }
Tensor Tensor::cos() const { return metagrad::cos(*this); }
Tensor Tensor::tanh() const { return metagrad::tanh(*this); }
Tensor Tensor::sigmoid() const { return metagrad::sigmoid(*this); }
Tensor Tensor::erf() const { return metagrad::erf(*this); }
Tensor Tensor::expm1() const { return metagrad::expm1(*this); }
Tensor Tensor::tan() const { return metagrad::tan(*this); }
Tensor Tensor::asin() const { return metagrad::asin(*this); }
Tensor Tensor::acos() const { return metagrad::acos(*this); }
Tensor Tensor::atan() const { return metagrad::atan(*this); }
Tensor Tensor::sinh() const { return metagrad::sinh(*this); }
Tensor Tensor::cosh() const { return metagrad::cosh(*this); }
Tensor Tensor::asinh() const { return metagrad::asinh(*this); }
Tensor Tensor::acosh() const { return metagrad::acosh(*this); }
Tensor Tensor::atanh() const { return metagrad::atanh(*this); }
Tensor Tensor::log2() const { return metagrad::log2(*this); }
Tensor Tensor::log10() const { return metagrad::log10(*this); }
Tensor Tensor::exp2() const { return metagrad::exp2(*this); }
Tensor Tensor::reciprocal() const { return metagrad::reciprocal(*this); }
Tensor Tensor::frac() const { return metagrad::frac(*this); }
Tensor Tensor::erfc() const { return metagrad::erfc(*this); }
Tensor Tensor::erfinv() const { return metagrad::erfinv(*this); }
Tensor Tensor::lgamma() const { return metagrad::lgamma(*this); }
Tensor Tensor::digamma() const { return metagrad::digamma(*this); }
Tensor Tensor::floor() const { return metagrad::floor(*this); }
Tensor Tensor::ceil() const { return metagrad::ceil(*this); }
Tensor Tensor::round() const { return metagrad::round(*this); }
Tensor Tensor::trunc() const { return metagrad::trunc(*this); }
Tensor Tensor::relu() const { return metagrad::relu(*this); }
Tensor Tensor::cumsum(int64_t dim) const { return metagrad::cumsum(*this, dim); }
Tensor Tensor::argmax(std::optional<int64_t> dim, bool keepdim) const {
  return metagrad::argmax(*this, dim, keepdim);
}
std::tuple<Tensor, Tensor> Tensor::sort(int64_t dim, bool descending, bool stable) const {
  return metagrad::sort(*this, dim, descending, stable);
}
Tensor Tensor::argsort(int64_t dim, bool descending, bool stable) const {
  return metagrad::argsort(*this, dim, descending, stable);
}
std::tuple<Tensor, Tensor> Tensor::topk(int64_t k, int64_t dim, bool largest, bool sorted) const {
  return metagrad::topk(*this, k, dim, largest, sorted);
}
Tensor Tensor::argmin(std::optional<int64_t> dim, bool keepdim) const {
  return metagrad::argmin(*this, dim, keepdim);
}
Tensor Tensor::flip(const Dims& dims) const { return metagrad::flip(*this, dims); }
Tensor Tensor::repeat(const Dims& repeats) const { return metagrad::repeat(*this, repeats); }
Tensor Tensor::tril(int64_t diagonal) const { return metagrad::tril(*this, diagonal); }
Tensor Tensor::triu(int64_t diagonal) const { return metagrad::triu(*this, diagonal); }
Tensor Tensor::pow(double e) const { return metagrad::pow(*this, e); }
Tensor Tensor::pow(const Tensor& e) const { return metagrad::pow(*this, e); }
Tensor Tensor::clamp(std::optional<double> lo, std::optional<double> hi) const {
  return metagrad::clamp(*this, lo, hi);
}

Tensor Tensor::matmul(const Tensor& o) const { return metagrad::matmul(*this, o); }
Tensor Tensor::dot(const Tensor& o) const { return metagrad::dot(*this, o); }
Tensor Tensor::mv(const Tensor& v) const { return metagrad::mv(*this, v); }
Tensor Tensor::t() const { return metagrad::t(*this); }
Tensor Tensor::transpose(int64_t a, int64_t b) const { return metagrad::transpose(*this, a, b); }
Tensor Tensor::permute(const Dims& d) const { return metagrad::permute(*this, d); }
Tensor Tensor::reshape(const Dims& s) const { return metagrad::reshape(*this, s); }
Tensor Tensor::view(const Dims& s) const { return metagrad::view(*this, s); }
Tensor Tensor::flatten(int64_t s, int64_t e) const { return metagrad::flatten(*this, s, e); }
Tensor Tensor::squeeze() const { return metagrad::squeeze(*this); }
Tensor Tensor::squeeze(int64_t d) const { return metagrad::squeeze(*this, d); }
Tensor Tensor::unsqueeze(int64_t d) const { return metagrad::unsqueeze(*this, d); }
Tensor Tensor::expand(const Dims& s) const { return metagrad::expand(*this, s); }
Tensor Tensor::expand_as(const Tensor& o) const { return metagrad::expand(*this, o.shape()); }
Tensor Tensor::sum_to(const Dims& s) const { return metagrad::sum_to(*this, s); }
Tensor Tensor::slice(int64_t d, std::optional<int64_t> s, std::optional<int64_t> e,
                     int64_t st) const {
  return metagrad::slice(*this, d, s, e, st);
}
Tensor Tensor::select(int64_t d, int64_t i) const { return metagrad::select(*this, d, i); }
Tensor Tensor::index_select(int64_t d, const Tensor& i) const {
  return metagrad::index_select(*this, d, i);
}
Tensor Tensor::gather(int64_t d, const Tensor& i) const { return metagrad::gather(*this, d, i); }
Tensor Tensor::scatter_add(int64_t d, const Tensor& i, const Tensor& s) const {
  return metagrad::scatter_add(*this, d, i, s);
}
TensorList Tensor::split(int64_t n, int64_t d) const { return metagrad::split(*this, n, d); }
TensorList Tensor::chunk(int64_t n, int64_t d) const { return metagrad::chunk(*this, n, d); }

}  // namespace metagrad
