// The scale ladder as an artifact (//tasks:ladder): its --dry_run plan, its
// pipeline (lib/experiment/ladder.h) and its report: ladder.md with the
// ladder.json twin, and ladder.{svg,png} plotting the permuted barriers
// against width (dissimilar pair vs control, one line per epochs setting).
#ifndef TASKS_LADDER_ARTIFACT_H_
#define TASKS_LADDER_ARTIFACT_H_

#include <string>

#include "absl/status/statusor.h"
#include "lib/spec/results.pb.h"
#include "tasks/artifacts.h"
#include "tasks/experiment_task.h"

namespace mmc {

// The default spec (kDefaultSpec, the quick spec) holds the quick rungs in
// its ladder block; every other task ignores that block.
void PlanLadder(const ExperimentTask& task);

absl::StatusOr<ArtifactSummary> RunLadderArtifact(ExperimentTask& task);

// The Markdown of ladder.md (the figure is linked, rendered separately).
std::string LadderReport(const Spec& spec, const LadderResults& results);

// Renders <out_dir>/ladder.{svg,png,gp,dat}.
absl::Status RenderLadderFigure(const std::string& out_dir,
                                const LadderResults& results, const Spec& spec);

}  // namespace mmc

#endif  // TASKS_LADDER_ARTIFACT_H_
