// Implementation of tasks/task_common.h.
#include "tasks/task_common.h"

#include <c10/util/Exception.h>

#include <exception>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "lib/spec/spec_io.h"
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
