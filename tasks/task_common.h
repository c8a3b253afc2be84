// Command-line plumbing shared by the task binaries: where specs and outputs
// live when run by `bazel run`, and a main() wrapper that turns errors
// (absl::Status, c10::Error) into a message and a non-zero exit.
#ifndef TASKS_TASK_COMMON_H_
#define TASKS_TASK_COMMON_H_

#include <torch/types.h>

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/spec/results.pb.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// The default spec of every task: the quick Fashion-MNIST box-cue spec.
inline constexpr char kDefaultSpec[] = "specs/quick/fashion_box.textproto";

// Finds a spec given on the command line: absolute; relative to the user's
// directory; relative to the runfiles (the specs shipped with the target);
// relative to the workspace. Then loads it (errors name file and line).
absl::StatusOr<Spec> LoadSpecFlag(const std::string& flag,
                                  std::string* resolved_path);

// --out_dir: empty means reports/ of the workspace; relative paths resolve
// against the user's directory. Checked for writability before any work.
absl::StatusOr<std::string> PrepareOutDir(const std::string& flag);

// --device: "cpu" or "cuda" (lib/train/device.h; errors name --device).
absl::StatusOr<torch::Device> ParseDeviceFlag(const std::string& flag);

// --cache_dir: empty means cache/ of the workspace.
std::string CacheDirFlag(const std::string& flag);

// Sets LibTorch's intra-op threads from spec.threads (0: leave the default).
void ApplyThreads(const Spec& spec);

// Provenance for reports: task, spec, seeds, git commit, machine, device.
RunInfo MakeRunInfo(const std::string& task, const std::string& spec_path,
                    const Spec& spec, const torch::Device& device);

// Runs `body`, prints a failed status or a LibTorch exception to stderr and
// returns the process exit code.
int RunTask(const std::string& task_name,
            const std::function<absl::Status()>& body);

}  // namespace mmc

#endif  // TASKS_TASK_COMMON_H_
