// SVG plots (ticks, series, legend, escaping, errors) and progress lines (rate, ETA, terminal and
// plain output).
#include <cstdio>
#include <fstream>
#include <sstream>

#include "examples/common/progress.hpp"
#include "examples/common/svg_plot.hpp"
#include "metagrad.hpp"
#include "tests/examples_data/data_support.hpp"
#include "tests/support/catch.hpp"

using namespace metagrad;
using namespace metagrad::examples;
using namespace metagrad::testing;

namespace {

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buffer[256];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) out.append(buffer, n);
  return out;
}

}  // namespace

TEST_CASE("nice_ticks picks 1-2-5 steps inside the range", "[examples][plot]") {
  CHECK(nice_ticks(0, 10, 5) == std::vector<double>{0, 2, 4, 6, 8, 10});
  CHECK(nice_ticks(85, 100, 6) == std::vector<double>{85, 90, 95, 100});
  const std::vector<double> small = nice_ticks(0.013, 0.061, 5);
  CHECK(small.front() == Catch::Approx(0.02));
  CHECK(small.back() == Catch::Approx(0.06));
  CHECK(small.size() == 5);
  CHECK(nice_ticks(-3, 3, 6) == std::vector<double>{-3, -2, -1, 0, 1, 2, 3});
  CHECK(nice_ticks(2, 2) == std::vector<double>{2});
}

TEST_CASE("render_svg_plot draws every series with a legend", "[examples][plot]") {
  PlotSeries train{.label = "Train", .x = {0, 0.5, 1, 1.5, 2}, .y = {40, 55, 60, 72, 80}};
  PlotSeries test{.label = "Test <held-out>", .x = {1, 2}, .y = {50, 75}, .markers = true};
  PlotSeries gap{
      .label = "Gap", .x = {0, 1, 2, 3}, .y = {10, std::nan(""), 20, 30}, .color = "#123456"};
  const std::string svg = render_svg_plot({train, test, gap}, {.title = "MAML & co",
                                                               .xlabel = "Epoch",
                                                               .ylabel = "Accuracy",
                                                               .x_min = 0.0,
                                                               .x_max = 2.0,
                                                               .y_min = 0.0,
                                                               .y_max = 100.0});
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"400\"", 0) ==
        0);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(svg.find("MAML &amp; co") != std::string::npos);
  CHECK(svg.find("Test &lt;held-out&gt;") != std::string::npos);
  CHECK(svg.find(">Epoch</text>") != std::string::npos);
  // Series lines: train and test one polyline each, the gap series broken in two at the NaN.
  CHECK(occurrences(svg, "<polyline") == 4);
  CHECK(occurrences(svg, "stroke=\"#123456\"") == 3);  // two pieces and the legend sample
  CHECK(occurrences(svg, "<circle") == 2);             // markers of the test series
  // y ticks 0, 20, ..., 100 and x ticks 0, 0.5, ..., 2 (8 intervals wanted over 2 units).
  for (const char* label : {">0<", ">20<", ">100<"}) CHECK(svg.find(label) != std::string::npos);
  CHECK(svg.find(">0.5<") != std::string::npos);
  // The first train point (0, 40) sits at the left edge, 60% of the way down the plot area.
  CHECK(svg.find("points=\"72.00,222.40") != std::string::npos);

  TempDir dir;
  write_svg_plot(dir.file("p.svg"), {train}, {});
  std::ifstream in(dir.file("p.svg"));
  std::stringstream content;
  content << in.rdbuf();
  CHECK(content.str() == render_svg_plot({train}, {}));
}

TEST_CASE("render_svg_plot rejects bad input", "[examples][plot]") {
  PlotSeries bad{.label = "bad", .x = {1, 2, 3}, .y = {1, 2}};
  CHECK_THROWS_WITH(render_svg_plot({bad}, {}), MG_CONTAINS("'bad' has 3 x values but 2 y"));
  CHECK_THROWS_WITH(render_svg_plot({}, {.width = 100}), MG_CONTAINS("at least 200 x 150"));
  CHECK_THROWS_WITH(render_svg_plot({}, {.y_min = 5.0, .y_max = 5.0}), MG_CONTAINS("empty range"));
  // No data at all still gives a valid, empty plot.
  CHECK(render_svg_plot({}, {}).find("</svg>") != std::string::npos);
}

TEST_CASE("format_progress shows rate and time left", "[examples][progress]") {
  const ProgressInfo info{
      .epoch = 2, .epochs = 8, .step = 37, .steps = 120, .loss = 0.8134, .acc = 71.2};
  CHECK(format_progress(info, 157, 960, 50.0) ==
        "epoch 2/8 step 37/120 | loss 0.813 | acc 71.20% | 3.14 steps/s | ETA 4m16s");
  CHECK(format_progress(info, 0, 960, 0.0) ==
        "epoch 2/8 step 37/120 | loss 0.813 | acc 71.20% | -- steps/s | ETA --");
  const ProgressInfo regression{
      .epoch = 1, .epochs = 1, .step = 5, .steps = 10, .loss = 2.5, .show_acc = false};
  CHECK(format_progress(regression, 5, 10, 2.0) ==
        "epoch 1/1 step 5/10 | loss 2.500 | 2.50 steps/s | ETA 2s");
  CHECK(format_duration(3723.4) == "1h02m03s");
  CHECK(format_duration(65) == "1m05s");
  CHECK(format_duration(6.4) == "6s");
  CHECK(format_duration(-3) == "0s");
}

TEST_CASE("Progress rewrites one line on a terminal and prints plain lines otherwise",
          "[examples][progress]") {
  std::FILE* plain_out = std::tmpfile();
  REQUIRE(plain_out != nullptr);
  {
    Progress plain(6, plain_out, false, 2);
    CHECK_FALSE(plain.is_tty());
    for (int64_t s = 1; s <= 3; ++s) plain.step({.epoch = 1, .epochs = 2, .step = s, .steps = 3});
    plain.break_line();
    CHECK(plain.done() == 3);
  }
  const std::string text = read_all(plain_out);
  std::fclose(plain_out);
  // Steps 1 (first), 2 (every 2nd) and 3 (last of the epoch), one line each, no '\r'.
  CHECK(occurrences(text, "\n") == 3);
  CHECK(text.find('\r') == std::string::npos);
  CHECK(text.find("step 2/3") != std::string::npos);

  std::FILE* tty_out = std::tmpfile();
  REQUIRE(tty_out != nullptr);
  {
    Progress tty(4, tty_out, true);
    tty.step({.epoch = 1, .epochs = 1, .step = 1, .steps = 4});
    tty.step({.epoch = 1, .epochs = 1, .step = 2, .steps = 4});
    tty.break_line();
    tty.break_line();  // a second call adds nothing
  }
  const std::string shown = read_all(tty_out);
  std::fclose(tty_out);
  CHECK(occurrences(shown, "\r") == 2);
  CHECK(occurrences(shown, "\n") == 1);
  CHECK(shown.back() == '\n');
}
