// trace: momentum and Nesterov momentum (TorchOpt's transform/trace.py). TorchOpt keeps the
// first-call flag in a closure, so re-initialising does not reset it; here it is the state's
// counter "count" (updates seen), so init() really starts over.
#include "optim/transforms.hpp"
#include "optim/transforms/support.hpp"

namespace metagrad {

using namespace optim_detail;

GradientTransformation trace(const TraceOptions& o) {
  const char* who = "trace";
  check_nonnegative(o.momentum, who, "momentum");
  MG_CHECK(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
           "trace: Nesterov momentum requires a momentum and zero dampening (got momentum = {}, "
           "dampening = {})",
           o.momentum, o.dampening);
  if (o.momentum == 0.0) return identity();
  return {[o](const TensorList& params) {
            OptState state;
            state.kind = "TraceState";
            state.tensors.emplace_back("trace", zero_moments(params, o.moment_requires_grad));
            state.counters.emplace_back("count", 0);
            return state;
          },
          [o, who](const TensorList& updates, OptState& state, const TensorList&, bool inplace) {
            expect_kind(state, "TraceState", who);
            TensorList& tr = state.tensor_list("trace");
            expect_size(tr, updates, who, "trace");
            int64_t& count = state.counter("count");
            const bool first = count == 0;
            TensorList out(updates.size());
            for (size_t i = 0; i < updates.size(); ++i) {
              Tensor g = updates[i];
              if (!g.defined()) continue;
              // first: t = t + g; later: t = momentum t + g (nesterov) or
              // momentum t + (1 - dampening) g
              const double alpha = o.nesterov ? 1.0 : 1.0 - o.dampening;
              if (inplace) {
                Tensor& t = tr[i];
                if (!first) t.mul_(o.momentum);
                t.add_(g, first ? 1.0 : alpha);
                if (o.nesterov) {
                  g.add_(t, o.momentum);  // u = g + momentum t
                } else {
                  g.copy_(t);  // u = t
                }
                out[i] = g;
              } else {
                tr[i] = first ? add(tr[i], g) : add(mul(tr[i], o.momentum), g, alpha);
                out[i] = o.nesterov ? add(g, tr[i], o.momentum) : clone(tr[i]);
              }
            }
            count = inc_count(count);
            return out;
          }};
}

}  // namespace metagrad
