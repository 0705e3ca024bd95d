#include "engine/distributed/collectives.hpp"

#include <memory>
#include <string>

#include "engine/autograd/custom_function.hpp"
#include "engine/distributed/packed_collectives.hpp"
#include "engine/distributed/signature.hpp"
#include "engine/grad_mode.hpp"
#include "engine/ops/binary.hpp"
#include "engine/ops/factory.hpp"

namespace metagrad::distributed {
namespace {

std::string_view op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::sum:
      return "sum";
    case ReduceOp::mean:
      return "mean";
    case ReduceOp::max:
      return "max";
  }
  return "?";
}

// The current group's transport, or a world of one when no group exists.
detail::Communicator& transport() {
  if (ProcessGroup* group = current_group()) return group->communicator();
  static const std::unique_ptr<detail::Communicator> alone = detail::make_local_communicator();
  return *alone;
}

// Checks the list locally, then that every rank makes the same call (signature.hpp). Whether the
// call is recorded is part of the signature: a rank that records it will call its backward, a
// collective the other ranks must join.
void agree(const std::string& call, const TensorList& tensors) {
  for (size_t i = 0; i < tensors.size(); ++i)
    MG_CHECK(tensors[i].defined(), "{}: tensor {} of the list is undefined", call, i);
  bool recorded = false;
  if (is_grad_enabled())
    for (const Tensor& t : tensors) recorded = recorded || t.requires_grad();
  detail::agree_on_call(transport(), call,
                        detail::describe_call(call, tensors) + (recorded ? " (recorded)" : ""));
}

void check_root(int root, std::string_view call) {
  const int world = transport().size();
  MG_CHECK(root >= 0 && root < world, "{}: root {} is not a rank of this world of {} rank(s)", call,
           root, world);
}

// Agrees on the call, then runs `fn` as a recorded op (Note [custom functions]).
template <typename F, typename... Args>
TensorList run(const std::string& call, const TensorList& tensors, Args&&... args) {
  agree(call, tensors);
  if (tensors.empty()) return {};
  return CustomFunction::apply<F>(tensors, std::forward<Args>(args)...);
}

class AllReduceFunction final : public CustomFunction {
 public:
  explicit AllReduceFunction(ReduceOp op) : op_(op) {}
  std::string name() const override { return "AllReduce"; }
  TensorList forward(CustomFunctionContext& ctx, const TensorList& in) override {
    TensorList out = detail::packed_all_reduce(transport(), in, op_, "all_reduce");
    if (op_ == ReduceOp::max) {
      TensorList saved = in;
      saved.insert(saved.end(), out.begin(), out.end());
      ctx.save_for_backward(saved);
    }
    return out;
  }
  TensorList backward(CustomFunctionContext& ctx, const TensorList& grads) override {
    // d(sum over ranks) = sum over ranks of the gradients; mean is self-adjoint likewise.
    if (op_ != ReduceOp::max) return all_reduce(grads, op_);
    // d max: the summed gradient goes to the ranks holding the maximum, split between ties.
    const TensorList saved = ctx.saved_tensors();
    const size_t n = grads.size();
    TensorList masks(n);
    for (size_t i = 0; i < n; ++i) masks[i] = eq(saved[i], saved[n + i]).to(grads[i].dtype());
    const TensorList holders = all_reduce(masks, ReduceOp::sum);
    const TensorList summed = all_reduce(grads, ReduceOp::sum);
    TensorList out(n);
    for (size_t i = 0; i < n; ++i) out[i] = summed[i] * masks[i] / holders[i];
    return out;
  }

 private:
  ReduceOp op_;
};

class BroadcastFunction final : public CustomFunction {
 public:
  explicit BroadcastFunction(int root) : root_(root) {}
  std::string name() const override { return "Broadcast"; }
  TensorList forward(CustomFunctionContext&, const TensorList& in) override {
    return detail::packed_broadcast(transport(), in, root_, "broadcast");
  }
  TensorList backward(CustomFunctionContext&, const TensorList& grads) override {
    return reduce(grads, root_);  // d x_root = sum over ranks of g; other ranks' x: 0
  }

 private:
  int root_;
};

class ReduceFunction final : public CustomFunction {
 public:
  explicit ReduceFunction(int root) : root_(root) {}
  std::string name() const override { return "Reduce"; }
  TensorList forward(CustomFunctionContext&, const TensorList& in) override {
    detail::Communicator& comm = transport();
    TensorList out = detail::packed_all_reduce(comm, in, ReduceOp::sum, "reduce");
    if (comm.rank() != root_)
      for (Tensor& t : out) t.zero_();
    return out;
  }
  TensorList backward(CustomFunctionContext&, const TensorList& grads) override {
    return broadcast(grads, root_);  // d x_r = g_root on every rank
  }

 private:
  int root_;
};

class AllGatherFunction final : public CustomFunction {
 public:
  std::string name() const override { return "AllGather"; }
  TensorList forward(CustomFunctionContext&, const TensorList& in) override {
    return detail::packed_all_gather(transport(), in, "all_gather");
  }
  TensorList backward(CustomFunctionContext&, const TensorList& grads) override {
    return reduce_scatter(grads, ReduceOp::sum);  // d x_r = sum over ranks s of g_s[r]
  }
};

class ReduceScatterFunction final : public CustomFunction {
 public:
  explicit ReduceScatterFunction(ReduceOp op) : op_(op) {}
  std::string name() const override { return "ReduceScatter"; }
  TensorList forward(CustomFunctionContext&, const TensorList& in) override {
    return detail::packed_reduce_scatter(transport(), in, op_, "reduce_scatter");
  }
  TensorList backward(CustomFunctionContext&, const TensorList& grads) override {
    // d x_r[s] = g_s (sum), g_s / world (mean)
    TensorList out = all_gather(grads);
    if (op_ == ReduceOp::mean)
      for (Tensor& t : out) t = t / static_cast<double>(transport().size());
    return out;
  }

 private:
  ReduceOp op_;
};

class ReplicateFunction final : public CustomFunction {
 public:
  std::string name() const override { return "Replicate"; }
  TensorList forward(CustomFunctionContext&, const TensorList& in) override { return in; }
  TensorList backward(CustomFunctionContext&, const TensorList& grads) override {
    return reduce_replicated(grads);  // d x = sum over ranks of the gradients of the copies
  }
};

class ReduceReplicatedFunction final : public CustomFunction {
 public:
  std::string name() const override { return "ReduceReplicated"; }
  TensorList forward(CustomFunctionContext&, const TensorList& in) override {
    return detail::packed_all_reduce(transport(), in, ReduceOp::sum, "reduce_replicated");
  }
  TensorList backward(CustomFunctionContext&, const TensorList& grads) override {
    return replicate(grads);  // d share_r = the one logical gradient
  }
};

}  // namespace

TensorList all_reduce(const TensorList& tensors, ReduceOp op) {
  return run<AllReduceFunction>(fmt::format("all_reduce({})", op_name(op)), tensors, op);
}

Tensor all_reduce(const Tensor& tensor, ReduceOp op) {
  return all_reduce(TensorList{tensor}, op)[0];
}

TensorList broadcast(const TensorList& tensors, int root) {
  check_root(root, "broadcast");
  return run<BroadcastFunction>(fmt::format("broadcast(root={})", root), tensors, root);
}

TensorList reduce(const TensorList& tensors, int root) {
  check_root(root, "reduce");
  return run<ReduceFunction>(fmt::format("reduce(root={})", root), tensors, root);
}

TensorList all_gather(const TensorList& tensors) {
  return run<AllGatherFunction>("all_gather", tensors);
}

TensorList reduce_scatter(const TensorList& tensors, ReduceOp op) {
  return run<ReduceScatterFunction>(fmt::format("reduce_scatter({})", op_name(op)), tensors, op);
}

TensorList replicate(const TensorList& tensors) {
  for (size_t i = 0; i < tensors.size(); ++i)
    MG_CHECK(tensors[i].defined(), "replicate: tensor {} of the list is undefined", i);
  if (tensors.empty()) return {};
  return CustomFunction::apply<ReplicateFunction>(tensors);
}

TensorList reduce_replicated(const TensorList& tensors) {
  return run<ReduceReplicatedFunction>("reduce_replicated", tensors);
}

void all_reduce_grads(const TensorList& params, ReduceOp op) {
  NoGradGuard no_grad;
  TensorList grads(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    MG_CHECK(params[i].defined(), "all_reduce_grads: parameter {} is undefined", i);
    grads[i] = params[i].grad().defined() ? params[i].grad() : zeros_like(params[i]);
  }
  const TensorList reduced = all_reduce(grads, op);
  for (size_t i = 0; i < params.size(); ++i) params[i].set_grad(reduced[i]);
}

}  // namespace metagrad::distributed
