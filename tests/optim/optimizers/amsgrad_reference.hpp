#pragma once

// torch.optim.Adam's and torch.optim.AdamW's AMSGrad update rule by hand, the reference of
// adam_test.cpp and adamw_test.cpp.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tests/optim/optimizers/reference.hpp"

namespace metagrad::testing {

/// torch.optim.Adam (decoupled false) or torch.optim.AdamW (decoupled true) with amsgrad:
/// g += wd p (L2, unless decoupled: p -= lr wd p), m = b1 m + (1 - b1) g,
/// v = b2 v + (1 - b2) g^2, v_max = max(v_max, v),
/// p -= lr (m / (1 - b1^t)) / (sqrt(v_max) / sqrt(1 - b2^t) + eps). `overtaken` counts the
/// elements and steps where v_max > v (where AMSGrad differs from Adam).
inline ReferenceFactory amsgrad_reference(double lr, double b1, double b2, double eps, double wd,
                                          bool decoupled, int* overtaken) {
  return [=](size_t n) -> ReferenceStep {
    return [=, m = std::vector<double>(n, 0.0), v = std::vector<double>(n, 0.0),
            v_max = std::vector<double>(n, 0.0),
            t = 0](std::vector<double>& p, const std::vector<double>& g_in) mutable {
      ++t;
      const double bc1 = 1.0 - std::pow(b1, t);
      const double bc2 = 1.0 - std::pow(b2, t);
      for (size_t i = 0; i < p.size(); ++i) {
        const double g = decoupled ? g_in[i] : g_in[i] + wd * p[i];
        m[i] = b1 * m[i] + (1.0 - b1) * g;
        v[i] = b2 * v[i] + (1.0 - b2) * g * g;
        v_max[i] = std::max(v_max[i], v[i]);
        if (v_max[i] > v[i]) ++*overtaken;
        const double step = (m[i] / bc1) / (std::sqrt(v_max[i]) / std::sqrt(bc2) + eps);
        p[i] -= lr * (step + (decoupled ? wd * p[i] : 0.0));
      }
    };
  };
}

}  // namespace metagrad::testing
