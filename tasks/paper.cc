// `bazel run -c opt //tasks:paper -- [--spec=S] [--data_dir=D] [--out_dir=O]
//   [--cache_dir=C] [--device=cpu|cuda] [--jobs=N] [--dry_run]
//   [--list_jobs] [--shard=I/N]`
//
// The whole paper on one spec tier (quick by default): the work units of
// every artifact in the paper (lib/experiment/artifacts/registry.h: Fig. 3,
// Fig. 4, Table 3) trained side by side in child processes (--jobs) while
// every artifact of the paper runs here in registry order (Fig. 3, Fig. 4,
// Table 3, Table 2), sharing one run cache, then reports/index.md: one line per
// artifact with its verdict counts and wall time, where the time went, every
// claim with ✓/✗, links to each report and plot.
#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "lib/experiment/artifacts/index_report.h"
#include "lib/experiment/artifacts/registry.h"
#include "lib/util/cpu_slots.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"
#include "lib/util/work_meter.h"
#include "tasks/dispatch.h"
#include "tasks/task_common.h"

namespace mmc {
namespace {

// Which work units the children have finished, for the artifacts waiting
// on theirs.
class UnitsDone {
 public:
  explicit UnitsDone(size_t units) : done_(units, false) {}

  void Done(size_t unit) {
    std::lock_guard<std::mutex> lock(mu_);
    done_[unit] = true;
    changed_.notify_all();
  }
  // The children have all ended (or failed: then nothing more finishes,
  // and an artifact trains what it lacks itself or reports the error).
  void Finish() {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    changed_.notify_all();
  }
  // Whether the children have all ended.
  bool Finished() {
    std::lock_guard<std::mutex> lock(mu_);
    return finished_;
  }
  // Until every unit of `artifact` is done, or the children have ended.
  void WaitFor(const std::string& artifact,
               const std::vector<WorkUnit>& units) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] {
      if (finished_) return true;
      for (size_t u = 0; u < units.size(); ++u) {
        if (units[u].artifact == artifact && !done_[u]) return false;
      }
      return true;
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<bool> done_;
  bool finished_ = false;
};

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
  const std::vector<WorkUnit> units = WorkUnitsOf("paper", task->spec);
  if (task->list_jobs() || task->shard().first >= 0) {
    ASSIGN_OR_RETURN(bool sharded, MaybeListOrShard(*task, units));
    if (sharded) return absl::OkStatus();
  }
  // With --jobs > 1 the children train the work units while the artifacts
  // run here: each artifact starts once its own units have finished (Fig. 3
  // as soon as Fig. 3's units are done, while Fig. 4's and Table 3's still
  // train). The children and the path workers share one slot per job
  // (lib/util/cpu_slots.h), children first: the paths use the cores the
  // training leaves idle (its last units) and never slow it down. The
  // numbers are the same: the artifacts read every model from the cache.
  const bool parallel = task->jobs() > 1 && units.size() > 1;
  UnitsDone units_done(units.size());
  std::future<absl::StatusOr<ArtifactSummary>> training;
  if (parallel) {
    CpuSlots::Global().SetCapacity(task->jobs());
    training = std::async(std::launch::async, [&] {
      absl::StatusOr<ArtifactSummary> summary = RunUnitsInChildren(
          *task, units, [&](size_t unit) { units_done.Done(unit); });
      units_done.Finish();
      return summary;
    });
  }
  const ArtifactEnv env = EnvOf(*task);
  std::vector<ArtifactSummary> summaries;
  absl::Status failed;
  for (size_t i = 0; i < artifacts.size(); ++i) {
    std::cerr << absl::StrFormat("paper: [%d/%d] %s\n", i + 1, artifacts.size(),
                                 artifacts[i]->title());
    if (parallel) {
      units_done.WaitFor(artifacts[i]->name(), units);
      if (!units_done.Finished()) {
        std::cerr << absl::StrFormat(
            "paper: %s's units are done; its paths take the cores the "
            "children leave free (none while %d units train)\n",
            artifacts[i]->name(), task->jobs());
      }
    }
    const WorkTally before = CurrentWork();
    absl::StatusOr<ArtifactSummary> s = artifacts[i]->Run(env);
    if (!s.ok()) {
      failed = s.status();
      break;
    }
    s->work = CurrentWork() - before;
    std::cerr << absl::StrFormat("paper: %s done in %.0f s: %s\n", s->name,
                                 s->seconds, s->headline);
    summaries.push_back(*std::move(s));
  }
  ArtifactSummary units_summary;
  if (parallel) {
    // The children's error first: an artifact's may only follow from it.
    absl::StatusOr<ArtifactSummary> trained = training.get();
    CpuSlots::Global().SetCapacity(0);
    if (!trained.ok()) return trained.status();
    units_summary = *std::move(trained);
  }
  RETURN_IF_ERROR(failed);
  const RunInfo info = task->Info();
  const std::string path = JoinPath(task->out_dir, "index.md");
  RETURN_IF_ERROR(WriteFileAtomically(
      path, IndexReport(task->spec, info, parallel ? &units_summary : nullptr,
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
