// The few-shot runs' checkpoint strings (examples/common/few_shot_checkpoint): every field round
// trips bit for bit (the sampler continues with the same numbers), malformed entries and other
// options are errors naming the program, the file and the entry.
#include "examples/common/few_shot_checkpoint.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "metagrad.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;
using namespace metagrad::examples;

namespace {

FewShotRunState sample_state() {
  FewShotRunState s;
  s.epoch = 2;
  s.step = 37;
  s.sampler = std::mt19937_64(5);
  s.sampler.discard(1001);
  s.generator = {0xfedcba9876543210ULL, (uint64_t{1} << 60) + 3};
  s.log = {{0.0, "test", 1.6094379124341003, 20.0, 1.25},
           {0.01, "train", 0.1 + 0.2, 100.0 / 3.0, 2.5e-7},
           {0.02, "train", std::numeric_limits<double>::denorm_min(), 0.0, 1e300},
           {1.0, "test", std::nan(""), -0.0, 3.0}};
  s.train_seconds = 12.345678901234567;
  s.options = {{"n_way", "5"}, {"data", "hershey"}, {"root", "/a path/with spaces"}};
  return s;
}

std::vector<uint64_t> log_bits(const std::vector<FewShotLogEntry>& log) {
  std::vector<uint64_t> out;
  for (const FewShotLogEntry& e : log) {
    for (double v : {e.epoch, e.loss, e.acc, e.time}) out.push_back(std::bit_cast<uint64_t>(v));
  }
  return out;
}

}  // namespace

TEST_CASE("run states round trip bit for bit", "[examples][checkpoint]") {
  FewShotRunState s = sample_state();
  const std::map<std::string, std::string> extra = encode_run_state(s);
  CHECK(extra.at("epoch") == "2");
  CHECK(extra.at("step") == "37");
  CHECK(extra.at("generator") == "18364758544493064720 1152921504606846979");
  CHECK(extra.at("option.n_way") == "5");
  CHECK(extra.at("log").substr(0, 36) == "0,test,1.6094379124341003,20,1.25\n0.");

  const FewShotRunState back = decode_run_state(extra, "prog", "ckpt");
  CHECK(back.epoch == 2);
  CHECK(back.step == 37);
  CHECK(back.generator == s.generator);
  CHECK(back.options == s.options);
  CHECK(std::bit_cast<uint64_t>(back.train_seconds) == std::bit_cast<uint64_t>(s.train_seconds));
  REQUIRE(back.log.size() == s.log.size());
  CHECK(log_bits(back.log) == log_bits(s.log));
  for (size_t i = 0; i < s.log.size(); ++i) CHECK(back.log[i].mode == s.log[i].mode);
  // The engine is the same position: it continues with the same numbers.
  CHECK(back.sampler == s.sampler);
  std::mt19937_64 restored = back.sampler;
  for (int i = 0; i < 5; ++i) CHECK(restored() == s.sampler());

  // An empty log and no options round trip too.
  FewShotRunState empty;
  const FewShotRunState empty_back = decode_run_state(encode_run_state(empty), "prog", "ckpt");
  CHECK(empty_back.log.empty());
  CHECK(empty_back.options.empty());
  CHECK(empty_back.sampler == std::mt19937_64());
}

TEST_CASE("malformed run-state entries are errors naming the entry", "[examples][checkpoint]") {
  const std::map<std::string, std::string> good = encode_run_state(sample_state());
  auto rejects = [&](const std::string& key, const std::string& value, const std::string& part) {
    std::map<std::string, std::string> bad = good;
    if (value == "<erase>") {
      bad.erase(key);
    } else {
      bad[key] = value;
    }
    CHECK_THROWS_WITH(decode_run_state(bad, "maml_omniglot", "d/ckpt.safetensors"),
                      MG_CONTAINS("maml_omniglot: checkpoint 'd/ckpt.safetensors': " + part));
  };
  rejects("step", "<erase>", "the entry \"step\" is missing");
  rejects("epoch", "1x", "\"epoch\" is not a number: '1x'");
  rejects("step", "-1", "\"step\" must be at least 0, got -1");
  rejects("sampler", "1 2 3", "\"sampler\" is not the state of a std::mt19937_64");
  rejects("sampler", good.at("sampler") + " 7", "\"sampler\" is not the state");
  rejects("generator", "5", "\"generator\" must be '<seed> <offset>', got '5'");
  rejects("generator", "5 -1", "the generator's offset is not a number: '-1'");
  rejects("log", "0,test,1,2",
          "log row 1 must be 'epoch,train|test,loss,acc,time', got '0,test,1,2'");
  rejects("log", "0,test,1,2,3\n0,eval,1,2,3", "log row 2 must be");
  rejects("log", "0,test,1,2,3\n0,train,1,two,3", "log row 2 is not a number: 'two'");
  rejects("train_seconds", "", "\"train_seconds\" is not a number: ''");
}

TEST_CASE("check_resume_options names the first option that differs", "[examples][checkpoint]") {
  const std::map<std::string, std::string> saved = {{"n_way", "5"}, {"seed", "1"}};
  check_resume_options(saved, saved, "prog", "ckpt");
  CHECK_THROWS_WITH(check_resume_options(saved, {{"n_way", "5"}, {"seed", "2"}}, "prog", "ckpt"),
                    "prog: cannot resume from 'ckpt': it was written with --seed 1 but this run "
                    "has --seed 2; resume with the options of the checkpoint's run");
  CHECK_THROWS_WITH(check_resume_options(saved, {{"n_way", "5"}}, "prog", "ckpt"),
                    MG_CONTAINS("--seed 1 but this run has --seed (none)"));
  CHECK_THROWS_WITH(check_resume_options({{"n_way", "5"}}, saved, "prog", "ckpt"),
                    MG_CONTAINS("--seed (none) but this run has --seed 1"));
}
