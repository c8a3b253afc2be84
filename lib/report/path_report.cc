// Implementation of lib/report/path_report.h.
#include "lib/report/path_report.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/report/markdown.h"
#include "lib/report/plot.h"
#include "lib/util/files.h"

namespace mmc {
namespace {

const SetMetrics* FindSet(const PathPoint& point, const std::string& set) {
  for (const SetMetrics& m : point.metrics()) {
    if (m.set() == set) return &m;
  }
  return nullptr;
}

const PathBarrier* Barrier(const PathResult& path, const std::string& set) {
  for (const PathBarrier& b : path.barriers()) {
    if (b.set() == set) return &b;
  }
  return nullptr;
}

}  // namespace

std::vector<double> AccuraciesAlong(const PathResult& path,
                                    const std::string& set) {
  std::vector<double> out;
  for (const PathPoint& p : path.points()) {
    const SetMetrics* m = FindSet(p, set);
    out.push_back(m == nullptr ? NAN : m->accuracy());
  }
  return out;
}

std::string PathAccuracyTable(const std::vector<LabelledPath>& paths,
                              const std::vector<std::string>& sets) {
  if (paths.empty()) return "";
  std::vector<std::string> header = {"t"};
  for (const std::string& set : sets) {
    for (const LabelledPath& p : paths) {
      header.push_back(absl::StrCat(set, " ", p.label));
    }
  }
  MarkdownTable table(header);
  const int points = paths.front().path->points_size();
  for (int i = 0; i < points; ++i) {
    std::vector<std::string> row = {
        Fixed(paths.front().path->points(i).t(), 2)};
    for (const std::string& set : sets) {
      for (const LabelledPath& p : paths) {
        const SetMetrics* m = i < p.path->points_size()
                                  ? FindSet(p.path->points(i), set)
                                  : nullptr;
        row.push_back(m == nullptr ? "n/a" : Fixed(m->accuracy()));
      }
    }
    table.AddRow(row);
  }
  return table.Render();
}

std::string BarrierTable(const std::vector<LabelledPath>& paths,
                         const std::vector<std::string>& sets) {
  std::vector<std::string> header = {"path"};
  for (const std::string& set : sets) {
    header.push_back(absl::StrCat("B ", set));
    header.push_back(absl::StrCat("dip ", set));
  }
  MarkdownTable table(header);
  for (const LabelledPath& p : paths) {
    std::vector<std::string> row = {p.label};
    for (const std::string& set : sets) {
      const PathBarrier* b = Barrier(*p.path, set);
      row.push_back(b == nullptr ? "n/a" : Fixed(b->loss_barrier(), 3));
      row.push_back(b == nullptr ? "n/a" : Fixed(b->accuracy_dip(), 1));
    }
    table.AddRow(row);
  }
  return table.Render();
}

std::string VerdictMarkdown(const std::vector<Verdict>& verdicts) {
  std::string out;
  for (bool asserted : {true, false}) {
    for (const Verdict& v : verdicts) {
      if (v.asserted() != asserted) continue;
      absl::StrAppendFormat(&out, "- %s %s%s: %s (threshold: %s)\n",
                            v.passed() ? "✓" : "✗",
                            asserted ? "" : "[reported] ", v.claim(),
                            v.measured(), v.threshold());
    }
  }
  return out;
}

std::string VerdictTally(const std::vector<Verdict>& verdicts) {
  int asserted = 0, passed = 0;
  for (const Verdict& v : verdicts) {
    if (!v.asserted()) continue;
    ++asserted;
    passed += v.passed();
  }
  return absl::StrFormat("%d of %d asserted claims hold", passed, asserted);
}

std::string PathPlotStem(const std::string& prefix, const std::string& path) {
  std::string stem = absl::StrCat(prefix, "_", path);
  for (char& ch : stem) {
    if (ch == ' ' || ch == '/') ch = '_';
  }
  return stem;
}

absl::Status RenderPathFigure(const std::string& dir, const std::string& stem,
                              const std::string& title,
                              const std::vector<LabelledPath>& paths,
                              const std::vector<std::string>& sets) {
  Figure figure;
  figure.title = title;
  figure.columns = std::min<int>(static_cast<int>(sets.size()), 3);
  for (const std::string& set : sets) {
    Panel panel;
    panel.title = set;
    panel.x_label = "t";
    panel.y_label = "accuracy (%)";
    panel.y_min = 0;
    panel.y_max = 100;
    for (const LabelledPath& p : paths) {
      Series series;
      series.label = p.label;
      for (const PathPoint& point : p.path->points())
        series.x.push_back(point.t());
      series.y = AccuraciesAlong(*p.path, set);
      panel.series.push_back(series);
    }
    figure.panels.push_back(panel);
  }
  return RenderFigure(JoinPath(dir, stem), figure);
}

}  // namespace mmc
