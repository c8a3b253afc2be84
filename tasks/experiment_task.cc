// Implementation of tasks/experiment_task.h.
#include "tasks/experiment_task.h"

#include <algorithm>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "lib/experiment/plan.h"
#include "lib/spec/spec_io.h"
#include "lib/util/cpus.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"
#include "tasks/task_common.h"

ABSL_FLAG(std::string, spec, mmc::kDefaultSpec,
          "experiment spec (textproto); relative paths resolve against the "
          "directory bazel run was started from, then the workspace");
ABSL_FLAG(std::string, data_dir, "",
          "dataset directory (required for CIFAR); overrides the spec");
ABSL_FLAG(std::string, out_dir, "", "output directory (default: reports/)");
ABSL_FLAG(std::string, cache_dir, "",
          "run cache of trained models (default: cache/ in the workspace)");
ABSL_FLAG(std::string, device, "cpu", "cpu or cuda");
ABSL_FLAG(bool, dry_run, false, "print the resolved plan and exit");
ABSL_FLAG(bool, list_jobs, false,
          "print the independent units of work, one command line each, and "
          "exit");
ABSL_FLAG(int, jobs, 0,
          "work units run side by side in this many processes (each with the "
          "spec's threads, so the numbers do not depend on it), then this "
          "process renders the reports; 0: automatic (available CPUs / the "
          "spec's threads on the CPU, 1 on a GPU or when the spec leaves "
          "threads to LibTorch); 1: everything in this process");
ABSL_FLAG(std::string, shard, "",
          "I/N: train only the units with index % N == I (into the shared "
          "--cache_dir; no path is evaluated, no report written); then run "
          "without --shard to evaluate and render the reports");

namespace mmc {

int AutomaticJobs(const Spec& spec, const std::string& device, int cpus) {
  if (device == "cuda" || spec.threads() <= 0) return 1;
  return std::max(1, cpus / spec.threads());
}

bool ExperimentTask::dry_run() const { return absl::GetFlag(FLAGS_dry_run); }
int ExperimentTask::jobs() const { return jobs_; }
bool ExperimentTask::list_jobs() const {
  return absl::GetFlag(FLAGS_list_jobs);
}

RunInfo ExperimentTask::Info(
    std::chrono::steady_clock::time_point since) const {
  RunInfo info = MakeRunInfo(name, spec_path, spec, device);
  info.set_wall_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
          .count());
  return info;
}

absl::StatusOr<std::unique_ptr<ExperimentTask>> SetUpExperimentTask(
    const std::string& name) {
  auto task = std::make_unique<ExperimentTask>();
  task->name = name;
  task->start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(task->spec,
                   LoadSpecFlag(absl::GetFlag(FLAGS_spec), &task->spec_path));
  RETURN_IF_ERROR(RequireClaims(task->spec));
  ApplyThreads(task->spec);
  const DatasetFacts facts = FactsOf(task->spec.dataset().kind());
  ASSIGN_OR_RETURN(task->model, Model::Create(task->spec.model(),
                                              facts.channels, facts.classes));
  if (const std::string shard = absl::GetFlag(FLAGS_shard); !shard.empty()) {
    std::pair<std::string, std::string> parts = absl::StrSplit(shard, '/');
    if (!absl::SimpleAtoi(parts.first, &task->shard_.first) ||
        !absl::SimpleAtoi(parts.second, &task->shard_.second) ||
        task->shard_.second <= 0 || task->shard_.first < 0 ||
        task->shard_.first >= task->shard_.second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--shard must be I/N with 0 <= I < N, got '", shard, "'"));
    }
  }
  const int jobs = absl::GetFlag(FLAGS_jobs);
  if (jobs < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--jobs must be 0 (automatic) or positive, got ", jobs));
  }
  task->jobs_ = jobs > 0
                    ? jobs
                    : AutomaticJobs(task->spec, absl::GetFlag(FLAGS_device),
                                    AvailableCpus());
  if (task->dry_run() || task->list_jobs()) return task;
  ASSIGN_OR_RETURN(task->out_dir, PrepareOutDir(absl::GetFlag(FLAGS_out_dir)));
  ASSIGN_OR_RETURN(task->device, ParseDeviceFlag(absl::GetFlag(FLAGS_device)));
  ASSIGN_OR_RETURN(
      task->dataset,
      CueDataset::Load(task->spec.dataset(),
                       ResolveUserPath(absl::GetFlag(FLAGS_data_dir))));
  task->sets = std::make_unique<EvalSets>(*task->dataset, task->spec.eval(),
                                          task->device);
  task->cache = std::make_unique<RunCache>(
      CacheDirFlag(absl::GetFlag(FLAGS_cache_dir)), task->device);
  ExperimentContext& c = task->context;
  c.spec = &task->spec;
  c.model = task->model.get();
  c.dataset = task->dataset.get();
  c.sets = task->sets.get();
  c.cache = task->cache.get();
  c.device = task->device;
  return task;
}

}  // namespace mmc
