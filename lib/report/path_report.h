// Markdown and plots for path results (Fig. 3, Fig. 4): per-path tables of
// accuracy along t, barrier tables, claim verdicts, and figures in the
// layout of the paper's panels (one panel per evaluation set, one line per
// cue proportion or learning rate).
#ifndef LIB_REPORT_PATH_REPORT_H_
#define LIB_REPORT_PATH_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/spec/results.pb.h"

namespace mmc {

// A labelled path, e.g. {"80%", path}: one line in a figure, one column
// group in a table.
struct LabelledPath {
  std::string label;
  const PathResult* path;
};

// Rows = t; columns = set x label: accuracy in %.
std::string PathAccuracyTable(const std::vector<LabelledPath>& paths,
                              const std::vector<std::string>& sets);

// Rows = label; columns = loss barrier and accuracy dip per set.
std::string BarrierTable(const std::vector<LabelledPath>& paths,
                         const std::vector<std::string>& sets);

// "- ✓ claim: measured (threshold)" lines; asserted ones first.
std::string VerdictMarkdown(const std::vector<Verdict>& verdicts);

// "N of M asserted claims hold".
std::string VerdictTally(const std::vector<Verdict>& verdicts);

// The file stem of a path's figure: "<prefix>_<path>" with spaces and
// slashes as underscores ("fig3", "Quadratic w/ Cue" ->
// "fig3_Quadratic_w__Cue").
std::string PathPlotStem(const std::string& prefix, const std::string& path);

// Renders <dir>/<stem>.{svg,png,gp,dat}: one panel per set (accuracy vs t),
// one line per labelled path.
absl::Status RenderPathFigure(const std::string& dir, const std::string& stem,
                              const std::string& title,
                              const std::vector<LabelledPath>& paths,
                              const std::vector<std::string>& sets);

// Accuracy of `set` at every point of `path`.
std::vector<double> AccuraciesAlong(const PathResult& path,
                                    const std::string& set);

}  // namespace mmc

#endif  // LIB_REPORT_PATH_REPORT_H_
