// Flags to artifacts: how the task binaries run the registered artifacts
// (lib/experiment/artifacts/registry.h). Each artifact binary's main is
// one call, ArtifactMain(argc, argv, "<name>"); //tasks:paper runs every
// artifact of the paper in registry order. Here lives only what needs the
// command line: --dry_run, --list_jobs (one command line per work unit),
// --shard=I/N (train that shard's units, no report) and --jobs=N (train the
// units in N child processes of this executable, then render here).
#ifndef TASKS_DISPATCH_H_
#define TASKS_DISPATCH_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/experiment/artifacts/artifact.h"
#include "tasks/experiment_task.h"

namespace mmc {

// The artifact environment of a set-up task: its context, output directory
// and provenance (MakeRunInfo with the wall time since a given start).
ArtifactEnv EnvOf(const ExperimentTask& task);

// Runs every unit in a child process of this executable (--shard=i/N with
// N = units.size(), --jobs=1), task.jobs() at a time, logs in
// <cache_dir>/logs/. The children only train (RunWorkUnit); the caller
// renders from the cache. Returns the wall time and the children's work
// (each shard leaves its tally beside its log).
// `on_unit_done` (unless empty) hears each unit's index when its child has
// finished, on the calling thread.
absl::StatusOr<ArtifactSummary> RunUnitsInChildren(
    const ExperimentTask& task, const std::vector<WorkUnit>& units,
    const std::function<void(size_t)>& on_unit_done = nullptr);

// --list_jobs: prints one command line per unit (a Slurm array runs them
// with --shard=$SLURM_ARRAY_TASK_ID/N). --shard=I/N: runs that shard's
// units and returns true. Otherwise, with task.jobs() > 1, trains the units
// in parallel children (RunUnitsInChildren) and returns false: the caller
// renders. (//tasks:paper runs its children itself, alongside its
// artifacts.)
absl::StatusOr<bool> MaybeListOrShard(const ExperimentTask& task,
                                      const std::vector<WorkUnit>& units);

// The main body of //tasks:<name>: parses the flags, then --dry_run prints
// the artifact's plan, --list_jobs / --shard / --jobs as above, and
// otherwise runs it and writes its report.
int ArtifactMain(int argc, char** argv, const std::string& name);

}  // namespace mmc

#endif  // TASKS_DISPATCH_H_
