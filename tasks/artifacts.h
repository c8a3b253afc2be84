// The paper's artifacts as functions over one ExperimentTask, shared by the
// per-artifact binaries (fig3, fig4, table3, table2) and by //tasks:paper:
// each prints its plan for --dry_run, or runs its pipeline and writes its
// report (Markdown, JSON twin, plots) into the task's output directory.
#ifndef TASKS_ARTIFACTS_H_
#define TASKS_ARTIFACTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/util/work_meter.h"
#include "tasks/experiment_task.h"

namespace mmc {

struct ArtifactSummary {
  std::string name;    // "fig3"
  std::string report;  // "fig3.md"
  int asserted = 0;    // Asserted verdicts and how many hold.
  int passed = 0;
  double seconds = 0.0;  // Wall time of this artifact.
  std::string headline;  // One line for the index.
  // Images trained on and evaluated along paths, and the time in each
  // (filled by //tasks:paper from lib/util/work_meter.h around the artifact).
  WorkTally work;
};

// The index's throughput columns of `s`: wall time, images (training +
// paths), img/s over the wall time, and the share of the wall time spent
// training, evaluating paths and on the rest ("24 s", "1.2M", ...).
std::vector<std::string> ThroughputCells(const ArtifactSummary& s);

// The file stem of the Fig. 3 plot of `path` ("fig3_Quadratic_w__Cue").
std::string Fig3PlotStem(const std::string& path);

void PlanFig3(const ExperimentTask& task);
void PlanFig4(const ExperimentTask& task);
void PlanTable3(const ExperimentTask& task);

absl::StatusOr<ArtifactSummary> RunFig3Artifact(ExperimentTask& task);
absl::StatusOr<ArtifactSummary> RunFig4Artifact(ExperimentTask& task);
absl::StatusOr<ArtifactSummary> RunTable3Artifact(ExperimentTask& task);
// Reads fig3/fig4/table3 .json from the output directory when they were
// made from the same spec, else runs those pipelines (models from the cache).
absl::StatusOr<ArtifactSummary> RunTable2Artifact(ExperimentTask& task);

// Sharding (--list_jobs, --shard=I/N): an artifact's training splits into
// independent work units (Fig. 3: one per cue proportion, the control pair
// with the first; Fig. 4: one per cue proportion; Table 3: one per (cue
// proportion, seed); the ladder: one per rung); a unit is the artifact's
// pipeline on a narrowed spec. Shards write only into the shared run cache; a
// final run without --shard finds every model there and renders the reports.
struct WorkUnit {
  std::string artifact;  // fig3, fig4, table3
  std::string label;     // "fig3 c=0.8"
  Spec spec;             // The narrowed spec.
};

// The units of `artifact` ("fig3", "fig4", "table3", "ladder", or "paper" for
// the first three).
std::vector<WorkUnit> WorkUnits(const std::string& artifact, const Spec& spec);

// Runs one unit's pipeline against the context's data and cache, training
// only (ExperimentContext::evaluate_paths = false): the render evaluates.
absl::Status RunWorkUnit(const ExperimentContext& context,
                         const WorkUnit& unit);

// Runs the units with index % count == index_of_shard, in order.
absl::Status RunShard(const ExperimentContext& context,
                      const std::vector<WorkUnit>& units, int shard, int count);

// Runs every unit in a child process of this executable (--shard=i/N with
// N = units.size(), --jobs=1), task.jobs() at a time, logs in
// <cache_dir>/logs/. The children only train (RunWorkUnit); the caller
// renders from the cache. Returns the wall time and the children's work
// (each shard leaves its tally beside its log).
absl::StatusOr<ArtifactSummary> RunUnitsInChildren(
    const ExperimentTask& task, const std::vector<WorkUnit>& units);

// --list_jobs: prints one command line per unit (a Slurm array runs them
// with --shard=$SLURM_ARRAY_TASK_ID/N). --shard=I/N: runs that shard's
// units and returns true. Otherwise, with task.jobs() > 1, trains the units
// in parallel children (RunUnitsInChildren; their summary into
// `units_summary` unless null) and returns false: the caller renders.
absl::StatusOr<bool> MaybeListOrShard(const ExperimentTask& task,
                                      const std::vector<WorkUnit>& units,
                                      ArtifactSummary* units_summary = nullptr);

// Runs `artifact` as a binary's main body: --dry_run prints the plan,
// --list_jobs prints one command line per work unit, --shard=I/N runs only
// that shard's units (no report).
int ArtifactMain(int argc, char** argv, const std::string& name,
                 void (*plan)(const ExperimentTask&),
                 absl::StatusOr<ArtifactSummary> (*run)(ExperimentTask&));

}  // namespace mmc

#endif  // TASKS_ARTIFACTS_H_
