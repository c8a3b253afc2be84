// File helpers with absl::Status errors: whole-file reads, atomic writes
// (temp file + rename, so readers never see a partial file), directories.
#ifndef LIB_UTIL_FILES_H_
#define LIB_UTIL_FILES_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mmc {

// Reads a whole file. NotFound names the path when it does not exist.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// Writes `contents` to `path` atomically: a unique temp file in the same
// directory, fsync, then rename over `path`. Creates parent directories.
absl::Status WriteFileAtomically(const std::string& path,
                                 const std::string& contents);

// Creates `dir` and its parents; OK if it exists.
absl::Status MakeDirs(const std::string& dir);

// Checks that files can be created in `dir` (creating it if needed) by
// writing and removing a probe file. Used before long runs start.
absl::Status CheckWritableDir(const std::string& dir);

bool FileExists(const std::string& path);

// Resolves a path given on the command line of `bazel run`: relative paths
// are taken against the user's directory ($BUILD_WORKING_DIRECTORY) when set.
std::string ResolveUserPath(const std::string& path);

// The workspace root when run by `bazel run` ($BUILD_WORKSPACE_DIRECTORY),
// else the current directory.
std::string WorkspaceDir();

// Joins two path components with exactly one '/'.
std::string JoinPath(const std::string& a, const std::string& b);

}  // namespace mmc

#endif  // LIB_UTIL_FILES_H_
