// Helpers shared by the distributions.
#include "engine/distributions/distribution_support.hpp"

#include <limits>

#include "engine/ops.hpp"

namespace metagrad::detail {

Dims distribution_sample_shape(const Dims& sample_shape, const Dims& batch_shape,
                               const char* distribution) {
  MG_CHECK(sample_shape.size() + batch_shape.size() <= kMaxDims,
           "{}: sample_shape {} and batch shape {} together have more than {} dims", distribution,
           shape_str(sample_shape), shape_str(batch_shape), kMaxDims);
  Dims shape = sample_shape;
  for (const int64_t size : batch_shape) shape.push_back(size);
  return shape;
}

Tensor clamp_probs(const Tensor& p) {
  const double eps = p.dtype() == kFloat32 ? std::numeric_limits<float>::epsilon()
                                           : std::numeric_limits<double>::epsilon();
  return clamp(p, eps, 1.0 - eps);
}

}  // namespace metagrad::detail
