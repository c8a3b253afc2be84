// `bazel run -c opt //tasks:pair -- --theta_a=A.pt --theta_b=B.pt
//   [--naming=ours|authors] [--cue_proportion=C] [--data=trC|trNC]
//   [--spec=S] [--data_dir=D] [--out_dir=O] [--cache_dir=K]`
//
// The analyses on two models of your own, given as PyTorch state dicts
// (torch.save(net.state_dict()); --naming=authors for the paper authors'
// EkdeepSLubana/MMC models.py names). The spec gives the architecture the
// files must match, the data and the path settings. Writes O/pair.md and
// pair.json: both models on NC / C / RC / RI / trC / trNC, the linear,
// permuted-linear and quadratic (w/ and w/o cue, midpoints trained at cue
// proportion C, default the spec's first) paths from A (t = 0) to B
// (t = 1) with barriers, each model's invariance set (Def. 3) and the pair's
// Table 2 row with connectivity measured on --data; plus a plot per path.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/experiment/eval_sets.h"
#include "lib/experiment/interop.h"
#include "lib/report/markdown.h"
#include "lib/report/path_report.h"
#include "lib/report/provenance.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"
#include "tasks/experiment_task.h"
#include "tasks/task_common.h"

ABSL_FLAG(std::string, theta_a, "", "state dict of the model at t = 0");
ABSL_FLAG(std::string, theta_b, "", "state dict of the model at t = 1");
ABSL_FLAG(std::string, naming, "ours",
          "tensor names of both files: ours (python/mmc_lens) or authors "
          "(EkdeepSLubana/MMC models.py)");
ABSL_FLAG(double, cue_proportion, -1,
          "cue proportion of the quadratic paths' training data and of the "
          "BatchNorm reset (default: the spec's first)");
ABSL_FLAG(std::string, data, "trC",
          "the set Table 2's connectivity is measured on: trC or trNC");

namespace mmc {
namespace {

std::string PairReport(const ExperimentTask& task, const PairResults& r,
                       double c) {
  std::string md = "# Paths between two imported models\n\n";
  md += ProvenanceMarkdown(r.info());
  absl::StrAppendFormat(
      &md,
      "- theta_a (t = 0): `%s`\n- theta_b (t = 1): `%s`\n- model: %s; "
      "quadratic midpoints trained on trC / trNC at c = %g; BatchNorm "
      "statistics recomputed at every point\n\n",
      absl::GetFlag(FLAGS_theta_a), absl::GetFlag(FLAGS_theta_b),
      task.model->Describe(), c);
  md += "## Models\n\nAccuracy (%) and, in brackets, loss (nats).\n\n";
  std::vector<std::string> header = {"model"};
  for (const std::string& s : EvalSetNames()) header.push_back(s);
  MarkdownTable models(header);
  for (const ModelResult& m : r.endpoints()) {
    std::vector<SetMetrics> metrics(m.metrics().begin(), m.metrics().end());
    std::vector<std::string> row = {m.name()};
    for (const std::string& s : EvalSetNames()) {
      row.push_back(absl::StrCat(Fixed(AccuracyOf(metrics, s)), " (",
                                 Fixed(LossOf(metrics, s), 3), ")"));
    }
    models.AddRow(row);
  }
  md += models.Render();
  const PairAssessment& a = r.assessment();
  md += "\n## Table 2 row\n\n";
  MarkdownTable row({"invariances a", "invariances b", "similar", "data",
                     "linear", "permuted", "quadratic", "linear mech.",
                     "quadratic mech."});
  row.AddRow({a.invariances_a(), a.invariances_b(), a.similar() ? "yes" : "no",
              a.data(), a.linear(), a.linear_permuted(), a.quadratic(),
              a.linear_mech(), a.quadratic_mech()});
  md += row.Render();
  absl::StrAppendFormat(
      &md,
      "\nInvariance sets by loss (Def. 3, tolerance %g nats; by accuracy, "
      "tolerance %g points: %s / %s). Connected: barrier <= %g nats and dip "
      "<= %g points on %s.\n",
      task.spec.claims().invariance_max_loss_gap(),
      task.spec.claims().invariance_max_accuracy_gap(),
      a.invariances_a_by_accuracy(), a.invariances_b_by_accuracy(),
      task.spec.claims().connected_max_barrier(),
      task.spec.claims().connected_max_dip(), a.data());
  md += "\n## Barriers\n\n";
  std::vector<LabelledPath> all;
  for (const PathResult& p : r.paths()) all.push_back({p.path(), &p});
  md += BarrierTable(all, EvalSetNames());
  for (const PathResult& p : r.paths()) {
    const std::string stem = PathPlotStem("pair", p.path());
    absl::StrAppendFormat(&md, "\n## %s\n\n", p.path());
    absl::Status plotted = RenderPathFigure(
        task.out_dir, stem,
        absl::StrCat(p.path(), ": accuracy along theta_a -> theta_b"),
        {{p.path(), &p}}, EvalSetNames());
    if (plotted.ok()) {
      absl::StrAppendFormat(&md, "![%s](%s.png) ([SVG](%s.svg))\n\n", p.path(),
                            stem, stem);
    } else {
      absl::StrAppendFormat(&md, "(plot not rendered: %s)\n\n",
                            plotted.message());
    }
    md += PathAccuracyTable({{p.path(), &p}}, EvalSetNames());
  }
  return md;
}

absl::Status Run() {
  const std::string path_a = absl::GetFlag(FLAGS_theta_a);
  const std::string path_b = absl::GetFlag(FLAGS_theta_b);
  if (path_a.empty() || path_b.empty()) {
    return absl::InvalidArgumentError(
        "pair needs --theta_a=FILE and --theta_b=FILE (PyTorch state dicts)");
  }
  ASSIGN_OR_RETURN(StateDictNaming naming,
                   ParseStateDictNaming(absl::GetFlag(FLAGS_naming)));
  ASSIGN_OR_RETURN(std::unique_ptr<ExperimentTask> task,
                   SetUpExperimentTask("pair"));
  double c = absl::GetFlag(FLAGS_cue_proportion);
  if (c < 0) {
    if (task->spec.cue_proportions_size() == 0) {
      return absl::InvalidArgumentError(
          "the spec has no cue proportion: pass --cue_proportion");
    }
    c = task->spec.cue_proportions(0);
  }
  if (task->dry_run()) {
    std::cout << "pair: would import " << path_a << " and " << path_b << " as "
              << task->model->Describe()
              << ", train two quadratic midpoints at c = " << c
              << " and evaluate four paths\n";
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(TrainedModel a, ImportModel(task->context, path_a, naming));
  ASSIGN_OR_RETURN(TrainedModel b, ImportModel(task->context, path_b, naming));
  ASSIGN_OR_RETURN(
      PairResults results,
      RunImportedPair(task->context, a, b, c, absl::GetFlag(FLAGS_data)));
  *results.mutable_info() = task->Info();
  RETURN_IF_ERROR(WriteReport(task->out_dir, "pair",
                              PairReport(*task, results, c), results));
  std::cout << "wrote " << JoinPath(task->out_dir, "pair.md")
            << " and pair.json\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmc

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return mmc::RunTask("pair", mmc::Run);
}
