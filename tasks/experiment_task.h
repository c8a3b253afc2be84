// The setup every experiment task (train, fig3, fig4, table3, table2, all)
// shares: the common flags, the spec, the model, and — unless --dry_run —
// the output directory (checked writable before any work), device, dataset,
// evaluation sets and run cache, bundled as an ExperimentContext.
//
// Flags: --spec (default: the quick spec), --data_dir, --out_dir (default
// reports/), --cache_dir (default cache/), --device=cpu|cuda, --dry_run,
// --list_jobs, --shard=I/N, --jobs=N.
#ifndef TASKS_EXPERIMENT_TASK_H_
#define TASKS_EXPERIMENT_TASK_H_

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "lib/data/cue_dataset.h"
#include "lib/experiment/eval_sets.h"
#include "lib/experiment/fig3.h"
#include "lib/models/model.h"
#include "lib/runs/run_cache.h"
#include "lib/spec/results.pb.h"

ABSL_DECLARE_FLAG(std::string, spec);
ABSL_DECLARE_FLAG(std::string, data_dir);
ABSL_DECLARE_FLAG(std::string, out_dir);
ABSL_DECLARE_FLAG(std::string, cache_dir);
ABSL_DECLARE_FLAG(std::string, device);
ABSL_DECLARE_FLAG(bool, dry_run);
ABSL_DECLARE_FLAG(bool, list_jobs);
ABSL_DECLARE_FLAG(std::string, shard);
ABSL_DECLARE_FLAG(int, jobs);

namespace mmc {

struct ExperimentTask {
  std::string name;
  std::string spec_path;
  Spec spec;
  std::unique_ptr<Model> model;
  std::string out_dir;
  torch::Device device = torch::kCPU;
  std::shared_ptr<const CueDataset> dataset;
  std::unique_ptr<EvalSets> sets;
  std::unique_ptr<RunCache> cache;
  ExperimentContext context;
  std::chrono::steady_clock::time_point start;

  bool dry_run() const;
  // --list_jobs: print the work units and exit (no data is loaded).
  bool list_jobs() const;
  // --shard=I/N, parsed; {-1, 0} when unset.
  std::pair<int, int> shard() const { return shard_; }
  std::pair<int, int> shard_ = {-1, 0};
  // --jobs, resolved (AutomaticJobs when 0): at least 1.
  int jobs() const;
  int jobs_ = 1;
  // Provenance with the wall time so far, or since `since` (an artifact's
  // own start).
  RunInfo Info() const { return Info(start); }
  RunInfo Info(std::chrono::steady_clock::time_point since) const;
};

// How many work units run side by side by default: on the CPU with the
// spec's intra-op threads fixed, as many as fit on `cpus` (each unit keeps
// its threads, so the numbers stay those of a serial run); 1 on a GPU or
// when the spec leaves the thread count to LibTorch (threads: 0, all
// cores).
int AutomaticJobs(const Spec& spec, const std::string& device, int cpus);

// Loads the spec and builds the model; unless --dry_run, also prepares the
// output directory, device, data, evaluation sets and cache.
absl::StatusOr<std::unique_ptr<ExperimentTask>> SetUpExperimentTask(
    const std::string& name);

}  // namespace mmc

#endif  // TASKS_EXPERIMENT_TASK_H_
