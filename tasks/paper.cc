// `bazel run -c opt //tasks:paper -- [--spec=S] [--data_dir=D] [--out_dir=O]
//   [--cache_dir=C] [--device=cpu|cuda] [--jobs=N] [--dry_run]
//   [--list_jobs] [--shard=I/N]`
//
// The whole paper on one spec tier (quick by default): the work units of
// Fig. 3, Fig. 4 and Table 3 trained side by side (--jobs), then Fig. 3,
// Fig. 4, Table 3 and Table 2 in order, sharing one run cache, then
// reports/index.md: one line per artifact with its verdict counts and wall
// time, every claim with ✓/✗, links to each report and plot.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/experiment/fig3.h"
#include "lib/experiment/golden.h"
#include "lib/paths/kinds/registry.h"
#include "lib/report/markdown.h"
#include "lib/report/path_report.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"
#include "lib/util/work_meter.h"
#include "tasks/artifacts.h"
#include "tasks/task_common.h"

namespace mmc {
namespace {

// The verdicts of the report just written; a JSON that cannot be read is
// an error (an index without its claims would hide it).
template <typename Results>
absl::StatusOr<std::vector<Verdict>> VerdictsOf(const std::string& out_dir,
                                                const std::string& name) {
  Results results;
  const std::string path = JoinPath(out_dir, name + ".json");
  if (absl::Status s = ReadGolden(path, &results); !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat("paper: cannot read ", path,
                                     " for the index: ", s.message()));
  }
  return std::vector<Verdict>(results.verdicts().begin(),
                              results.verdicts().end());
}

absl::Status Run() {
  ASSIGN_OR_RETURN(std::unique_ptr<ExperimentTask> task,
                   SetUpExperimentTask("paper"));
  if (task->dry_run()) {
    PlanFig3(*task);
    PlanFig4(*task);
    PlanTable3(*task);
    std::cout << "  table2: derived from the three above (paths of the Table 3 "
                 "pairs evaluated, no training)\n";
    return absl::OkStatus();
  }
  ArtifactSummary units;  // Training in parallel children (--jobs), if any.
  ASSIGN_OR_RETURN(
      bool sharded,
      MaybeListOrShard(*task, WorkUnits("paper", task->spec), &units));
  if (sharded) return absl::OkStatus();
  std::vector<ArtifactSummary> summaries;
  for (auto run : {RunFig3Artifact, RunFig4Artifact, RunTable3Artifact,
                   RunTable2Artifact}) {
    const WorkTally before = CurrentWork();
    ASSIGN_OR_RETURN(ArtifactSummary s, run(*task));
    s.work = CurrentWork() - before;
    std::cerr << absl::StrFormat("paper: %s done in %.0f s: %s\n", s.name,
                                 s.seconds, s.headline);
    summaries.push_back(s);
  }
  const RunInfo info = task->Info();
  std::string md =
      absl::StrFormat("# mmc-lens: the whole paper\n\n%s\n", task->spec.name());
  md += ProvenanceMarkdown(info);
  md += "\n| artifact | report | verdicts |\n|---|---|---|\n";
  for (const ArtifactSummary& s : summaries) {
    absl::StrAppendFormat(&md, "| %s | [%s](%s) | %s |\n", s.name, s.report,
                          s.report, s.headline);
  }
  md +=
      "\n## Where the time went\n\nImages: trained on (SGD steps of models "
      "not found in the cache) plus evaluated along paths (BatchNorm reset "
      "and every set at every point). img/s: all of them over the wall time. "
      "Training and paths: share of the wall time, with their own img/s; "
      "the rest is model evaluations, permutation matching, data and "
      "reports. With --jobs > 1 the first row is the training of every "
      "work unit in parallel child processes (their images and seconds "
      "summed, so shares may exceed 100%); the artifacts' rows are then the "
      "evaluation and reports from the cache.\n\n| artifact | wall time | "
      "images | img/s | training | "
      "paths | rest |\n|---|---|---|---|---|---|---|\n";
  WorkTally total;
  double total_seconds = 0.0;
  std::vector<ArtifactSummary> rows = summaries;
  if (!units.name.empty()) rows.insert(rows.begin(), units);
  for (const ArtifactSummary& s : rows) {
    md += "| " + s.name;
    for (const std::string& cell : ThroughputCells(s)) md += " | " + cell;
    md += " |\n";
    total_seconds += s.seconds;
    total = total + s.work;
  }
  ArtifactSummary all_summary;
  all_summary.seconds = total_seconds;
  all_summary.work = total;
  md += "| all artifacts";
  for (const std::string& cell : ThroughputCells(all_summary)) {
    md += " | " + cell;
  }
  md += " |\n";
  const std::string& out = task->out_dir;
  md += "\n## Every claim\n\n### Fig. 3\n\n";
  ASSIGN_OR_RETURN(std::vector<Verdict> fig3,
                   VerdictsOf<Fig3Results>(out, "fig3"));
  md += VerdictMarkdown(fig3);
  md += "\nPlots:";
  for (const PathKind& kind : PathKinds()) {
    absl::StrAppendFormat(&md, " [%s](%s.png)", kind.name,
                          Fig3PlotStem(kind.name));
  }
  md += "\n\n### Fig. 4\n\n";
  ASSIGN_OR_RETURN(std::vector<Verdict> fig4,
                   VerdictsOf<Fig4Results>(out, "fig4"));
  md += VerdictMarkdown(fig4);
  md += "\nPlots:";
  for (double lr : task->spec.finetune().fig4_lrs()) {
    absl::StrAppendFormat(&md, " [lr=%g](fig4_lr_%g.png)", lr, lr);
  }
  md += "\n\n### Table 3\n\n";
  ASSIGN_OR_RETURN(std::vector<Verdict> table3,
                   VerdictsOf<Table3Results>(out, "table3"));
  md += VerdictMarkdown(table3);
  md += "\n### Table 2\n\nSee [table2.md](table2.md): ";
  md += summaries.back().headline + ".\n";
  RETURN_IF_ERROR(WriteFileAtomically(JoinPath(out, "index.md"), md));
  std::cout << absl::StrFormat("paper: wrote %s in %.0f s\n",
                               JoinPath(out, "index.md"), info.wall_seconds());
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmc

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return mmc::RunTask("paper", mmc::Run);
}
