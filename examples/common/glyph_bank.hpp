#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "examples/common/glyph_render.hpp"
#include "examples/common/hershey.hpp"

// The character images a few-shot loader samples from, and the two ways to fill them: rendering
// the Hershey fonts (the offline stand-in for Omniglot) and reading the omniglot.npy cache of
// TorchOpt's tutorial.

namespace metagrad::examples {

/// Images of characters, each drawn by the same number of "drawers":
/// pixels [base_classes, drawers, size, size] (float, 1 = paper). With rotations = 4, class c is
/// base character c / 4 turned by (c % 4) x 90 degrees, as the MAML paper augments Omniglot.
struct GlyphBank {
  int64_t base_classes = 0;
  int64_t drawers = 0;
  int size = 0;
  /// 1 (no augmentation) or 4 (each character and its three quarter turns).
  int rotations = 1;
  std::vector<float> pixels;
  /// The alphabet of each base class (empty when unknown).
  std::vector<std::string> alphabet_of;

  /// Number of classes: base_classes * rotations.
  int64_t num_classes() const { return base_classes * rotations; }
  /// Writes image `drawer` of class `cls` (rotated as the class says) into out[size * size].
  void copy_image(int64_t cls, int64_t drawer, float* out) const;
};

/// A meta-training and a meta-test set of disjoint classes.
struct GlyphSplit {
  GlyphBank train;
  GlyphBank test;
};

/// How the Hershey stand-in is built from the fonts.
struct HersheySplitOptions {
  /// Alphabets (see hershey_alphabet) whose characters are held out for meta-testing.
  std::vector<std::string> test_alphabets = {"greek", "japanese", "symbolic"};
  /// Renders per character (Omniglot has 20 drawers).
  int drawers = 20;
  /// Base seed of the renders; a render's seed mixes it with the glyph's strokes and the drawer,
  /// so the data set does not depend on the order of the fonts or on the training seed.
  uint64_t seed = 0;
  /// Add the three quarter turns of each character as new classes.
  bool rotations = true;
  /// Glyphs with fewer vertices, or whose larger side is below min_extent font units (full stops,
  /// commas), are skipped: they are the same dot in every font.
  size_t min_points = 2;
  int min_extent = 4;
  RenderOptions render;
};

/// The alphabet a font of hershey-fonts-data draws: fonts of one script in several styles share
/// it ("timesr", "rowmans", "futural" -> "latin"; "greekc", "timesg" -> "greek"; "gothgbt" ->
/// "gothic"; "cyrilc_1" -> "cyrillic"; "scripts" -> "script"; "mathupp" -> "math"), so that the
/// meta-test set holds whole scripts and not restyled copies of training characters. Any other
/// font name is its own alphabet.
std::string hershey_alphabet(const std::string& font_name);

/// Builds the Hershey stand-in for Omniglot: fonts are grouped into alphabets, glyphs are
/// characters, each rendered `drawers` times at options.render.size. A glyph whose strokes equal
/// those of a glyph already taken (the fonts share many glyphs) is dropped; training alphabets are
/// taken first, so no character of the meta-test set is also a training character. Throws
/// metagrad::Error when a side ends up with no character (the message lists the alphabets found).
GlyphSplit make_hershey_split(const std::vector<HersheyFont>& fonts,
                              const HersheySplitOptions& options = {});

/// Number of classes of omniglot.npy that TorchOpt's loader uses for meta-training (x[:1200]).
inline constexpr int64_t kOmniglotTrainClasses = 1200;

/// Reads `root`/omniglot.npy, the cache TorchOpt's tutorial writes: float64 [classes, 20, 1,
/// imgsz, imgsz] with values in [0, 1] (1623 classes at 28 x 28 for the real data); classes
/// 0..1199 are meta-training classes, the rest meta-test classes, as in the tutorial. Throws
/// metagrad::Error naming the file and the expected shape when the file is missing, unreadable,
/// or of another dtype or shape (more than 1200 classes are needed so that both sides are
/// non-empty).
GlyphSplit load_omniglot_npy(const std::string& root, int imgsz = 28);

}  // namespace metagrad::examples
