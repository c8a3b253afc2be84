// `bazel run -c opt //tasks:fig4 -- [--spec=S] [--data_dir=D] [--out_dir=O]
//   [--cache_dir=C] [--device=cpu|cuda] [--dry_run]`
//
// The paper's Fig. 4 / App. E: theta_C fine-tuned on data without cue at
// several learning rates; the linear path theta_C -> theta_FT (after
// permutation matching) on every evaluation set. Writes reports/fig4.md,
// fig4.json and one figure per learning rate (SVG + PNG).
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/experiment/endpoints.h"
#include "lib/experiment/fig4.h"
#include "lib/experiment/plan.h"
#include "lib/report/markdown.h"
#include "lib/report/path_report.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"
#include "tasks/experiment_task.h"
#include "tasks/task_common.h"

namespace mmc {
namespace {

std::string Percent(double c) { return absl::StrFormat("%.0f%%", 100 * c); }

void PrintPlan(const Spec& spec, const Model& model) {
  const DatasetFacts facts = FactsOf(spec.dataset().kind());
  const int64_t n = PlannedTrainSamples(spec.dataset());
  const int64_t seed = spec.seeds_size() > 0 ? spec.seeds(0) : 0;
  std::vector<PlannedRun> runs;
  for (double c : spec.cue_proportions()) {
    runs.push_back({EndpointName(c, seed), spec.train(), n});
    for (double lr : spec.finetune().fig4_lrs()) {
      TrainSpec ft = spec.finetune().fig4();
      ft.set_lr(lr);
      runs.push_back({absl::StrFormat("theta_FT c=%g %s", c, LrLabel(lr)), ft, n});
    }
  }
  std::cout << RenderPlan(spec, model.Describe(),
                          model.ForwardFlops(facts.height, facts.width), runs);
}

std::string Report(const ExperimentTask& task, const Fig4Results& r) {
  const Spec& spec = task.spec;
  std::string md = absl::StrFormat(
      "# Fig. 4: fine-tuning theta_C without cue, linear connectivity\n\n%s\n",
      spec.name());
  md += ProvenanceMarkdown(r.info());
  TrainSpec ft = spec.finetune().fig4();
  ft.clear_lr();
  absl::StrAppendFormat(
      &md,
      "- model: %s; fine-tuning on all training images without cue: %s "
      "(initial lr per column)\n- paths: theta_C (t = 0) -> theta_FT permuted "
      "to match theta_C (t = 1), %d points, BatchNorm reset at every point\n\n",
      task.model->Describe(), DescribeTraining(ft), spec.paths().num_points());
  std::vector<Verdict> verdicts(r.verdicts().begin(), r.verdicts().end());
  absl::StrAppendFormat(&md, "## Verdicts: %s\n\n", VerdictTally(verdicts));
  md += VerdictMarkdown(verdicts);
  md += "\nThe paper (Fig. 4, App. E; plots, no numbers) finds small and medium "
        "learning rates stay linearly connected to theta_C and keep its "
        "counterfactual behaviour, while large ones break linear connectivity "
        "and become invariant to the cue.\n";

  md += "\n## Models\n\nAccuracy (%) of theta_C and each theta_FT.\n\n";
  MarkdownTable models({"model", "c", "lr", "NC", "C", "RC", "RI", "trC", "trNC"});
  auto add_row = [&models](const ModelResult& m, const std::string& lr) {
    std::vector<SetMetrics> s(m.metrics().begin(), m.metrics().end());
    std::vector<std::string> row = {m.name(), Percent(m.cue_proportion()), lr};
    for (const std::string& set : EvalSetNames()) row.push_back(Fixed(AccuracyOf(s, set)));
    models.AddRow(row);
  };
  for (const ModelResult& m : r.endpoints()) {
    add_row(m, "-");
    for (const ModelResult& f : r.finetuned()) {
      if (f.cue_proportion() == m.cue_proportion()) add_row(f, absl::StrFormat("%g", f.lr()));
    }
  }
  md += models.Render();

  md += "\n## Barriers of the linear path (after permutation)\n\n";
  std::vector<LabelledPath> all;
  for (const PathResult& p : r.paths()) {
    all.push_back({absl::StrFormat("c=%s, %s", Percent(p.cue_proportion()), LrLabel(p.lr())), &p});
  }
  md += BarrierTable(all, EvalSetNames());

  for (double lr : spec.finetune().fig4_lrs()) {
    std::vector<LabelledPath> lines;
    for (const PathResult& p : r.paths()) {
      if (p.lr() == lr) lines.push_back({Percent(p.cue_proportion()), &p});
    }
    std::string stem = absl::StrFormat("fig4_lr_%g", lr);
    absl::StrAppendFormat(&md, "\n## Fine-tuning %s\n\n", LrLabel(lr));
    absl::Status plotted = RenderPathFigure(
        task.out_dir, stem,
        absl::StrFormat("Linear path theta_C -> theta_FT (%s, permuted)", LrLabel(lr)),
        lines, EvalSetNames());
    if (plotted.ok()) {
      absl::StrAppendFormat(&md, "![%s](%s.png) ([SVG](%s.svg))\n\n", LrLabel(lr), stem, stem);
    } else {
      absl::StrAppendFormat(&md, "(plot not rendered: %s)\n\n", plotted.message());
    }
    md += PathAccuracyTable(lines, EvalSetNames());
  }
  return md;
}

absl::Status Run() {
  ASSIGN_OR_RETURN(std::unique_ptr<ExperimentTask> task, SetUpExperimentTask("fig4"));
  if (task->dry_run()) {
    PrintPlan(task->spec, *task->model);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(Fig4Results results, RunFig4(task->context));
  *results.mutable_info() = task->Info();
  RETURN_IF_ERROR(WriteReport(task->out_dir, "fig4", Report(*task, results), results));
  std::vector<Verdict> verdicts(results.verdicts().begin(), results.verdicts().end());
  std::cout << "fig4: " << VerdictTally(verdicts) << "; wrote "
            << JoinPath(task->out_dir, "fig4.md") << " in "
            << absl::StrFormat("%.0f s", results.info().wall_seconds()) << "\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmc

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return mmc::RunTask("fig4", mmc::Run);
}
