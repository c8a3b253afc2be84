// `bazel run -c opt //tasks:export -- [--spec=S] [--cache_dir=C]
//   [--out_dir=O] [--data_dir=D]`
//
// Writes every model the run cache holds for the spec (theta_C, theta_NC,
// quadratic midpoints, fine-tuned models, imported models) as a PyTorch
// state dict, O/export/<cache key>.pt, plus O/export/manifest.json naming
// each file's role, cue proportion, seed, data view, parents, architecture
// and its accuracies and losses on the spec's evaluation sets. Load one in
// Python with python/mmc_lens (README: "Use your own models").
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "lib/experiment/interop.h"
#include "lib/report/markdown.h"
#include "lib/util/files.h"
#include "lib/util/status_macros.h"
#include "tasks/experiment_task.h"
#include "tasks/task_common.h"

namespace mmc {
namespace {

absl::Status Run() {
  ASSIGN_OR_RETURN(std::unique_ptr<ExperimentTask> task,
                   SetUpExperimentTask("export"));
  if (task->dry_run()) {
    std::cout << "export: would write every model of "
              << CacheDirFlag(absl::GetFlag(FLAGS_cache_dir))
              << " made for this spec as a state dict\n";
    return absl::OkStatus();
  }
  const std::string dir = JoinPath(task->out_dir, "export");
  ASSIGN_OR_RETURN(ExportManifest manifest,
                   ExportCachedModels(task->context, dir));
  if (manifest.models_size() == 0) {
    return absl::NotFoundError(
        "the run cache holds no model of this spec: run its experiments "
        "first (or pass the --cache_dir and --spec they used)");
  }
  *manifest.mutable_info() = task->Info();
  RETURN_IF_ERROR(WriteJson(JoinPath(dir, "manifest.json"), manifest));
  std::cout << "wrote " << manifest.models_size() << " state dicts and "
            << JoinPath(dir, "manifest.json") << "\n";
  return absl::OkStatus();
}

}  // namespace
}  // namespace mmc

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return mmc::RunTask("export", mmc::Run);
}
