// Line plots for reports, rendered by gnuplot: a figure is a grid of panels
// (gnuplot multiplot), each with one line per series. RenderFigure writes the
// data (.dat) and script (.gp) next to the rendered .svg and .png, so a plot
// can be re-rendered or restyled by hand with `gnuplot <stem>.gp`.
#ifndef LIB_REPORT_PLOT_H_
#define LIB_REPORT_PLOT_H_

#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace mmc {

// One line of a panel. x and y have the same length; a NaN (or infinite) x or
// y is a gap in the line. A series without a single finite point is skipped.
struct Series {
  std::string label;
  std::vector<double> x, y;
};

struct Panel {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<Series> series;
  // Fixed y range; NaN leaves that end to gnuplot's autoscaling.
  double y_min = NAN, y_max = NAN;
};

struct Figure {
  std::string title;
  std::vector<Panel> panels;
  // Panels are laid out row by row, `columns` per row.
  int columns = 4;
  int panel_width_px = 360, panel_height_px = 280;
};

// Writes <stem>.dat (the data: one gnuplot `index` block per plotted series,
// each headed by comments naming its panel and series), <stem>.gp (the gnuplot
// script) and renders <stem>.svg and <stem>.png by running gnuplot on the
// script in <stem>'s directory (the .gp names its files relative to it). All
// four files are replaced atomically (written under temporary names, then
// renamed); the .dat and .gp are written before gnuplot runs, so they remain
// when it fails.
//
// Layout: panels fill a grid row by row, `columns` wide, each panel
// panel_width_px x panel_height_px with the same plot-area margins; above the
// grid, the figure title and one key for the whole figure. Series with the
// same label get the same line style in every panel. Titles and labels are
// printed literally (no gnuplot enhanced-text markup).
//
// Errors: InvalidArgument for a malformed figure (no panels, x and y of
// different lengths, non-positive panel size, a stem without a file name);
// FailedPrecondition when gnuplot cannot be run; Internal with gnuplot's
// output when it fails.
//
// gnuplot is /usr/bin/gnuplot when that exists, else `gnuplot` on PATH; the
// environment variable MMC_GNUPLOT, when set, names the binary instead.
absl::Status RenderFigure(const std::string& stem, const Figure& figure);

// The gnuplot script for `figure`, reading the data file `data_path` (as
// RenderFigure writes it) and writing `svg_path` and `png_path`. The PNG uses
// the pngcairo terminal when gnuplot has it, else png.
std::string GnuplotScript(const Figure& figure, const std::string& data_path,
                          const std::string& svg_path,
                          const std::string& png_path);

}  // namespace mmc

#endif  // LIB_REPORT_PLOT_H_
