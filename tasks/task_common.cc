// Implementation of tasks/task_common.h.
#include "tasks/task_common.h"

#include <c10/util/Exception.h>
#include <torch/cuda.h>
#include <torch/torch.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "lib/spec/spec_io.h"
#include "lib/train/device.h"
#include "lib/util/files.h"

namespace mmc {

absl::StatusOr<Spec> LoadSpecFlag(const std::string& flag,
                                  std::string* resolved_path) {
  std::string path = flag.empty() ? kDefaultSpec : flag;
  if (path.front() != '/') {
    const std::string candidates[] = {ResolveUserPath(path), path,
                                      JoinPath(WorkspaceDir(), path)};
    for (const std::string& candidate : candidates) {
      if (FileExists(candidate)) {
        path = candidate;
        break;
      }
    }
  }
  if (resolved_path != nullptr) *resolved_path = path;
  return LoadSpec(path);
}

absl::StatusOr<std::string> PrepareOutDir(const std::string& flag) {
  const std::string dir = flag.empty() ? JoinPath(WorkspaceDir(), "reports")
                                       : ResolveUserPath(flag);
  if (absl::Status s = CheckWritableDir(dir); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("--out_dir: ", s.message()));
  }
  return dir;
}

absl::StatusOr<torch::Device> ParseDeviceFlag(const std::string& flag) {
  return ParseDevice(flag, "--device");
}

std::string CacheDirFlag(const std::string& flag) {
  return flag.empty() ? JoinPath(WorkspaceDir(), "cache")
                      : ResolveUserPath(flag);
}

void ApplyThreads(const Spec& spec) {
  if (spec.threads() > 0) torch::set_num_threads(spec.threads());
}

namespace {

std::string CommandOutput(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 256> buffer;
  while (fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
    out += buffer.data();
  }
  pclose(pipe);
  return std::string(absl::StripAsciiWhitespace(out));
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      return std::string(
          absl::StripAsciiWhitespace(line.substr(line.find(':') + 1)));
    }
  }
  return "unknown CPU";
}

}  // namespace

RunInfo MakeRunInfo(const std::string& task, const std::string& spec_path,
                    const Spec& spec, const torch::Device& device) {
  RunInfo info;
  info.set_task(task);
  info.set_spec_path(spec_path);
  info.set_spec_name(spec.name());
  info.set_tier(spec.tier());
  std::string commit = CommandOutput(absl::StrCat(
      "git -C '", WorkspaceDir(), "' rev-parse --short HEAD 2>/dev/null"));
  if (!commit.empty() &&
      !CommandOutput(absl::StrCat("git -C '", WorkspaceDir(),
                                  "' status --porcelain -uno 2>/dev/null"))
           .empty()) {
    commit += " (with uncommitted changes)";
  }
  info.set_commit(commit.empty() ? "unknown" : commit);
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  info.set_machine(absl::StrFormat("%s, %s, %d threads", host, CpuModel(),
                                   torch::get_num_threads()));
  info.set_device(device.str());
  for (int64_t seed : spec.seeds()) info.add_seeds(seed);
  return info;
}

int RunTask(const std::string& task_name,
            const std::function<absl::Status()>& body) {
  absl::Status status;
  try {
    status = body();
  } catch (const c10::Error& e) {
    status = absl::InternalError(
        absl::StrCat("LibTorch error: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    status = absl::InternalError(absl::StrCat("error: ", e.what()));
  }
  if (!status.ok()) {
    std::cerr << task_name << ": " << status.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace mmc
