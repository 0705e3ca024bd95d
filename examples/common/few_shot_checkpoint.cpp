#include "examples/common/few_shot_checkpoint.hpp"

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "engine/error.hpp"

namespace metagrad::examples {

namespace {

constexpr std::string_view kOptionPrefix = "option.";

// The number all of `text` spells (std::from_chars: exact for doubles), or nullopt.
template <typename T>
std::optional<T> whole_number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// `text` cut at each `separator` (an empty text has no parts).
std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  if (text.empty()) return parts;
  for (size_t start = 0;;) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// Reads the entries of a checkpoint's strings, naming the program and the file in every error.
class Decoder {
 public:
  Decoder(const std::map<std::string, std::string>& extra, std::string_view program,
          const std::string& path)
      : extra_(extra), program_(program), path_(path) {}

  template <typename... Args>
  [[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) const {
    MG_FAIL("{}: checkpoint '{}': {}", program_, path_,
            fmt::format(format, std::forward<Args>(args)...));
  }

  const std::string& text(const std::string& key) const {
    const auto it = extra_.find(key);
    if (it == extra_.end()) {
      fail("the entry \"{}\" is missing (was it written by another program?)", key);
    }
    return it->second;
  }

  template <typename T>
  T number(std::string_view what, std::string_view text) const {
    const std::optional<T> value = whole_number<T>(text);
    if (!value) fail("{} is not a number: '{}'", what, text);
    return *value;
  }

  int64_t count(const std::string& key) const {
    const auto value = number<int64_t>(fmt::format("\"{}\"", key), text(key));
    if (value < 0) fail("\"{}\" must be at least 0, got {}", key, value);
    return value;
  }

  std::mt19937_64 engine(const std::string& key) const {
    std::istringstream in(text(key));
    std::mt19937_64 engine;
    in >> engine;
    if (in.fail() || !(in >> std::ws).eof()) {
      fail("\"{}\" is not the state of a std::mt19937_64", key);
    }
    return engine;
  }

  GeneratorState generator(const std::string& key) const {
    const std::vector<std::string_view> parts = split(text(key), ' ');
    if (parts.size() != 2) fail("\"{}\" must be '<seed> <offset>', got '{}'", key, text(key));
    return {number<uint64_t>("the generator's seed", parts[0]),
            number<uint64_t>("the generator's offset", parts[1])};
  }

  std::vector<FewShotLogEntry> log(const std::string& key) const {
    std::vector<FewShotLogEntry> log;
    for (std::string_view line : split(text(key), '\n')) {
      const std::vector<std::string_view> f = split(line, ',');
      const std::string row = fmt::format("log row {}", log.size() + 1);
      if (f.size() != 5 || (f[1] != "train" && f[1] != "test")) {
        fail("{} must be 'epoch,train|test,loss,acc,time', got '{}'", row, line);
      }
      log.push_back({number<double>(row, f[0]), std::string(f[1]), number<double>(row, f[2]),
                     number<double>(row, f[3]), number<double>(row, f[4])});
    }
    return log;
  }

 private:
  const std::map<std::string, std::string>& extra_;
  std::string_view program_;
  const std::string& path_;
};

}  // namespace

std::map<std::string, std::string> encode_run_state(const FewShotRunState& state) {
  std::ostringstream sampler;
  sampler << state.sampler;
  std::string log;
  for (const FewShotLogEntry& e : state.log) {
    log += fmt::format("{}{},{},{},{},{}", log.empty() ? "" : "\n", e.epoch, e.mode, e.loss, e.acc,
                       e.time);
  }
  std::map<std::string, std::string> extra = {
      {"epoch", std::to_string(state.epoch)},
      {"step", std::to_string(state.step)},
      {"sampler", sampler.str()},
      {"generator", fmt::format("{} {}", state.generator.seed, state.generator.offset)},
      {"log", log},
      {"train_seconds", fmt::format("{}", state.train_seconds)},
  };
  for (const auto& [name, value] : state.options) {
    extra[fmt::format("{}{}", kOptionPrefix, name)] = value;
  }
  return extra;
}

FewShotRunState decode_run_state(const std::map<std::string, std::string>& extra,
                                 std::string_view program, const std::string& path) {
  const Decoder d(extra, program, path);
  FewShotRunState state;
  state.epoch = d.count("epoch");
  state.step = d.count("step");
  state.sampler = d.engine("sampler");
  state.generator = d.generator("generator");
  state.log = d.log("log");
  state.train_seconds = d.number<double>("\"train_seconds\"", d.text("train_seconds"));
  for (const auto& [key, value] : extra) {
    if (key.starts_with(kOptionPrefix)) state.options[key.substr(kOptionPrefix.size())] = value;
  }
  return state;
}

void check_resume_options(const std::map<std::string, std::string>& saved,
                          const std::map<std::string, std::string>& current,
                          std::string_view program, const std::string& path) {
  std::set<std::string> names;
  for (const auto& [name, value] : saved) names.insert(name);
  for (const auto& [name, value] : current) names.insert(name);
  for (const std::string& name : names) {
    const auto was = saved.find(name), now = current.find(name);
    const std::string was_text = was == saved.end() ? "(none)" : was->second;
    const std::string now_text = now == current.end() ? "(none)" : now->second;
    MG_CHECK(was_text == now_text,
             "{}: cannot resume from '{}': it was written with --{} {} but this run has --{} {}; "
             "resume with the options of the checkpoint's run",
             program, path, name, was_text, name, now_text);
  }
}

}  // namespace metagrad::examples
