#include "examples/common/glyph_bank.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <unordered_set>

#include "engine/error.hpp"
#include "engine/io/npy.hpp"

namespace metagrad::examples {

namespace {

// FNV-1a of a glyph's stroke characters: the render seed of a character does not depend on which
// font or position it came from.
uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ULL;
  return hash;
}

bool keep_glyph(const HersheyGlyph& glyph, const HersheySplitOptions& options) {
  if (glyph.num_points() < options.min_points) return false;
  int min_x = glyph.strokes[0][0].x, max_x = min_x, min_y = glyph.strokes[0][0].y, max_y = min_y;
  for (const auto& stroke : glyph.strokes) {
    for (const auto& p : stroke) {
      min_x = std::min(min_x, p.x), max_x = std::max(max_x, p.x);
      min_y = std::min(min_y, p.y), max_y = std::max(max_y, p.y);
    }
  }
  return std::max(max_x - min_x, max_y - min_y) >= options.min_extent;
}

void add_rendered(GlyphBank& bank, const HersheyGlyph& glyph, const std::string& alphabet,
                  const HersheySplitOptions& options) {
  const uint64_t glyph_seed = mix_seed(options.seed, fnv1a(glyph.raw));
  for (int drawer = 0; drawer < options.drawers; ++drawer) {
    const std::vector<float> image =
        render_glyph(glyph, mix_seed(glyph_seed, drawer), options.render);
    bank.pixels.insert(bank.pixels.end(), image.begin(), image.end());
  }
  bank.alphabet_of.push_back(alphabet);
  ++bank.base_classes;
}

}  // namespace

void GlyphBank::copy_image(int64_t cls, int64_t drawer, float* out) const {
  MG_CHECK(cls >= 0 && cls < num_classes() && drawer >= 0 && drawer < drawers,
           "GlyphBank::copy_image: class {} / drawer {} out of range ({} classes, {} drawers)", cls,
           drawer, num_classes(), drawers);
  const int64_t area = static_cast<int64_t>(size) * size;
  const float* src = pixels.data() + ((cls / rotations) * drawers + drawer) * area;
  const int turns = static_cast<int>(cls % rotations);
  if (turns == 0) {
    std::copy(src, src + area, out);
  } else {
    rotate_quarter_turns(src, out, size, turns);
  }
}

std::string hershey_alphabet(const std::string& font_name) {
  static const std::map<std::string, std::string> kAlphabet = {
      {"futural", "latin"},    {"futuram", "latin"},     {"rowmans", "latin"},
      {"rowmand", "latin"},    {"rowmant", "latin"},     {"timesr", "latin"},
      {"timesrb", "latin"},    {"timesi", "latin"},      {"timesib", "latin"},
      {"cursive", "script"},   {"scripts", "script"},    {"scriptc", "script"},
      {"gothgbt", "gothic"},   {"gothgrt", "gothic"},    {"gothiceng", "gothic"},
      {"gothicger", "gothic"}, {"gothicita", "gothic"},  {"gothitt", "gothic"},
      {"greek", "greek"},      {"greekc", "greek"},      {"greeks", "greek"},
      {"timesg", "greek"},     {"cyrillic", "cyrillic"}, {"cyrilc_1", "cyrillic"},
      {"mathlow", "math"},     {"mathupp", "math"},
  };
  const auto it = kAlphabet.find(font_name);
  return it == kAlphabet.end() ? font_name : it->second;
}

GlyphSplit make_hershey_split(const std::vector<HersheyFont>& fonts,
                              const HersheySplitOptions& options) {
  MG_CHECK(options.drawers >= 1, "make_hershey_split: drawers must be at least 1, got {}",
           options.drawers);
  const std::set<std::string> test_set(options.test_alphabets.begin(),
                                       options.test_alphabets.end());
  GlyphSplit split;
  for (GlyphBank* bank : {&split.train, &split.test}) {
    bank->drawers = options.drawers;
    bank->size = options.render.size;
    bank->rotations = options.rotations ? 4 : 1;
  }
  std::set<std::string> seen_alphabets;
  std::unordered_set<std::string> taken;  // stroke strings already used by some character
  // Training alphabets first, so that a glyph shared with a test alphabet stays in training.
  for (const bool testing : {false, true}) {
    GlyphBank& bank = testing ? split.test : split.train;
    for (const HersheyFont& font : fonts) {
      const std::string alphabet = hershey_alphabet(font.name);
      seen_alphabets.insert(alphabet);
      if (test_set.contains(alphabet) != testing) continue;
      for (const HersheyGlyph& glyph : font.glyphs) {
        if (!keep_glyph(glyph, options) || !taken.insert(glyph.raw).second) continue;
        add_rendered(bank, glyph, alphabet, options);
      }
    }
  }
  MG_CHECK(split.train.base_classes > 0 && split.test.base_classes > 0,
           "make_hershey_split: {} training and {} test characters; the fonts give the alphabets "
           "{} and the test alphabets are {}: both sides need at least one alphabet",
           split.train.base_classes, split.test.base_classes, seen_alphabets,
           options.test_alphabets);
  return split;
}

GlyphSplit load_omniglot_npy(const std::string& root, int imgsz) {
  const std::string path = (std::filesystem::path(root) / "omniglot.npy").string();
  const std::string expected = fmt::format(
      "float64 [1623, 20, 1, {0}, {0}] (classes, drawers, channel, height, width; any class "
      "count above {1} works, the first {1} being meta-training classes)",
      imgsz, kOmniglotTrainClasses);
  std::error_code ec;
  MG_CHECK(std::filesystem::is_regular_file(path, ec),
           "OmniglotNShot: '{}' not found. --data omniglot reads the omniglot.npy that TorchOpt's "
           "few-shot tutorial caches in its data folder, an array {}; pass that folder with "
           "--root, or use --data hershey",
           path, expected);
  Tensor data;
  try {
    data = load_npy(path);
  } catch (const Error& e) {
    MG_FAIL("OmniglotNShot: cannot read '{}' (expected {}): {}", path, expected, e.what());
  }
  const Dims& shape = data.shape();
  const bool ok_shape = shape.size() == 5 && shape[0] > kOmniglotTrainClasses && shape[1] == 20 &&
                        shape[2] == 1 && shape[3] == imgsz && shape[4] == imgsz;
  MG_CHECK(data.dtype() == kFloat64 && ok_shape,
           "OmniglotNShot: '{}' holds a {} array of shape {}; expected {}", path,
           dtype_name(data.dtype()), shape_str(shape), expected);
  const std::vector<float> values = data.to_vector<float>();
  GlyphSplit split;
  const int64_t per_class = 20 * static_cast<int64_t>(imgsz) * imgsz;
  const auto train_end = values.begin() + kOmniglotTrainClasses * per_class;
  split.train.pixels.assign(values.begin(), train_end);
  split.test.pixels.assign(train_end, values.end());
  split.train.base_classes = kOmniglotTrainClasses;
  split.test.base_classes = shape[0] - kOmniglotTrainClasses;
  for (GlyphBank* bank : {&split.train, &split.test}) {
    bank->drawers = 20;
    bank->size = imgsz;
    bank->rotations = 1;
  }
  return split;
}

}  // namespace metagrad::examples
