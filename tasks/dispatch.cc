// Implementation of tasks/dispatch.h.
#include "tasks/dispatch.h"

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/experiment/artifacts/registry.h"
#include "lib/util/cpu_slots.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"
#include "lib/util/subprocesses.h"
#include "lib/util/work_meter.h"
#include "tasks/task_common.h"

namespace mmc {

ArtifactEnv EnvOf(const ExperimentTask& task) {
  ArtifactEnv env;
  env.context = task.context;
  env.out_dir = task.out_dir;
  env.info = [&task](std::chrono::steady_clock::time_point since) {
    return task.Info(since);
  };
  return env;
}

namespace {

// <cache_dir>/logs/: the shards' logs and work tallies.
std::string ShardLogDir(const ExperimentTask& task) {
  return JoinPath(task.cache->dir(), "logs");
}

// <cache_dir>/logs/<task>_shardII_ofNN.<extension>: a shard's log (written
// by RunUnitsInChildren) and its work tally (written by the shard).
std::string ShardFilePath(const ExperimentTask& task, int shard, int count,
                          const std::string& extension) {
  return JoinPath(ShardLogDir(task),
                  absl::StrFormat("%s_shard%02d_of%02d.%s", task.name, shard,
                                  count, extension));
}

// The flags that make this task's binary run shard I of N against the same
// spec, data, cache and device: --list_jobs prints them, --jobs passes them
// to its children.
std::vector<std::string> ShardFlags(const ExperimentTask& task, size_t shard,
                                    size_t count) {
  std::vector<std::string> flags = {
      absl::StrCat("--spec=", task.spec_path),
      absl::StrCat("--cache_dir=",
                   CacheDirFlag(absl::GetFlag(FLAGS_cache_dir)))};
  if (const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
      !data_dir.empty()) {
    flags.push_back(absl::StrCat("--data_dir=", ResolveUserPath(data_dir)));
  }
  flags.push_back(absl::StrCat("--device=", absl::GetFlag(FLAGS_device)));
  flags.push_back(absl::StrFormat("--shard=%d/%d", shard, count));
  return flags;
}

}  // namespace

absl::StatusOr<ArtifactSummary> RunUnitsInChildren(
    const ExperimentTask& task, const std::vector<WorkUnit>& units,
    const std::function<void(size_t)>& on_unit_done) {
  const auto start = std::chrono::steady_clock::now();
  const std::string self = SelfExecutable();
  if (self.empty()) {
    return absl::InternalError(
        "--jobs: cannot find this executable (/proc/self/exe)");
  }
  RETURN_IF_ERROR(MakeDirs(ShardLogDir(task)));
  std::vector<ChildCommand> children;
  for (size_t i = 0; i < units.size(); ++i) {
    ChildCommand child;
    child.label = units[i].label;
    child.argv = {self};
    for (std::string& flag : ShardFlags(task, i, units.size())) {
      child.argv.push_back(std::move(flag));
    }
    child.argv.push_back(absl::StrCat("--out_dir=", task.out_dir));
    child.argv.push_back("--jobs=1");
    child.log_path = ShardFilePath(task, i, units.size(), "log");
    children.push_back(std::move(child));
  }
  std::cerr << absl::StrFormat(
      "%s: training %d work units in %d processes (--jobs), %d intra-op "
      "thread(s) each; the paths are evaluated here\n",
      task.name, units.size(), task.jobs(), task.spec.threads());
  if (absl::Status s = RunChildren(children, task.jobs(), &std::cerr,
                                   on_unit_done, &CpuSlots::Global());
      !s.ok()) {
    return absl::Status(
        s.code(),
        absl::StrCat(task.name, " --jobs=", task.jobs(), ": ", s.message(),
                     "\n(rerun to resume: finished models are "
                     "cached; --jobs=1 runs everything here)"));
  }
  ArtifactSummary summary;
  summary.name = absl::StrFormat("work units (%d in %d processes)",
                                 units.size(), task.jobs());
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  for (size_t i = 0; i < units.size(); ++i) {
    ASSIGN_OR_RETURN(
        const std::string text,
        ReadFileToString(ShardFilePath(task, i, units.size(), "work")));
    ASSIGN_OR_RETURN(WorkTally tally, ParseWorkTally(text));
    summary.work = summary.work + tally;
  }
  return summary;
}

absl::StatusOr<bool> MaybeListOrShard(const ExperimentTask& task,
                                      const std::vector<WorkUnit>& units) {
  if (task.list_jobs()) {
    for (size_t i = 0; i < units.size(); ++i) {
      std::cout << absl::StrFormat(
          "bazel run -c opt //tasks:%s -- %s  # %s\n", task.name,
          absl::StrJoin(ShardFlags(task, i, units.size()), " "),
          units[i].label);
    }
    return true;
  }
  if (task.shard().first < 0) {
    if (task.jobs() > 1 && units.size() > 1) {
      RETURN_IF_ERROR(RunUnitsInChildren(task, units).status());
    }
    return false;
  }
  const WorkTally before = CurrentWork();
  RETURN_IF_ERROR(
      RunShard(task.context, units, task.shard().first, task.shard().second));
  RETURN_IF_ERROR(WriteFileAtomically(
      ShardFilePath(task, task.shard().first, task.shard().second, "work"),
      FormatWorkTally(CurrentWork() - before) + "\n"));
  std::cerr << absl::StrFormat(
      "%s: shard %d/%d done; run without --shard to render the reports\n",
      task.name, task.shard().first, task.shard().second);
  return true;
}

int ArtifactMain(int argc, char** argv, const std::string& name) {
  absl::ParseCommandLine(argc, argv);
  return RunTask(name, [&]() -> absl::Status {
    const Artifact* artifact = FindArtifact(name);
    if (artifact == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("no artifact named '", name,
                       "' (registered: ", ArtifactNames(), ")"));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<ExperimentTask> task,
                     SetUpExperimentTask(name));
    if (task->dry_run()) {
      std::cout << artifact->Plan(task->spec, *task->model);
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(bool sharded,
                     MaybeListOrShard(*task, artifact->Units(task->spec)));
    if (sharded) return absl::OkStatus();
    ASSIGN_OR_RETURN(ArtifactSummary s, artifact->Run(EnvOf(*task)));
    std::cout << absl::StrFormat("%s: %s; wrote %s in %.0f s\n", name,
                                 s.headline, JoinPath(task->out_dir, s.report),
                                 s.seconds);
    return absl::OkStatus();
  });
}

}  // namespace mmc
