// Few-shot task sampling: shapes, labels, support/query consistency and disjoint splits on banks
// whose pixels name their class and drawer; the Hershey split (alphabets, duplicates, rotations);
// omniglot.npy files written here in the tutorial's layout, and the wrong ones.
#include <filesystem>
#include <map>
#include <set>

#include "examples/common/omniglot_nshot.hpp"
#include "metagrad.hpp"
#include "tests/examples_data/data_support.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;
using namespace metagrad::examples;
using namespace metagrad::testing;

namespace {

// A bank whose image (c, d) has pixel 0 = first_id + c and pixel 1 = d (no rotations).
GlyphBank tagged_bank(int64_t classes, int64_t drawers, int size, int64_t first_id) {
  GlyphBank bank;
  bank.base_classes = classes, bank.drawers = drawers, bank.size = size;
  bank.pixels.assign(static_cast<size_t>(classes * drawers * size * size), 0.5f);
  for (int64_t c = 0; c < classes; ++c) {
    for (int64_t d = 0; d < drawers; ++d) {
      float* img = bank.pixels.data() + (c * drawers + d) * size * size;
      img[0] = static_cast<float>(first_id + c);
      img[1] = static_cast<float>(d);
    }
  }
  return bank;
}

GlyphSplit tagged_split() { return {tagged_bank(30, 6, 5, 0), tagged_bank(10, 6, 5, 1000)}; }

struct Drawn {
  int64_t label, cls, drawer;
};

// (label, class id, drawer) of every image of task `t` in x [B, n, 1, S, S] / y [B, n].
std::vector<Drawn> decode(const Tensor& x, const Tensor& y, int64_t t) {
  const int64_t n = x.size(1), area = x.size(3) * x.size(4);
  const std::vector<float> px = x.select(0, t).contiguous().to_vector<float>();
  const std::vector<int64_t> labels = y.select(0, t).contiguous().to_vector<int64_t>();
  std::vector<Drawn> out;
  for (int64_t i = 0; i < n; ++i)
    out.push_back(
        {labels[i], static_cast<int64_t>(px[i * area]), static_cast<int64_t>(px[i * area + 1])});
  return out;
}

// Checks one batch and returns the class ids it used.
std::set<int64_t> check_batch(const NShotBatch& b, int64_t tasks, int64_t n_way, int64_t k_shot,
                              int64_t k_query, int64_t size) {
  REQUIRE(b.x_spt.shape() == Dims{tasks, n_way * k_shot, 1, size, size});
  REQUIRE(b.x_qry.shape() == Dims{tasks, n_way * k_query, 1, size, size});
  REQUIRE(b.y_spt.shape() == Dims{tasks, n_way * k_shot});
  REQUIRE(b.y_qry.shape() == Dims{tasks, n_way * k_query});
  CHECK(b.x_spt.dtype() == kFloat32);
  CHECK(b.y_spt.dtype() == kInt64);
  std::set<int64_t> used;
  for (int64_t t = 0; t < tasks; ++t) {
    std::map<int64_t, int64_t> class_of;  // label -> class, from the support set
    std::map<int64_t, int64_t> count_spt, count_qry;
    std::set<std::pair<int64_t, int64_t>> images;  // (class, drawer): each drawn once per task
    for (const Drawn& d : decode(b.x_spt, b.y_spt, t)) {
      REQUIRE((d.label >= 0 && d.label < n_way));
      const auto [it, fresh] = class_of.emplace(d.label, d.cls);
      CHECK(it->second == d.cls);
      ++count_spt[d.label];
      CHECK(images.insert({d.cls, d.drawer}).second);
    }
    for (const Drawn& d : decode(b.x_qry, b.y_qry, t)) {
      REQUIRE((d.label >= 0 && d.label < n_way));
      REQUIRE(class_of.count(d.label) == 1);
      CHECK(class_of[d.label] == d.cls);  // query label j is the support's class j
      ++count_qry[d.label];
      CHECK(images.insert({d.cls, d.drawer}).second);
    }
    std::set<int64_t> classes;
    for (const auto& [label, cls] : class_of) classes.insert(cls);
    CHECK(classes.size() == static_cast<size_t>(n_way));  // n_way distinct classes
    for (int64_t j = 0; j < n_way; ++j) {
      CHECK(count_spt[j] == k_shot);
      CHECK(count_qry[j] == k_query);
    }
    used.insert(classes.begin(), classes.end());
  }
  return used;
}

HersheyGlyph glyph(std::string raw, std::vector<std::vector<HersheyPoint>> strokes) {
  HersheyGlyph g;
  g.raw = std::move(raw);
  g.strokes = std::move(strokes);
  return g;
}

// omniglot.npy with value (c * 20 + d) / (classes * 20) in every pixel of image (c, d).
void write_omniglot(const std::string& path, int64_t classes, int64_t h, int64_t w,
                    DType dtype = kFloat64) {
  Tensor ids =
      arange(static_cast<double>(classes * 20), kFloat64) / static_cast<double>(classes * 20);
  Tensor data = ids.reshape({classes, 20, 1, 1, 1}).expand({classes, 20, 1, h, w}).contiguous();
  save_npy(data.to(dtype), path);
}

}  // namespace

TEST_CASE("OmniglotNShot samples N-way K-shot tasks with consistent labels", "[examples][nshot]") {
  OmniglotNShot db(tagged_split(), 3, 4, 2, 3, 5, std::mt19937_64(7));
  std::set<int64_t> train_used, test_used;
  for (int i = 0; i < 5; ++i) {
    for (int64_t c : check_batch(db.next("train"), 3, 4, 2, 3, 5)) train_used.insert(c);
    for (int64_t c : check_batch(db.next("test"), 3, 4, 2, 3, 5)) test_used.insert(c);
  }
  // Training classes come from the train bank (ids 0..29), test classes from the test bank.
  CHECK(*train_used.rbegin() < 30);
  CHECK(*test_used.begin() >= 1000);
  CHECK(train_used.size() > 15);  // many classes get visited
  CHECK(test_used.size() >= 8);

  // The batches are a function of the seed.
  OmniglotNShot same(tagged_split(), 3, 4, 2, 3, 5, std::mt19937_64(7));
  OmniglotNShot other(tagged_split(), 3, 4, 2, 3, 5, std::mt19937_64(8));
  const NShotBatch a = same.next(), b = other.next();
  OmniglotNShot again(tagged_split(), 3, 4, 2, 3, 5, std::mt19937_64(7));
  const NShotBatch c = again.next();
  CHECK(a.x_spt.to_vector<float>() == c.x_spt.to_vector<float>());
  CHECK(a.y_qry.to_vector<int64_t>() == c.y_qry.to_vector<int64_t>());
  CHECK(a.x_qry.to_vector<float>() != b.x_qry.to_vector<float>());
}

TEST_CASE("OmniglotNShot continues from a restored rng position", "[examples][nshot]") {
  OmniglotNShot db(tagged_split(), 2, 3, 1, 2, 5, std::mt19937_64(11));
  db.next("train");
  db.next("test");
  const std::mt19937_64 position = db.rng();
  const NShotBatch train = db.next("train"), test = db.next("test");
  // Another sampler (another seed, other draws) moved to the saved position.
  OmniglotNShot resumed(tagged_split(), 2, 3, 1, 2, 5, std::mt19937_64(99));
  resumed.next("train");
  resumed.set_rng(position);
  CHECK(resumed.rng() == position);
  const NShotBatch train2 = resumed.next("train"), test2 = resumed.next("test");
  CHECK(train2.x_spt.to_vector<float>() == train.x_spt.to_vector<float>());
  CHECK(train2.y_spt.to_vector<int64_t>() == train.y_spt.to_vector<int64_t>());
  CHECK(train2.x_qry.to_vector<float>() == train.x_qry.to_vector<float>());
  CHECK(train2.y_qry.to_vector<int64_t>() == train.y_qry.to_vector<int64_t>());
  CHECK(test2.x_qry.to_vector<float>() == test.x_qry.to_vector<float>());
  CHECK(resumed.rng() == db.rng());
}

TEST_CASE("OmniglotNShot rejects impossible task sizes", "[examples][nshot]") {
  CHECK_THROWS_WITH(OmniglotNShot(tagged_split(), 1, 2, 4, 3, 5, std::mt19937_64(1)),
                    MG_CONTAINS("k_shot + k_query = 4 + 3 exceeds the 6 drawings"));
  CHECK_THROWS_WITH(OmniglotNShot(tagged_split(), 1, 11, 1, 1, 5, std::mt19937_64(1)),
                    MG_CONTAINS("n_way = 11 exceeds the 10 classes of the test set"));
  CHECK_THROWS_WITH(OmniglotNShot(tagged_split(), 1, 2, 1, 1, 28, std::mt19937_64(1)),
                    MG_CONTAINS("imgsz is 28"));
  CHECK_THROWS_WITH(OmniglotNShot(tagged_split(), 0, 2, 1, 1, 5, std::mt19937_64(1)),
                    MG_CONTAINS("at least 1"));
  OmniglotNShot db(tagged_split(), 1, 2, 1, 1, 5, std::mt19937_64(1));
  CHECK_THROWS_WITH(db.next("val"), MG_CONTAINS("\"train\" or \"test\""));
}

TEST_CASE("GlyphBank classes beyond the base characters are quarter turns", "[examples][nshot]") {
  GlyphBank bank;
  bank.base_classes = 2, bank.drawers = 1, bank.size = 3, bank.rotations = 4;
  bank.pixels = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18};
  REQUIRE(bank.num_classes() == 8);
  std::vector<float> out(9);
  bank.copy_image(0, 0, out.data());
  CHECK(out == std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8});
  bank.copy_image(1, 0, out.data());
  CHECK(out == std::vector<float>{2, 5, 8, 1, 4, 7, 0, 3, 6});
  bank.copy_image(6, 0, out.data());  // character 1 turned twice
  CHECK(out == std::vector<float>{18, 17, 16, 15, 14, 13, 12, 11, 10});
  CHECK_THROWS_WITH(bank.copy_image(8, 0, out.data()), MG_CONTAINS("out of range"));
}

TEST_CASE("make_hershey_split holds out whole alphabets without shared glyphs",
          "[examples][nshot]") {
  const auto bar = glyph("RFRT", {{{0, -12}, {0, 2}}});
  const auto box = glyph("JFZFZZJZJF", {{{-8, -12}, {8, -12}, {8, 8}, {-8, 8}, {-8, -12}}});
  const auto vee = glyph("JFRZZF", {{{-8, -12}, {0, 8}, {8, -12}}});
  const auto dot = glyph("RQSR", {{{0, -1}, {1, 0}}});  // extent 1: skipped
  const auto blank = glyph("", {});                     // no strokes: skipped
  const auto cross = glyph("JRZR RRFRZ", {{{-8, 0}, {8, 0}}, {{0, -12}, {0, 8}}});
  // "timesr" and "rowmans" are both the latin alphabet; "greek" is held out by default.
  const std::vector<HersheyFont> fonts = {
      {"greek", {bar, cross, dot}}, {"timesr", {bar, box, blank}}, {"rowmans", {box, vee}}};
  HersheySplitOptions options;
  options.drawers = 3;
  options.render.size = 12;
  const GlyphSplit split = make_hershey_split(fonts, options);
  // Train: bar, box, vee (latin, duplicates dropped); test: cross only (its bar is a latin glyph).
  CHECK(split.train.base_classes == 3);
  CHECK(split.test.base_classes == 1);
  CHECK(split.train.num_classes() == 12);
  CHECK(split.test.num_classes() == 4);
  CHECK(split.train.alphabet_of == std::vector<std::string>{"latin", "latin", "latin"});
  CHECK(split.test.alphabet_of == std::vector<std::string>{"greek"});
  CHECK(split.train.pixels.size() == 3u * 3 * 12 * 12);
  // A character's renders depend on its strokes, not on which font or position it came from.
  const GlyphSplit alone = make_hershey_split({{"timesr", {vee}}, {"greek", {cross}}}, options);
  const size_t per_class = 3 * 12 * 12;
  CHECK(std::vector<float>(alone.train.pixels.begin(), alone.train.pixels.begin() + per_class) ==
        std::vector<float>(split.train.pixels.begin() + 2 * per_class, split.train.pixels.end()));
  CHECK(alone.test.pixels == split.test.pixels);
  // The drawers of a character differ.
  CHECK(std::vector<float>(split.train.pixels.begin(), split.train.pixels.begin() + 144) !=
        std::vector<float>(split.train.pixels.begin() + 144, split.train.pixels.begin() + 288));

  options.test_alphabets = {"cyrillic"};
  CHECK_THROWS_WITH(make_hershey_split(fonts, options),
                    MG_CONTAINS("0 test characters") && MG_CONTAINS("greek"));
}

TEST_CASE("omniglot.npy in the tutorial's layout is split at class 1200", "[examples][nshot]") {
  TempDir dir;
  write_omniglot(dir.file("omniglot.npy"), 1203, 4, 4);
  const GlyphSplit split = load_omniglot_npy(dir.path(), 4);
  CHECK(split.train.num_classes() == 1200);
  CHECK(split.test.num_classes() == 3);
  CHECK(split.test.drawers == 20);
  std::vector<float> img(16);
  split.test.copy_image(1, 7, img.data());  // class 1201, drawer 7
  CHECK(img[5] == Catch::Approx((1201.0 * 20 + 7) / (1203.0 * 20)).epsilon(1e-6));

  OmniglotNShot db(dir.path(), 2, 3, 1, 2, 4, std::mt19937_64(3), kCPU, GlyphSource::omniglot);
  const NShotBatch b = db.next("test");
  REQUIRE(b.x_qry.shape() == Dims{2, 6, 1, 4, 4});
  for (float v : b.x_qry.to_vector<float>()) CHECK(v >= static_cast<float>(1200.0 / 1203.0 - 1e-6));
  for (float v : db.next("train").x_spt.to_vector<float>())
    CHECK(v < static_cast<float>(1200.0 / 1203.0));
}

TEST_CASE("a missing or differently shaped omniglot.npy fails clearly", "[examples][nshot]") {
  TempDir dir;
  const std::string path = dir.file("omniglot.npy");
  CHECK_THROWS_WITH(load_omniglot_npy(dir.path()),
                    MG_CONTAINS(path) && MG_CONTAINS("not found") &&
                        MG_CONTAINS("float64 [1623, 20, 1, 28, 28]"));
  write_omniglot(path, 1203, 4, 5);
  CHECK_THROWS_WITH(load_omniglot_npy(dir.path(), 4),
                    MG_CONTAINS(path) && MG_CONTAINS("[1203, 20, 1, 4, 5]") &&
                        MG_CONTAINS("expected float64 [1623, 20, 1, 4, 4]"));
  write_omniglot(path, 1000, 4, 4);
  CHECK_THROWS_WITH(load_omniglot_npy(dir.path(), 4),
                    MG_CONTAINS("[1000, 20, 1, 4, 4]") && MG_CONTAINS("above 1200"));
  write_omniglot(path, 1203, 4, 4, kFloat32);
  CHECK_THROWS_WITH(load_omniglot_npy(dir.path(), 4), MG_CONTAINS("float32"));
  write_text(path, "not an npy file");
  CHECK_THROWS_WITH(load_omniglot_npy(dir.path(), 4),
                    MG_CONTAINS("cannot read") && MG_CONTAINS(path));
  CHECK_THROWS_WITH(
      OmniglotNShot(dir.path(), 1, 5, 1, 1, 4, std::mt19937_64(1), kCPU, GlyphSource::omniglot),
      MG_CONTAINS("expected float64"));
}

TEST_CASE("the Hershey stand-in built from the installed fonts", "[examples][nshot][real]") {
  if (!std::filesystem::is_directory(kHersheyFontDir))
    MG_SKIP("hershey-fonts-data is not installed (no /usr/share/hershey-fonts)");
  OmniglotNShot db(kHersheyFontDir, 2, 5, 1, 15, 28, std::mt19937_64(1));
  const GlyphBank& train = db.train_set();
  const GlyphBank& test = db.test_set();
  CHECK(train.num_classes() > 2000);
  CHECK(test.num_classes() > 800);
  CHECK(train.num_classes() % 4 == 0);
  CHECK(train.drawers == 20);
  const std::set<std::string> test_alphabets(test.alphabet_of.begin(), test.alphabet_of.end());
  CHECK(test_alphabets == std::set<std::string>{"greek", "japanese", "symbolic"});
  for (const auto& a : train.alphabet_of) REQUIRE(test_alphabets.count(a) == 0);
  const NShotBatch b = db.next("test");
  CHECK(b.x_spt.shape() == Dims{2, 5, 1, 28, 28});
  const std::vector<float> px = b.x_qry.to_vector<float>();
  const auto dark = std::count_if(px.begin(), px.end(), [](float v) { return v < 0.5f; });
  CHECK(dark > static_cast<long>(px.size() / 50));  // ink on white paper
  CHECK(dark < static_cast<long>(px.size() / 2));
}
