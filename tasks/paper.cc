// `bazel run -c opt //tasks:paper -- [--spec=S] [--data_dir=D] [--out_dir=O]
//   [--cache_dir=C] [--device=cpu|cuda] [--jobs=N] [--dry_run]
//   [--list_jobs] [--shard=I/N]`
//
// The whole paper on one spec tier (quick by default): the work units of
// every artifact in the paper (lib/experiment/artifacts/registry.h: Fig. 3,
// Fig. 4, Table 3) trained side by side (--jobs), then every artifact of
// the paper in registry order (Fig. 3, Fig. 4, Table 3, Table 2), sharing
// one run cache, then reports/index.md: one line per artifact with its
// verdict counts and wall time, where the time went, every claim with ✓/✗,
// links to each report and plot.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "lib/experiment/artifacts/index_report.h"
#include "lib/experiment/artifacts/registry.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"
#include "lib/util/work_meter.h"
#include "tasks/dispatch.h"
#include "tasks/task_common.h"

namespace mmc {
namespace {

absl::Status Run() {
  ASSIGN_OR_RETURN(std::unique_ptr<ExperimentTask> task,
                   SetUpExperimentTask("paper"));
  const std::vector<const Artifact*> artifacts = PaperArtifacts();
  if (task->dry_run()) {
    for (const Artifact* a : artifacts) {
      std::cout << a->name() << ":\n" << a->Plan(task->spec, *task->model);
    }
    return absl::OkStatus();
  }
  ArtifactSummary units;  // Training in parallel children (--jobs), if any.
  ASSIGN_OR_RETURN(
      bool sharded,
      MaybeListOrShard(*task, WorkUnitsOf("paper", task->spec), &units));
  if (sharded) return absl::OkStatus();
  const ArtifactEnv env = EnvOf(*task);
  std::vector<ArtifactSummary> summaries;
  for (size_t i = 0; i < artifacts.size(); ++i) {
    std::cerr << absl::StrFormat("paper: [%d/%d] %s\n", i + 1, artifacts.size(),
                                 artifacts[i]->title());
    const WorkTally before = CurrentWork();
    ASSIGN_OR_RETURN(ArtifactSummary s, artifacts[i]->Run(env));
    s.work = CurrentWork() - before;
    std::cerr << absl::StrFormat("paper: %s done in %.0f s: %s\n", s.name,
                                 s.seconds, s.headline);
    summaries.push_back(s);
  }
  const RunInfo info = task->Info();
  const std::string path = JoinPath(task->out_dir, "index.md");
  RETURN_IF_ERROR(WriteFileAtomically(
      path, IndexReport(task->spec, info, units.name.empty() ? nullptr : &units,
                        summaries)));
  std::cout << absl::StrFormat("paper: wrote %s in %.0f s\n", path,
                               info.wall_seconds());
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmc

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return mmc::RunTask("paper", mmc::Run);
}
