// Implementation of lib/experiment/artifacts/fig4_report.h.
#include "lib/experiment/artifacts/fig4_report.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/experiment/artifacts/report_common.h"
#include "lib/experiment/eval_sets.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/plan.h"
#include "lib/paths/kinds/linear.h"
#include "lib/report/markdown.h"
#include "lib/report/path_report.h"
#include "lib/report/provenance.h"

namespace mmc {

std::string Fig4PlotStem(double lr) {
  return absl::StrFormat("fig4_lr_%g", lr);
}

std::string IdentityMatchesMarkdown(const Fig4Results& r) {
  std::vector<std::string> identity;
  int permuted = 0;
  for (const PathResult& p : r.paths()) {
    if (p.path() != kLinearPermuted) continue;
    ++permuted;
    if (p.note() == kIdentityPermutationNote) {
      identity.push_back(absl::StrFormat("c=%s %s", Percent(p.cue_proportion()),
                                         LrLabel(p.lr())));
    }
  }
  if (identity.empty()) return "";
  return absl::StrFormat(
      "Permutation matching returned the identity for %d of %d theta_FT (%s): "
      "they kept theta_C's channel order, so their path after permutation is "
      "the plain one (its numbers copied, not evaluated twice).\n\n",
      identity.size(), permuted, absl::StrJoin(identity, ", "));
}

std::string Fig4Report(const Spec& spec, const std::string& model,
                       const Fig4Results& r, const std::string& out_dir) {
  std::string md = absl::StrFormat(
      "# Fig. 4: fine-tuning theta_C without cue, linear connectivity\n\n%s\n",
      spec.name());
  md += ProvenanceMarkdown(r.info());
  absl::StrAppendFormat(
      &md,
      "- model: %s; fine-tuning on all training images without cue: %s "
      "(initial lr per column)\n- paths: theta_C (t = 0) -> theta_FT (t = "
      "1), plain linear and linear after permuting theta_FT to match theta_C "
      "(the paper's Fig. 4 plots the latter; the claims are asserted on it), "
      "%d points, BatchNorm reset at every point\n\n",
      model, DescribeTraining(spec.finetune().fig4(), /*with_lr=*/false),
      spec.paths().num_points());
  std::vector<Verdict> verdicts(r.verdicts().begin(), r.verdicts().end());
  absl::StrAppendFormat(&md, "## Verdicts: %s\n\n", VerdictTally(verdicts));
  md += VerdictMarkdown(verdicts);
  md +=
      "\nThe paper (Fig. 4, App. E; plots, no numbers) finds small and medium "
      "learning rates stay linearly connected to theta_C and keep its "
      "counterfactual behaviour, while large ones break linear connectivity "
      "and become invariant to the cue. ";
  md += ClaimsSourceMarkdown(spec);
  absl::StrAppendFormat(
      &md,
      "The small-LR claim bounds the barrier by %g nats, not by the tier's "
      "\"connected\" (%s): it claims theta_FT stays in theta_C's basin, a "
      "stronger statement than connectivity (QUICK_TIER.md's prototype "
      "measured B = 0.000 there), so the spec sets a stricter bound for it.\n",
      spec.claims().small_lr_max_barrier(), ConnectedThreshold(spec.claims()));

  md += "\n## Models\n\nAccuracy (%) of theta_C and each theta_FT.\n\n";
  MarkdownTable models(
      {"model", "c", "lr", "NC", "C", "RC", "RI", "trC", "trNC"});
  auto add_row = [&models](const ModelResult& m, const std::string& lr) {
    std::vector<SetMetrics> s(m.metrics().begin(), m.metrics().end());
    std::vector<std::string> row = {m.name(), Percent(m.cue_proportion()), lr};
    for (const std::string& set : EvalSetNames())
      row.push_back(Fixed(AccuracyOf(s, set)));
    models.AddRow(row);
  };
  for (const ModelResult& m : r.endpoints()) {
    add_row(m, "-");
    for (const ModelResult& f : r.finetuned()) {
      if (f.cue_proportion() == m.cue_proportion())
        add_row(f, absl::StrFormat("%g", f.lr()));
    }
  }
  md += models.Render();

  md += "\n## Barriers of the linear paths (plain and after permutation)\n\n";
  md += IdentityMatchesMarkdown(r);
  std::vector<LabelledPath> all;
  for (const PathResult& p : r.paths()) {
    all.push_back({absl::StrFormat("c=%s, %s, %s", Percent(p.cue_proportion()),
                                   LrLabel(p.lr()), p.path()),
                   &p});
  }
  md += BarrierTable(all, EvalSetNames());

  for (double lr : spec.finetune().fig4_lrs()) {
    std::vector<LabelledPath> lines;
    for (const PathResult& p : r.paths()) {
      if (p.lr() == lr && p.path() == kLinearPermuted) {
        lines.push_back({Percent(p.cue_proportion()), &p});
      }
    }
    const std::string stem = Fig4PlotStem(lr);
    absl::StrAppendFormat(&md, "\n## Fine-tuning %s\n\n", LrLabel(lr));
    absl::Status plotted = RenderPathFigure(
        out_dir, stem,
        absl::StrFormat("Linear path theta_C -> theta_FT (%s, permuted)",
                        LrLabel(lr)),
        lines, EvalSetNames());
    if (plotted.ok()) {
      absl::StrAppendFormat(&md, "![%s](%s.png) ([SVG](%s.svg))\n\n",
                            LrLabel(lr), stem, stem);
    } else {
      absl::StrAppendFormat(&md, "(plot not rendered: %s)\n\n",
                            plotted.message());
    }
    md += PathAccuracyTable(lines, EvalSetNames());
  }
  return md;
}

}  // namespace mmc
