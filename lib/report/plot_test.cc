// Tests for lib/report/plot.h. They run the real gnuplot: it is a required
// dependency (scripts/setup.sh installs gnuplot-nox), so its absence fails.
#include "lib/report/plot.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lib/util/files.h"
#include "lib/util/test_tmpdir.h"

namespace mmc {
namespace {

std::string TestDir(const std::string& name) {
  return JoinPath(TestTmpPath("plot"), name);
}

std::string Read(const std::string& path) {
  const auto contents = ReadFileToString(path);
  EXPECT_TRUE(contents.ok()) << contents.status();
  return contents.ok() ? *contents : "";
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  return names;
}

Series Line(const std::string& label, std::vector<double> y) {
  Series s;
  s.label = label;
  for (size_t i = 0; i < y.size(); ++i) {
    s.x.push_back(y.size() == 1 ? 0.0
                                : static_cast<double>(i) / (y.size() - 1));
  }
  s.y = std::move(y);
  return s;
}

Panel AccuracyPanel(const std::string& title, std::vector<Series> series) {
  Panel p;
  p.title = title;
  p.x_label = "t";
  p.y_label = "accuracy (%)";
  p.y_min = 0;
  p.y_max = 100;
  p.series = std::move(series);
  return p;
}

Figure TwoPanelFigure() {
  Figure f;
  f.title = "Fig. 3: LMC between theta_C and theta_NC";
  f.columns = 2;
  f.panels.push_back(AccuracyPanel("NC", {Line("60%", {90, 87.5, 40, 85, 91}),
                                          Line("70%", {92, 80, 30, 75, 93})}));
  f.panels.push_back(
      AccuracyPanel("C", {Line("60%", {95, 70, 20, 60, 96}),
                          Line("70%", {97, 65.25, 10, 55, 98})}));
  return f;
}

// A missing gnuplot fails here with a plain message (not only as render
// errors).
TEST(PlotTest, GnuplotIsInstalled) {
  const bool found = access("/usr/bin/gnuplot", X_OK) == 0 ||
                     std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  ASSERT_TRUE(found) << "gnuplot is not installed (neither /usr/bin/gnuplot "
                        "nor on PATH); it is required for plots: run "
                        "scripts/setup.sh or apt-get install gnuplot-nox";
}

TEST(PlotTest, RendersTwoPanelFigure) {
  const std::string dir = TestDir("two");
  const std::string stem = JoinPath(dir, "fig");
  const absl::Status status = RenderFigure(stem, TwoPanelFigure());
  ASSERT_TRUE(status.ok()) << status;

  const std::string svg = Read(stem + ".svg");
  EXPECT_TRUE(svg.rfind("<?xml", 0) == 0 ||
              svg.find("<svg") != std::string::npos)
      << svg.substr(0, 200);
  EXPECT_NE(svg.find("theta_C"), std::string::npos);  // Underscore literal.

  const std::string png = Read(stem + ".png");
  ASSERT_GE(png.size(), 8u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));

  const std::string dat = Read(stem + ".dat");
  EXPECT_NE(dat.find("0.25 87.5\n"), std::string::npos) << dat;
  EXPECT_NE(dat.find("0.25 65.25\n"), std::string::npos) << dat;
  EXPECT_NE(dat.find("panel 2 \"C\", series 2 \"70%\""), std::string::npos)
      << dat;

  const std::string gp = Read(stem + ".gp");
  EXPECT_NE(gp.find("set title 'NC'"), std::string::npos) << gp;
  EXPECT_NE(gp.find("set title 'C'"), std::string::npos) << gp;
  EXPECT_NE(gp.find("set multiplot title 'Fig. 3: LMC"), std::string::npos)
      << gp;
  // Two 360x280 panels side by side, plus strips for the title and the key.
  EXPECT_NE(gp.find("svg size 720,346 "), std::string::npos) << gp;
  EXPECT_NE(gp.find("pngcairo size 720,346 "), std::string::npos) << gp;
  EXPECT_NE(gp.find("set yrange [0:100]"), std::string::npos) << gp;
  // The saved script names its files relative to its own directory.
  EXPECT_NE(gp.find("'fig.dat'"), std::string::npos) << gp;
  EXPECT_NE(gp.find("'fig.svg'"), std::string::npos) << gp;
  EXPECT_NE(gp.find("'fig.png'"), std::string::npos) << gp;

  // Only the four outputs remain: no temporary files.
  std::vector<std::string> names = ListDir(dir);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"fig.dat", "fig.gp", "fig.png",
                                             "fig.svg"}));
}

TEST(PlotTest, ScriptUsesOneStylePerLabelAndASharedKey) {
  const std::string gp =
      GnuplotScript(TwoPanelFigure(), "d.dat", "o.svg", "o.png");
  for (const char* title : {"'NC'", "'C'"}) {
    EXPECT_NE(gp.find(std::string("set title ") + title), std::string::npos);
  }
  // Four data blocks; a label has the same line style in every panel.
  for (const char* plot :
       {"mmc_data index 0 using 1:2 with linespoints ls 1 notitle",
        "mmc_data index 1 using 1:2 with linespoints ls 2 notitle",
        "mmc_data index 2 using 1:2 with linespoints ls 1 notitle",
        "mmc_data index 3 using 1:2 with linespoints ls 2 notitle"}) {
    EXPECT_NE(gp.find(plot), std::string::npos) << plot << "\n" << gp;
  }
  // One key for the figure, one entry per label.
  const std::string entry = "NaN with linespoints ls 1 title '60%'";
  EXPECT_NE(gp.find(entry), std::string::npos) << gp;
  EXPECT_EQ(gp.find(entry, gp.find(entry) + 1), std::string::npos) << gp;
  EXPECT_NE(gp.find("NaN with linespoints ls 2 title '70%'"), std::string::npos)
      << gp;
  EXPECT_NE(gp.find("noenhanced"), std::string::npos);
  EXPECT_NE(gp.find("set output 'o.svg'"), std::string::npos);
  EXPECT_NE(gp.find("set output 'o.png'"), std::string::npos);
}

TEST(PlotTest, QuotesAndUnderscoresInTitles) {
  Figure f = TwoPanelFigure();
  f.title = "it's \"theta_NC\" vs theta_C";
  f.panels[0].title = "NC_set 'x'";
  f.panels[0].y_label = "acc_%";
  f.panels[0].series[0].label = "c=0.6 \"a_b\"";
  const std::string stem = JoinPath(TestDir("quotes"), "fig");
  const absl::Status status = RenderFigure(stem, f);
  ASSERT_TRUE(status.ok()) << status;
  const std::string gp = Read(stem + ".gp");
  EXPECT_NE(gp.find("title 'it''s \"theta_NC\" vs theta_C'"), std::string::npos)
      << gp;
  EXPECT_NE(gp.find("set title 'NC_set ''x'''"), std::string::npos) << gp;
  EXPECT_NE(gp.find("title 'c=0.6 \"a_b\"'"), std::string::npos) << gp;
  const std::string svg = Read(stem + ".svg");
  EXPECT_NE(svg.find("NC_set"), std::string::npos);
  EXPECT_NE(svg.find("theta_NC"), std::string::npos);
}

TEST(PlotTest, SkipsEmptyAndNanOnlySeries) {
  Figure f = TwoPanelFigure();
  f.panels[0].series.push_back(Line("all-nan", {NAN, NAN, NAN}));
  f.panels[1].series.insert(f.panels[1].series.begin(), Line("empty", {}));
  const std::string stem = JoinPath(TestDir("nan"), "fig");
  const absl::Status status = RenderFigure(stem, f);
  ASSERT_TRUE(status.ok()) << status;
  const std::string gp = Read(stem + ".gp");
  EXPECT_EQ(gp.find("all-nan"), std::string::npos) << gp;
  EXPECT_EQ(gp.find("'empty'"), std::string::npos) << gp;
  EXPECT_EQ(gp.find("index 4"), std::string::npos) << gp;
  EXPECT_EQ(Read(stem + ".dat").find("all-nan"), std::string::npos);
  EXPECT_TRUE(FileExists(stem + ".png"));
}

TEST(PlotTest, NanPointsAreGapsWithinOneBlock) {
  Figure f;
  f.panels.push_back(
      AccuracyPanel("RI", {Line("60%", {NAN, 50, NAN, NAN, 60, 70, NAN})}));
  const std::string stem = JoinPath(TestDir("gaps"), "fig");
  const absl::Status status = RenderFigure(stem, f);
  ASSERT_TRUE(status.ok()) << status;
  const std::string dat = Read(stem + ".dat");
  // One blank line (a gap) between 50 and 60; none before or after the data.
  EXPECT_NE(dat.find("\n# x y\n0.1666666667 50\n\n0.6666666667 60\n"
                     "0.8333333333 70\n"),
            std::string::npos)
      << dat;
  EXPECT_EQ(dat.find("\n\n\n"), std::string::npos) << dat;
  EXPECT_TRUE(dat.size() > 0 && dat.back() == '\n' &&
              dat.substr(dat.size() - 2) != "\n\n")
      << dat;
}

TEST(PlotTest, PanelWithoutDataStillRenders) {
  Figure f = TwoPanelFigure();
  f.columns = 4;
  f.panels.push_back(AccuracyPanel("RC", {Line("60%", {NAN})}));
  f.panels.push_back(AccuracyPanel("RI", {}));
  f.panels.push_back(AccuracyPanel("extra", {Line("80%", {10, 20})}));
  const std::string stem = JoinPath(TestDir("empty_panel"), "fig");
  const absl::Status status = RenderFigure(stem, f);
  ASSERT_TRUE(status.ok()) << status;
  const std::string gp = Read(stem + ".gp");
  // Five panels in rows of four: a 4x2 grid.
  EXPECT_NE(gp.find("svg size 1440,626 "), std::string::npos) << gp;
  EXPECT_NE(gp.find("'no data'"), std::string::npos) << gp;
  EXPECT_TRUE(FileExists(stem + ".svg"));
  EXPECT_TRUE(FileExists(stem + ".png"));
}

TEST(PlotTest, RendersPaperSizedFigure) {
  // As Fig. 3: four evaluation sets, five cue proportions, 21 points on t.
  Figure f;
  f.title = "theta_C to theta_NC (linear path)";
  for (const char* set : {"NC", "C", "RC", "RI"}) {
    std::vector<Series> series;
    for (int c = 60; c <= 100; c += 10) {
      std::vector<double> y;
      for (int i = 0; i <= 20; ++i) {
        const double t = i / 20.0;
        y.push_back(95 - (c - 50) * 0.8 * std::sin(M_PI * t));
      }
      series.push_back(Line(std::to_string(c) + "%", y));
    }
    f.panels.push_back(AccuracyPanel(set, series));
  }
  const std::string stem = JoinPath(TestDir("paper"), "fig");
  const absl::Status status = RenderFigure(stem, f);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_NE(Read(stem + ".gp").find("svg size 1440,346 "), std::string::npos);
}

TEST(PlotTest, WrapsALongKey) {
  Figure f;
  std::vector<Series> series;
  for (int i = 0; i < 9; ++i) {
    series.push_back(
        Line("a rather long label " + std::to_string(i), {10.0 * i, 50}));
  }
  f.panels.push_back(AccuracyPanel("one panel", series));
  const std::string stem = JoinPath(TestDir("long_key"), "fig");
  const absl::Status status = RenderFigure(stem, f);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_TRUE(FileExists(stem + ".png"));
}

TEST(PlotTest, RejectsMalformedFigures) {
  const std::string stem = JoinPath(TestDir("bad"), "fig");
  EXPECT_EQ(RenderFigure(stem, Figure()).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderFigure(TestDir("bad") + "/", TwoPanelFigure()).code(),
            absl::StatusCode::kInvalidArgument);
  Figure f = TwoPanelFigure();
  f.panels[1].series[0].y.pop_back();
  const absl::Status status = RenderFigure(stem, f);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find("5 x values but 4 y values"),
            std::string::npos)
      << status;
}

// Restores MMC_GNUPLOT when a test is done with it.
class GnuplotOverride {
 public:
  explicit GnuplotOverride(const char* binary) {
    setenv("MMC_GNUPLOT", binary, 1);
  }
  ~GnuplotOverride() { unsetenv("MMC_GNUPLOT"); }
};

TEST(PlotTest, MissingGnuplotIsAnError) {
  const std::string stem = JoinPath(TestDir("missing"), "fig");
  {
    GnuplotOverride override("/nonexistent/gnuplot");
    const absl::Status status = RenderFigure(stem, TwoPanelFigure());
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
    EXPECT_NE(status.message().find("gnuplot-nox"), std::string::npos)
        << status;
  }
  {
    GnuplotOverride override("mmc-no-such-gnuplot");
    const absl::Status status = RenderFigure(stem, TwoPanelFigure());
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  }
  EXPECT_FALSE(FileExists(stem + ".svg"));
  EXPECT_FALSE(FileExists(stem + ".png"));
}

TEST(PlotTest, FailingGnuplotIsAnErrorWithItsOutput) {
  // A stand-in for gnuplot that complains on stderr and fails.
  const std::string fake = JoinPath(TestDir("failing"), "fake_gnuplot.sh");
  ASSERT_TRUE(WriteFileAtomically(
                  fake, "#!/bin/sh\necho \"line 3: bad things\" >&2\nexit 1\n")
                  .ok());
  ASSERT_EQ(chmod(fake.c_str(), 0755), 0);
  GnuplotOverride override(fake.c_str());
  const std::string stem = JoinPath(TestDir("failing"), "fig");
  const absl::Status status = RenderFigure(stem, TwoPanelFigure());
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_NE(status.message().find("exited with status 1"), std::string::npos)
      << status;
  EXPECT_NE(status.message().find("line 3: bad things"), std::string::npos)
      << status;
  // The data and script stay; no images, no temporary files.
  std::vector<std::string> names = ListDir(TestDir("failing"));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{"fake_gnuplot.sh", "fig.dat", "fig.gp"}));
}

}  // namespace
}  // namespace mmc
