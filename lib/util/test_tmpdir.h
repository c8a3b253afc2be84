// Test-only: paths under the test's private temporary directory
// ($TEST_TMPDIR under `bazel test`, /tmp otherwise).
#ifndef LIB_UTIL_TEST_TMPDIR_H_
#define LIB_UTIL_TEST_TMPDIR_H_

#include <cstdlib>
#include <string>

#include "lib/util/files.h"

namespace mmc {

// `name` joined to the test's temporary directory (the directory itself
// when `name` is empty). Nothing is created.
inline std::string TestTmpPath(const std::string& name = "") {
  const char* dir = std::getenv("TEST_TMPDIR");
  return JoinPath(dir != nullptr ? dir : "/tmp", name);
}

}  // namespace mmc

#endif  // LIB_UTIL_TEST_TMPDIR_H_
