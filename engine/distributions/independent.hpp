#pragma once

#include <cstdint>
#include <utility>

#include "engine/error.hpp"
#include "engine/ops.hpp"
#include "engine/random/generator.hpp"
#include "engine/tensor.hpp"

// torch.distributions.Independent: the rightmost batch dims of a distribution reinterpreted as
// event dims, so that log_prob and entropy sum over them (a diagonal Normal over vectors, say).
// A template over the base distribution class, whose draws, mean and variance it passes on.
namespace metagrad::distributions {
/// \addtogroup engine_distributions
/// @{

/// The base distribution `Base` with its last `reinterpreted_batch_ndims` batch dims taken as
/// event dims (torch.distributions.Independent). `Base` is any distribution class here (Normal,
/// Bernoulli, Gamma, ..., another Independent); rsample exists when Base's does.
template <typename Base>
class Independent {
 public:
  /// torch.distributions.Independent(base_distribution, reinterpreted_batch_ndims). Throws unless
  /// 0 <= reinterpreted_batch_ndims <= the number of base's batch dims.
  Independent(Base base, int64_t reinterpreted_batch_ndims)
      : base_(std::move(base)), dims_(reinterpreted_batch_ndims) {
    const int64_t batch_dims = base_.batch_shape().size();
    MG_CHECK(dims_ >= 0 && dims_ <= batch_dims,
             "Independent: reinterpreted_batch_ndims must be in [0, {}] (the base's batch shape is "
             "{}), got {}",
             batch_dims, shape_str(base_.batch_shape()), dims_);
  }
  /// Base's draws, without recording.
  Tensor sample(const Dims& sample_shape = {}, Generator* generator = nullptr) const {
    return base_.sample(sample_shape, generator);
  }
  /// Base's reparameterized draws.
  Tensor rsample(const Dims& sample_shape = {}, Generator* generator = nullptr) const requires
      requires(const Base& b) {
    b.rsample(sample_shape, generator);
  }
  { return base_.rsample(sample_shape, generator); }
  /// Base's log_prob summed over the reinterpreted dims (the rightmost ones of its result).
  Tensor log_prob(const Tensor& value) const { return sum_rightmost(base_.log_prob(value)); }
  /// Base's entropy summed over the reinterpreted dims.
  Tensor entropy() const { return sum_rightmost(base_.entropy()); }
  /// Base's mean.
  Tensor mean() const { return base_.mean(); }
  /// Base's variance.
  Tensor variance() const { return base_.variance(); }
  /// Base's batch shape without its last reinterpreted_batch_ndims dims.
  Dims batch_shape() const {
    Dims shape = base_.batch_shape();
    shape.resize(shape.size() - static_cast<int>(dims_));
    return shape;
  }
  /// The reinterpreted dims followed by base's event shape.
  Dims event_shape() const {
    const Dims base_batch = base_.batch_shape();
    Dims shape;
    for (int i = base_batch.size() - static_cast<int>(dims_); i < base_batch.size(); ++i)
      shape.push_back(base_batch[i]);
    if constexpr (requires(const Base& b) { b.event_shape(); })
      for (const int64_t size : base_.event_shape()) shape.push_back(size);
    return shape;
  }
  /// The base distribution.
  const Base& base_dist() const { return base_; }
  /// The number of batch dims taken as event dims.
  int64_t reinterpreted_batch_ndims() const { return dims_; }

  /// t summed over its last reinterpreted_batch_ndims dims (PyTorch's _sum_rightmost).
  Tensor sum_rightmost(const Tensor& t) const {
    if (dims_ == 0) return t;
    Dims dims;
    for (int64_t i = 1; i <= dims_; ++i) dims.push_back(-i);
    return sum(t, dims);
  }

 private:
  Base base_;
  int64_t dims_;
};

/// KL(p || q) of two Independent distributions reinterpreting as many dims: the bases' KL summed
/// over those dims. Throws when the numbers of reinterpreted dims differ.
template <typename P, typename Q>
Tensor kl_divergence(const Independent<P>& p, const Independent<Q>& q) {
  MG_CHECK(p.reinterpreted_batch_ndims() == q.reinterpreted_batch_ndims(),
           "kl_divergence: the Independent distributions reinterpret {} and {} batch dims; they "
           "must reinterpret as many",
           p.reinterpreted_batch_ndims(), q.reinterpreted_batch_ndims());
  return p.sum_rightmost(kl_divergence(p.base_dist(), q.base_dist()));
}

/// @}
}  // namespace metagrad::distributions
