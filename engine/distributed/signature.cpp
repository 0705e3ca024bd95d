#include "engine/distributed/signature.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/shape.hpp"

namespace metagrad::distributed::detail {
namespace {

// The longest description exchanged when the ranks disagree (longer ones are cut).
constexpr size_t kMaxDescription = 2048;

uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 1469598103934665603ULL;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

std::string describe_call(std::string_view op, const TensorList& tensors) {
  std::string text =
      fmt::format("{} with {} tensor{}", op, tensors.size(), tensors.size() == 1 ? "" : "s");
  for (size_t i = 0; i < tensors.size(); ++i) {
    text += i == 0 ? ": " : ", ";
    const Tensor& t = tensors[i];
    text += t.defined() ? fmt::format("{} {}", dtype_name(t.dtype()), shape_str(t.shape()))
                        : std::string("undefined");
  }
  return text;
}

void agree_on_call(Communicator& comm, std::string_view op, const std::string& description) {
  const int size = comm.size();
  if (size == 1) {
    comm.meet(nullptr, nullptr, 0, op);  // refuses on an aborted group
    return;
  }
  const uint64_t mine = fnv1a(description);
  std::vector<uint64_t> hashes(static_cast<size_t>(size));
  comm.meet(&mine, hashes.data(), sizeof(uint64_t), op);
  if (std::all_of(hashes.begin(), hashes.end(), [&](uint64_t h) { return h == hashes[0]; })) return;
  std::vector<char> mine_text(kMaxDescription, '\0');
  std::memcpy(mine_text.data(), description.data(),
              std::min(description.size(), kMaxDescription - 1));
  std::vector<char> texts(kMaxDescription * static_cast<size_t>(size));
  comm.all_gather(mine_text.data(), texts.data(), static_cast<int64_t>(kMaxDescription), op);
  const auto text_of = [&](size_t r) { return std::string(texts.data() + r * kMaxDescription); };
  size_t other = 1;
  while (other < hashes.size() && hashes[other] == hashes[0]) ++other;
  throw DistributedError(fmt::format(
      "{}: the ranks disagree: rank 0 calls {}, but rank {} calls {}. Every rank must make the "
      "same collective calls, with the same tensor counts, dtypes and shapes, in the same order",
      op, text_of(0), other, text_of(other)));
}

}  // namespace metagrad::distributed::detail
