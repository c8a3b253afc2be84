// Implementation of lib/util/files.h.
#include "lib/util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace mmc {

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!FileExists(path)) {
      return absl::NotFoundError(absl::StrCat("file not found: ", path));
    }
    return absl::PermissionDeniedError(
        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(absl::StrCat("error reading ", path));
  }
  return buffer.str();
}

absl::Status MakeDirs(const std::string& dir) {
  if (dir.empty()) return absl::OkStatus();
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return absl::PermissionDeniedError(absl::StrCat(
          "cannot create directory ", partial, ": ", std::strerror(errno)));
    }
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir, " exists and is not a directory"));
  }
  return absl::OkStatus();
}

static std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents) {
  const std::string dir = DirName(path);
  if (absl::Status s = MakeDirs(dir); !s.ok()) return s;
  std::string tmpl = path + ".tmp.XXXXXX";
  const int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "cannot write in ", dir, " (for ", path, "): ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n =
        write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      const int err = errno;
      close(fd);
      unlink(tmpl.c_str());
      return absl::DataLossError(
          absl::StrCat("error writing ", tmpl, ": ", std::strerror(err)));
    }
    written += static_cast<size_t>(n);
  }
  fchmod(fd, 0644);
  fsync(fd);
  close(fd);
  if (rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmpl.c_str());
    return absl::DataLossError(absl::StrCat("cannot rename ", tmpl, " to ",
                                            path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

absl::Status CheckWritableDir(const std::string& dir) {
  if (absl::Status s = MakeDirs(dir); !s.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("output directory is not writable: ", s.message()));
  }
  const std::string probe = JoinPath(dir, ".mmc_write_probe");
  FILE* f = std::fopen(probe.c_str(), "w");
  if (f == nullptr) {
    return absl::PermissionDeniedError(absl::StrCat(
        "output directory ", dir, " is not writable: ", std::strerror(errno)));
  }
  std::fclose(f);
  std::remove(probe.c_str());
  return absl::OkStatus();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

std::string JoinPath(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  if (b.front() == '/') return b;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

std::string ResolveUserPath(const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  const char* user_dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (user_dir == nullptr || *user_dir == '\0') return path;
  return JoinPath(user_dir, path);
}

std::string WorkspaceDir() {
  const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  if (ws != nullptr && *ws != '\0') return ws;
  return ".";
}

}  // namespace mmc
