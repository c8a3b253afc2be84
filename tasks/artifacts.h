// The paper's artifacts as functions over one ExperimentTask, shared by the
// per-artifact binaries (fig3, fig4, table3, table2) and by //tasks:all:
// each prints its plan for --dry_run, or runs its pipeline and writes its
// report (Markdown, JSON twin, plots) into the task's output directory.
#ifndef TASKS_ARTIFACTS_H_
#define TASKS_ARTIFACTS_H_

#include <string>

#include "absl/status/statusor.h"
#include "tasks/experiment_task.h"

namespace mmc {

struct ArtifactSummary {
  std::string name;       // "fig3"
  std::string report;     // "fig3.md"
  int asserted = 0;       // Asserted verdicts and how many hold.
  int passed = 0;
  double seconds = 0.0;   // Wall time of this artifact.
  std::string headline;   // One line for the index.
};

void PlanFig3(const ExperimentTask& task);
void PlanFig4(const ExperimentTask& task);
void PlanTable3(const ExperimentTask& task);

absl::StatusOr<ArtifactSummary> RunFig3Artifact(ExperimentTask& task);
absl::StatusOr<ArtifactSummary> RunFig4Artifact(ExperimentTask& task);
absl::StatusOr<ArtifactSummary> RunTable3Artifact(ExperimentTask& task);
// Reads fig3/fig4/table3 .json from the output directory when they were
// made from the same spec, else runs those pipelines (models from the cache).
absl::StatusOr<ArtifactSummary> RunTable2Artifact(ExperimentTask& task);

// Runs `artifact` as a binary's main body: --dry_run prints the plan.
int ArtifactMain(int argc, char** argv, const std::string& name,
                 void (*plan)(const ExperimentTask&),
                 absl::StatusOr<ArtifactSummary> (*run)(ExperimentTask&));

}  // namespace mmc

#endif  // TASKS_ARTIFACTS_H_
