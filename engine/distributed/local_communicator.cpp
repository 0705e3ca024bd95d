#include <cstring>

#include "engine/distributed/communicator.hpp"

namespace metagrad::distributed::detail {
namespace {

// A world of one: reductions over one rank and gathers from one rank are copies.
class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  Backend backend() const override { return Backend::local; }
  void all_reduce(void*, int64_t, DType, Combine, std::string_view op) override { check(op); }
  void broadcast(void*, int64_t, int, std::string_view op) override { check(op); }
  void all_gather(const void* in, void* out, int64_t bytes, std::string_view op) override {
    check(op);
    if (bytes > 0) std::memcpy(out, in, static_cast<size_t>(bytes));
  }
  void meet(const void* in, void* out, int64_t bytes, std::string_view op) override {
    all_gather(in, out, bytes, op);
  }
  void reduce_scatter(const void* in, void* out, int64_t count, DType dtype, Combine,
                      std::string_view op) override {
    check(op);
    if (count > 0) std::memcpy(out, in, static_cast<size_t>(count) * element_size(dtype));
  }
  void abort(std::string_view message, std::chrono::milliseconds) noexcept override {
    if (!aborted_) message_ = std::string(message);
    aborted_ = true;
  }
  bool aborted() const override { return aborted_; }
  void finalize() override {}

 private:
  void check(std::string_view op) const {
    if (aborted_)
      throw DistributedError(
          fmt::format("{}: the process group was aborted after: {}", op, message_));
  }

  bool aborted_ = false;
  std::string message_;
};

}  // namespace

std::unique_ptr<Communicator> make_local_communicator() {
  return std::make_unique<LocalCommunicator>();
}

}  // namespace metagrad::distributed::detail
