// Implementation of lib/report/plot.h: the .dat/.gp text and running gnuplot.
#include "lib/report/plot.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "lib/util/files.h"

namespace mmc {
namespace {

// Line styles, assigned to series labels in order of first appearance.
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#e377c2", "#17becf",
                                   "#7f7f7f", "#bcbd22"};
constexpr int kPointTypes[] = {7, 5, 9, 13, 11, 15, 6, 4, 8, 12};
constexpr int kNumStyles = sizeof(kColors) / sizeof(kColors[0]);

// Layout, in pixels: the strip for the figure title; the key's rows and
// padding; the margins of each panel around its plot area (tic labels, axis
// labels, panel title).
constexpr int kTitleHeightPx = 36;
constexpr int kKeyRowHeightPx = 18;
constexpr int kKeyPaddingPx = 12;
constexpr int kLeftMarginPx = 62;
constexpr int kRightMarginPx = 16;
constexpr int kBottomMarginPx = 50;
constexpr int kTopMarginPx = 30;
// Key entry width estimate: characters beyond the label (sample and gaps) at
// about kCharWidthPx each for a 10 pt font.
constexpr int kKeyEntryExtraChars = 7;
constexpr int kCharWidthPx = 7;

// At most this much of gnuplot's output goes into an error message.
constexpr size_t kMaxOutputInError = 4000;

bool IsPoint(const Series& s, size_t i) {
  return std::isfinite(s.x[i]) && std::isfinite(s.y[i]);
}

// Whether the series has a point to draw (else it is left out entirely).
bool IsPlotted(const Series& s) {
  const size_t n = std::min(s.x.size(), s.y.size());
  for (size_t i = 0; i < n; ++i) {
    if (IsPoint(s, i)) return true;
  }
  return false;
}

// Text on one line, for comments.
std::string OneLine(const std::string& text) {
  return absl::StrReplaceAll(text, {{"\r", " "}, {"\n", " "}});
}

// A gnuplot single-quoted string literal: no escapes inside, '' is a quote.
std::string Quote(const std::string& text) {
  return absl::StrCat("'", absl::StrReplaceAll(OneLine(text), {{"'", "''"}}),
                      "'");
}

// A POSIX shell single-quoted word.
std::string ShellQuote(const std::string& text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "'\\''"}}), "'");
}

std::string Number(double v) { return absl::StrFormat("%.10g", v); }

// The .dat text: one index block per plotted series, in panel order.
std::string GnuplotData(const Figure& figure) {
  std::string out = absl::StrCat(
      "# Data of figure \"", OneLine(figure.title),
      "\": one gnuplot index block per series (series without points are "
      "left out);\n# a blank line inside a block is a gap in the line.\n");
  int index = 0;
  for (size_t p = 0; p < figure.panels.size(); ++p) {
    const Panel& panel = figure.panels[p];
    for (size_t s = 0; s < panel.series.size(); ++s) {
      const Series& series = panel.series[s];
      if (!IsPlotted(series)) continue;
      if (index > 0) out += "\n\n";
      absl::StrAppend(&out, "# index ", index, ": panel ", p + 1, " \"",
                      OneLine(panel.title), "\", series ", s + 1, " \"",
                      OneLine(series.label), "\"\n# x y\n");
      bool gap = false;
      bool any = false;
      for (size_t i = 0; i < series.x.size(); ++i) {
        if (!IsPoint(series, i)) {
          gap = any;  // Only between points: never two blank lines in a row.
          continue;
        }
        if (gap) out += "\n";
        gap = false;
        any = true;
        absl::StrAppend(&out, Number(series.x[i]), " ", Number(series.y[i]),
                        "\n");
      }
      ++index;
    }
  }
  return out;
}

std::string RangeEnd(double v) { return std::isnan(v) ? "*" : Number(v); }

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string GnuplotBinary() {
  const char* env = std::getenv("MMC_GNUPLOT");
  if (env != nullptr && *env != '\0') return env;
  if (access("/usr/bin/gnuplot", X_OK) == 0) return "/usr/bin/gnuplot";
  return "gnuplot";
}

absl::Status Validate(const std::string& stem, const Figure& figure) {
  if (BaseName(stem).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("plot file stem \"", stem, "\" names no file"));
  }
  if (figure.panels.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("figure \"", figure.title, "\" has no panels"));
  }
  if (figure.panel_width_px <= 0 || figure.panel_height_px <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("figure \"", figure.title,
                                                   "\": panel size must be "
                                                   "positive, got ",
                                                   figure.panel_width_px, "x",
                                                   figure.panel_height_px));
  }
  for (const Panel& panel : figure.panels) {
    for (const Series& series : panel.series) {
      if (series.x.size() != series.y.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("figure \"", figure.title, "\", panel \"", panel.title,
                         "\", series \"", series.label, "\": ", series.x.size(),
                         " x values but ", series.y.size(), " y values"));
      }
    }
  }
  return absl::OkStatus();
}

std::string Tail(const std::string& text) {
  if (text.size() <= kMaxOutputInError) return text;
  return absl::StrCat("...", text.substr(text.size() - kMaxOutputInError));
}

// Runs `gnuplot <script>` in `dir`. OK when gnuplot exits with 0 (warnings it
// prints are dropped); else an error holding its output.
absl::Status RunGnuplot(const std::string& dir, const std::string& script) {
  const std::string binary = GnuplotBinary();
  if (binary.find('/') != std::string::npos && access(binary.c_str(), X_OK)) {
    return absl::FailedPreconditionError(
        absl::StrCat("gnuplot not found at ", binary,
                     " (install gnuplot-nox, see scripts/setup.sh)"));
  }
  const std::string command =
      absl::StrCat("cd ", ShellQuote(dir), " && ", ShellQuote(binary), " ",
                   ShellQuote(script), " 2>&1");
  std::fflush(nullptr);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return absl::InternalError(absl::StrCat("cannot run ", command));
  }
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    output.append(buffer, n);
  }
  const int status = pclose(pipe);
  if (status == -1) {
    return absl::InternalError(absl::StrCat("cannot wait for ", command));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run gnuplot (", binary,
                     "); it is required for plots: install gnuplot-nox (see "
                     "scripts/setup.sh). Shell output: ",
                     Tail(output)));
  }
  const std::string how =
      WIFEXITED(status)
          ? absl::StrCat("exited with status ", WEXITSTATUS(status))
          : absl::StrCat("was killed by signal ",
                         WIFSIGNALED(status) ? WTERMSIG(status) : -1);
  return absl::InternalError(absl::StrCat("gnuplot ", how, " on ", dir, "/",
                                          script, ":\n", Tail(output)));
}

}  // namespace

std::string GnuplotScript(const Figure& figure, const std::string& data_path,
                          const std::string& svg_path,
                          const std::string& png_path) {
  // Line style per series label, in order of first appearance.
  std::vector<std::string> labels;
  std::map<std::string, int> style_of;
  for (const Panel& panel : figure.panels) {
    for (const Series& series : panel.series) {
      if (!IsPlotted(series)) continue;
      if (style_of.emplace(series.label, static_cast<int>(labels.size()) + 1)
              .second) {
        labels.push_back(series.label);
      }
    }
  }

  // Canvas, top to bottom: a strip for the title, one for the key shared by
  // all panels, then the grid of panels. Each panel's plot area is placed
  // explicitly (margins at screen), so that the plot areas line up whatever
  // their tic labels or titles are.
  const int num_panels = static_cast<int>(figure.panels.size());
  const int columns =
      std::max(1, std::min(figure.columns, std::max(num_panels, 1)));
  const int rows = std::max(1, (num_panels + columns - 1) / columns);
  const int width = columns * figure.panel_width_px;
  size_t longest_label = 0;
  for (const std::string& label : labels) {
    longest_label = std::max(longest_label, label.size());
  }
  const int key_columns = std::max(
      1, std::min(static_cast<int>(labels.size()),
                  (width - 2 * kKeyPaddingPx) /
                      (kCharWidthPx * (static_cast<int>(longest_label) +
                                       kKeyEntryExtraChars))));
  const int key_rows =
      (static_cast<int>(labels.size()) + key_columns - 1) / key_columns;
  const int title_px = figure.title.empty() ? 0 : kTitleHeightPx;
  const int key_px =
      labels.empty() ? 0 : key_rows * kKeyRowHeightPx + kKeyPaddingPx;
  const int height = rows * figure.panel_height_px + title_px + key_px;
  // Screen coordinates of pixel positions (y counted from the top).
  const auto x_at = [width](int px) {
    return Number(static_cast<double>(px) / width);
  };
  const auto y_at = [height](int px) {
    return Number(1.0 - static_cast<double>(px) / height);
  };

  std::string out = absl::StrCat(
      "# gnuplot script of figure \"", OneLine(figure.title),
      "\" (written by lib/report/plot.cc).\n",
      "# Renders the SVG and the PNG: gnuplot <this file>\n",
      "mmc_data = ", Quote(data_path), "\n", "do for [pass = 1:2] {\n",
      "  reset\n", "  if (pass == 1) {\n", "    set terminal svg size ", width,
      ",", height,
      " dynamic noenhanced font 'Sans,10' background rgb 'white'\n",
      "    set output ", Quote(svg_path), "\n", "  } else {\n",
      "    if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n",
      "      set terminal pngcairo size ", width, ",", height,
      " noenhanced font 'Sans,10' background rgb 'white'\n", "    } else {\n",
      "      set terminal png size ", width, ",", height,
      " noenhanced font 'Sans,9' background rgb 'white'\n", "    }\n",
      "    set output ", Quote(png_path), "\n", "  }\n");
  for (int i = 1; i <= static_cast<int>(labels.size()); ++i) {
    const int k = (i - 1) % kNumStyles;
    absl::StrAppend(&out, "  set style line ", i, " lc rgb '", kColors[k],
                    "' lw 2 pt ", kPointTypes[k], " ps 0.8\n");
  }
  absl::StrAppend(&out, "  set multiplot");
  if (!figure.title.empty()) {
    absl::StrAppend(&out, " title ", Quote(figure.title), " font ',14'");
  }
  absl::StrAppend(&out, "\n", "  set grid xtics ytics lc rgb '#cccccc'\n",
                  "  unset key\n",
                  // The x range is the data's, plus offsets so that the points
                  // at the ends are drawn whole.
                  "  set autoscale xfix\n", "  set offsets 0.02, 0.02, 0, 0\n");

  int index = 0;
  for (int p = 0; p < num_panels; ++p) {
    const Panel& panel = figure.panels[p];
    const int left = (p % columns) * figure.panel_width_px;
    const int top = title_px + key_px + (p / columns) * figure.panel_height_px;
    absl::StrAppend(&out, "  # Panel ", p + 1, ": ", OneLine(panel.title), "\n",
                    "  set lmargin at screen ", x_at(left + kLeftMarginPx),
                    "\n", "  set rmargin at screen ",
                    x_at(left + figure.panel_width_px - kRightMarginPx), "\n",
                    "  set tmargin at screen ", y_at(top + kTopMarginPx), "\n",
                    "  set bmargin at screen ",
                    y_at(top + figure.panel_height_px - kBottomMarginPx), "\n",
                    "  set title ", Quote(panel.title), "\n", "  set xlabel ",
                    Quote(panel.x_label), "\n", "  set ylabel ",
                    Quote(panel.y_label), "\n");
    std::string plots;
    for (const Series& series : panel.series) {
      if (!IsPlotted(series)) continue;
      absl::StrAppend(&plots, plots.empty() ? "" : ", \\\n       ",
                      "mmc_data index ", index,
                      " using 1:2 with linespoints ls ", style_of[series.label],
                      " notitle");
      ++index;
    }
    if (plots.empty()) {
      // Nothing to draw: fixed ranges (gnuplot cannot autoscale an empty
      // plot) and a note, so that the panel still shows where it belongs.
      absl::StrAppend(&out, "  set xrange [0:1]\n", "  set yrange [",
                      std::isnan(panel.y_min) ? "0" : Number(panel.y_min), ":",
                      std::isnan(panel.y_max) ? "1" : Number(panel.y_max),
                      "]\n",
                      "  set label 1 'no data' at graph 0.5,0.5 center\n",
                      "  plot NaN notitle\n", "  unset label 1\n",
                      "  set autoscale xfix\n");
    } else {
      absl::StrAppend(&out, "  set yrange [", RangeEnd(panel.y_min), ":",
                      RangeEnd(panel.y_max), "]\n", "  plot ", plots, "\n");
    }
  }

  // The key: an empty plot over the key strip, with an entry per label.
  if (!labels.empty()) {
    absl::StrAppend(
        &out, "  # Key\n", "  set lmargin at screen 0\n",
        "  set rmargin at screen 1\n", "  set tmargin at screen ",
        y_at(title_px), "\n", "  set bmargin at screen ",
        y_at(title_px + key_px), "\n",
        "  unset border\n  unset tics\n  unset grid\n  unset title\n",
        "  unset xlabel\n  unset ylabel\n",
        "  set xrange [0:1]\n  set yrange [0:1]\n",
        "  set key center center horizontal reverse Left samplen 2 width 1 "
        "maxcols ",
        key_columns, "\n", "  plot ");
    for (size_t i = 0; i < labels.size(); ++i) {
      absl::StrAppend(&out, i == 0 ? "" : ", \\\n       ",
                      "NaN with linespoints ls ", i + 1, " title ",
                      Quote(labels[i]));
    }
    out += "\n";
  }
  absl::StrAppend(&out, "  unset multiplot\n", "  set output\n", "}\n");
  return out;
}

absl::Status RenderFigure(const std::string& stem, const Figure& figure) {
  if (absl::Status s = Validate(stem, figure); !s.ok()) return s;
  // gnuplot runs in the stem's directory, and the scripts name files by their
  // base names: the saved .gp works wherever the directory is moved.
  const std::string dir = DirName(stem);
  const std::string base = BaseName(stem);
  if (absl::Status s = WriteFileAtomically(stem + ".dat", GnuplotData(figure));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = WriteFileAtomically(
          stem + ".gp",
          GnuplotScript(figure, base + ".dat", base + ".svg", base + ".png"));
      !s.ok()) {
    return s;
  }

  // Render under temporary names, then rename into place.
  static std::atomic<int> counter{0};
  const std::string suffix =
      absl::StrCat(".tmp.", getpid(), ".", counter.fetch_add(1));
  const std::string tmp_script = base + ".gp" + suffix;
  const std::string tmp_svg = base + ".svg" + suffix;
  const std::string tmp_png = base + ".png" + suffix;
  const auto in_dir = [&dir](const std::string& name) {
    return JoinPath(dir, name);
  };
  const auto cleanup = [&]() {
    for (const std::string& name : {tmp_script, tmp_svg, tmp_png}) {
      std::remove(in_dir(name).c_str());
    }
  };
  if (absl::Status s = WriteFileAtomically(
          in_dir(tmp_script),
          GnuplotScript(figure, base + ".dat", tmp_svg, tmp_png));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = RunGnuplot(dir, tmp_script); !s.ok()) {
    cleanup();
    return s;
  }
  for (const auto& [tmp, final_name] :
       {std::pair{tmp_svg, base + ".svg"}, std::pair{tmp_png, base + ".png"}}) {
    struct stat st;
    if (stat(in_dir(tmp).c_str(), &st) != 0 || st.st_size == 0) {
      cleanup();
      return absl::InternalError(
          absl::StrCat("gnuplot succeeded but did not write ", in_dir(tmp)));
    }
    if (std::rename(in_dir(tmp).c_str(), in_dir(final_name).c_str()) != 0) {
      cleanup();
      return absl::DataLossError(absl::StrCat("cannot rename ", in_dir(tmp),
                                              " to ", in_dir(final_name)));
    }
  }
  cleanup();
  return absl::OkStatus();
}

}  // namespace mmc
