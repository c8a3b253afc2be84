// Runs commands as child processes, a bounded number at a time, each with
// its output in its own log file. The tasks' --jobs uses it to run
// independent work units side by side (one process each: LibTorch's global
// random generator and thread settings stay per process, so a unit computes
// exactly what it computes alone).
#ifndef LIB_UTIL_SUBPROCESSES_H_
#define LIB_UTIL_SUBPROCESSES_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/util/cpu_slots.h"

namespace mmc {

struct ChildCommand {
  std::string label;              // Named in progress lines and errors.
  std::vector<std::string> argv;  // argv[0]: the executable's path.
  std::string log_path;           // Its stdout and stderr (truncated first).
};

// Runs every command, starting them in order, at most `parallel` at once,
// and returns when all have ended. Writes a line to `progress` (unless
// null) when one starts and when one ends. On the first failure (a non-zero
// exit, a signal, or an executable that cannot run) nothing more starts,
// the running ones get SIGTERM and are waited for, and the error names the
// command, how it ended and the last lines of its log. `on_done` (unless
// empty) is called with a command's index when it has ended successfully,
// on the calling thread. Only these children are waited for: other
// children of the process (popen's) are left to their owners. With `slots`
// (unless null) each child also holds one of them from its start to its
// end, taken before any worker's (CpuSlots::TryAcquireForChild): a child
// starts when both `parallel` and the slots allow.
absl::Status RunChildren(const std::vector<ChildCommand>& commands,
                         int parallel, std::ostream* progress,
                         const std::function<void(size_t)>& on_done = nullptr,
                         CpuSlots* slots = nullptr);

// The absolute path of this process's executable (/proc/self/exe).
std::string SelfExecutable();

}  // namespace mmc

#endif  // LIB_UTIL_SUBPROCESSES_H_
