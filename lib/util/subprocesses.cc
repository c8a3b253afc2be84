// Implementation of lib/util/subprocesses.h.
#include "lib/util/subprocesses.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace mmc {
namespace {

constexpr int kLogTailLines = 20;
constexpr int kExecFailed = 127;

std::string LogTail(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "(no log)";
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > kLogTailLines) lines.pop_front();
  }
  return absl::StrJoin(lines, "\n");
}

std::string HowItEnded(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status) == kExecFailed
               ? "could not be started (exit status 127)"
               : absl::StrCat("exit status ", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    return absl::StrCat("killed by signal ", WTERMSIG(status), " (",
                        strsignal(WTERMSIG(status)), ")");
  }
  return absl::StrCat("wait status ", status);
}

// Forks and execs `command` with stdout and stderr in its log; the child
// writes why exec failed into the log and exits 127.
absl::StatusOr<pid_t> Start(const ChildCommand& command) {
  if (command.argv.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(command.label, ": empty command line"));
  }
  const int log = open(command.log_path.c_str(),
                       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(command.label, ": cannot write its log ", command.log_path,
                     ": ", strerror(errno)));
  }
  // Everything the child needs is built before fork: between fork and exec
  // only async-signal-safe calls.
  std::vector<char*> argv;
  for (const std::string& arg : command.argv) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  const std::string exec_error =
      absl::StrCat("cannot execute ", command.argv[0], "\n");
  const pid_t pid = fork();
  if (pid < 0) {
    close(log);
    return absl::ResourceExhaustedError(
        absl::StrCat(command.label, ": fork failed: ", strerror(errno)));
  }
  if (pid == 0) {
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    execv(argv[0], argv.data());
    ssize_t ignored =
        write(STDERR_FILENO, exec_error.data(), exec_error.size());
    (void)ignored;
    _exit(kExecFailed);
  }
  close(log);
  return pid;
}

}  // namespace

// How often RunChildren looks for a child that ended.
constexpr std::chrono::milliseconds kPollInterval(50);

absl::Status RunChildren(const std::vector<ChildCommand>& commands,
                         int parallel, std::ostream* progress,
                         const std::function<void(size_t)>& on_done,
                         CpuSlots* slots) {
  if (parallel < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("RunChildren: parallel must be >= 1, got ", parallel));
  }
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const size_t total = commands.size();
  std::map<pid_t, std::pair<size_t, Clock::time_point>> running;
  size_t next = 0, done = 0;
  absl::Status failure;
  while (next < total || !running.empty()) {
    while (failure.ok() && next < total &&
           running.size() < static_cast<size_t>(parallel)) {
      // No free slot: a worker holds it for a fraction of a second; the
      // claim keeps the others off it and the next poll takes it.
      if (slots != nullptr && !slots->TryAcquireForChild()) break;
      const ChildCommand& command = commands[next];
      absl::StatusOr<pid_t> pid = Start(command);
      if (!pid.ok()) {
        if (slots != nullptr) slots->Release();
        failure = pid.status();
        break;
      }
      running[*pid] = {next, Clock::now()};
      if (progress != nullptr) {
        *progress << absl::StrFormat("[%d/%d] started %s (log: %s)\n", next + 1,
                                     total, command.label, command.log_path);
      }
      ++next;
    }
    if (!failure.ok()) {
      if (slots != nullptr) slots->CancelChildClaim();
      if (running.empty()) break;
      for (const auto& [pid, unused] : running) kill(pid, SIGTERM);
    }
    if (running.empty() && next == total) break;
    // Polls our own children only: waitpid(-1) would also reap a child that
    // another thread of this process started (popen's, in //tasks:paper,
    // whose artifacts run while the children train) and take its status.
    int status = 0;
    pid_t pid = 0;
    for (const auto& [child, unused] : running) {
      const pid_t ended = waitpid(child, &status, WNOHANG);
      if (ended == child) {
        pid = child;
        break;
      }
      if (ended < 0 && errno != EINTR) {
        for (const auto& [other, unused2] : running) kill(other, SIGTERM);
        if (slots != nullptr) {
          // Their slots go back: this process stops waiting for them.
          for (size_t i = 0; i < running.size(); ++i) slots->Release();
          slots->CancelChildClaim();
        }
        return absl::InternalError(
            absl::StrCat("RunChildren: waitpid: ", strerror(errno)));
      }
    }
    if (pid == 0) {
      std::this_thread::sleep_for(kPollInterval);
      continue;
    }
    auto it = running.find(pid);
    const auto [index, started] = it->second;
    running.erase(it);
    if (slots != nullptr) slots->Release();
    const ChildCommand& command = commands[index];
    const double seconds =
        std::chrono::duration<double>(Clock::now() - started).count();
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (ok) {
      ++done;
      if (progress != nullptr) {
        const double elapsed =
            std::chrono::duration<double>(Clock::now() - start).count();
        *progress << absl::StrFormat(
            "[%d/%d] done %s in %.0f s (%d of %d finished, %.0f s so far)\n",
            index + 1, total, command.label, seconds, done, total, elapsed);
      }
      if (on_done) on_done(index);
    } else if (failure.ok()) {
      failure = absl::InternalError(absl::StrFormat(
          "%s failed: %s after %.0f s; the last lines of %s:\n%s",
          command.label, HowItEnded(status), seconds, command.log_path,
          LogTail(command.log_path)));
    }
  }
  return failure;
}

std::string SelfExecutable() {
  char buffer[4096];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return "";
  return std::string(buffer, n);
}

}  // namespace mmc
