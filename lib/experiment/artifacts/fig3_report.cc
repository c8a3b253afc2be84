// Implementation of lib/experiment/artifacts/fig3_report.h.
#include "lib/experiment/artifacts/fig3_report.h"

#include <iostream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/experiment/artifacts/report_common.h"
#include "lib/experiment/eval_sets.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/plan.h"
#include "lib/paths/kinds/registry.h"
#include "lib/report/markdown.h"
#include "lib/report/path_report.h"
#include "lib/report/provenance.h"

namespace mmc {

std::string Fig3PlotStem(const std::string& path) {
  return PathPlotStem("fig3", path);
}

std::string Fig3Report(const Spec& spec, const std::string& model,
                       const Fig3Results& r, const std::string& out_dir) {
  std::string md = absl::StrFormat(
      "# Fig. 3: mode connectivity of theta_C and theta_NC\n\n%s\n",
      spec.name());
  md += ProvenanceMarkdown(r.info());
  absl::StrAppendFormat(&md,
                        "- model: %s; endpoints: %s; quadratic midpoints: %s\n",
                        model, DescribeTraining(spec.train()),
                        DescribeTraining(spec.paths().quadratic()));
  absl::StrAppendFormat(
      &md,
      "- paths run from theta_C (t = 0) to theta_NC (t = 1), %d points; "
      "BatchNorm "
      "statistics recomputed at every point on %d images of %s (%s)\n\n",
      spec.paths().num_points(), spec.eval().bn_reset_size(),
      EvalSpec::BnResetData_Name(spec.eval().bn_reset_data()),
      EvalSpec::BnResetMode_Name(spec.eval().bn_reset_mode()));

  std::vector<Verdict> verdicts(r.verdicts().begin(), r.verdicts().end());
  absl::StrAppendFormat(&md, "## Verdicts: %s\n\n", VerdictTally(verdicts));
  md += VerdictMarkdown(verdicts);
  md +=
      "\nThe paper (Fig. 3, App. D) shows plots only, no numbers: theta_C and "
      "theta_NC are connected by quadratic but not linear paths, and points "
      "along the paths respond differently to counterfactuals. ";
  md += ClaimsSourceMarkdown(spec);

  md +=
      "\n## Endpoints\n\nAccuracy (%) with their own BatchNorm statistics.\n\n";
  std::vector<std::string> header = {"model", "c", "seed"};
  for (const std::string& s : EvalSetNames()) header.push_back(s);
  MarkdownTable endpoints(header);
  for (const ModelResult& m : r.endpoints()) {
    std::vector<SetMetrics> metrics(m.metrics().begin(), m.metrics().end());
    std::vector<std::string> row = {m.name(), Percent(m.cue_proportion()),
                                    absl::StrCat(m.seed())};
    for (const std::string& s : EvalSetNames())
      row.push_back(Fixed(AccuracyOf(metrics, s)));
    endpoints.AddRow(row);
  }
  md += endpoints.Render();

  md +=
      "\n## Barriers\n\nLoss barrier B = max_t [L(t) - ((1-t) L(0) + t L(1))] "
      "in "
      "nats and accuracy dip = min(endpoint accuracies) - min_t accuracy in "
      "points, per evaluation set.\n\n";
  std::vector<LabelledPath> all;
  for (const PathResult& p : r.paths()) {
    all.push_back({p.pair() == kMainPair
                       ? absl::StrFormat("%s, c=%s", p.path(),
                                         Percent(p.cue_proportion()))
                       : absl::StrFormat("%s, control", p.path()),
                   &p});
  }
  md += BarrierTable(all, EvalSetNames());
  const PathResult* control_linear = FindPath(r, kControlPair, kLinear, 0.0);
  if (control_linear != nullptr) {
    md += absl::StrFormat(
        "\nControl: the same paths between two models with the same mechanism "
        "(theta_NC, seeds %d and %d). At this scale the linear barrier of this "
        "similar pair is %.3f nats on trC, so a linear barrier alone does not "
        "separate mechanistically dissimilar from similar modes here (see the "
        "reported verdicts above).\n",
        r.endpoints(0).seed(), r.endpoints(r.endpoints_size() - 1).seed(),
        FindBarrier(*control_linear, "trC")->loss_barrier());
  }

  for (const PathKind& kind : PathKinds()) {
    const std::string path = kind.name;
    std::vector<LabelledPath> lines;
    for (const PathResult& p : r.paths()) {
      if (p.path() != path) continue;
      lines.push_back({p.pair() == kMainPair ? Percent(p.cue_proportion())
                                             : "control (NC vs NC')",
                       &p});
    }
    const std::string stem = Fig3PlotStem(path);
    absl::StrAppendFormat(&md, "\n## %s\n\n", path);
    absl::Status plotted = RenderPathFigure(
        out_dir, stem,
        absl::StrCat(path, ": accuracy along theta_C -> theta_NC"), lines,
        EvalSetNames());
    if (plotted.ok()) {
      absl::StrAppendFormat(&md, "![%s](%s.png) ([SVG](%s.svg))\n\n", path,
                            stem, stem);
    } else {
      absl::StrAppendFormat(&md, "(plot not rendered: %s)\n\n",
                            plotted.message());
      std::cerr << "fig3: warning: " << plotted.message() << "\n";
    }
    md += PathAccuracyTable(lines, EvalSetNames());
  }
  return md;
}

}  // namespace mmc
