// RunChildren: runs everything, never more than `parallel` at once, and on a
// failure stops early with the command's name, exit status and log tail.
#include "lib/util/subprocesses.h"

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/util/cpu_slots.h"
#include "lib/util/files.h"
#include "lib/util/test_tmpdir.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;

ChildCommand Shell(const std::string& label, const std::string& script,
                   const std::string& dir) {
  return {label, {"/bin/sh", "-c", script}, JoinPath(dir, label + ".log")};
}

std::string Read(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

TEST(SubprocessesTest, RunsEveryCommandAtMostParallelAtOnce) {
  const std::string dir = TestTmpPath("limit");
  ASSERT_TRUE(MakeDirs(JoinPath(dir, "running")).ok());
  // Each command marks itself running, records how many are, waits, and
  // leaves.
  const std::string script = absl::StrCat(
      "touch ", dir, "/running/$$; ls ", dir, "/running | wc -l >> ", dir,
      "/counts; sleep 0.3; rm ", dir, "/running/$$; echo finished");
  for (int parallel : {1, 2}) {
    std::remove(JoinPath(dir, "counts").c_str());
    std::vector<ChildCommand> commands;
    for (int i = 0; i < 4; ++i) {
      commands.push_back(
          Shell(absl::StrCat("p", parallel, "_", i), script, dir));
    }
    std::ostringstream progress;
    ASSERT_TRUE(RunChildren(commands, parallel, &progress).ok());
    std::istringstream counts(Read(JoinPath(dir, "counts")));
    int n = 0, lines = 0;
    while (counts >> n) {
      ++lines;
      EXPECT_LE(n, parallel);
    }
    EXPECT_EQ(lines, 4);
    for (const ChildCommand& c : commands) {
      EXPECT_EQ(Read(c.log_path), "finished\n");
      EXPECT_THAT(progress.str(), HasSubstr("done " + c.label));
    }
  }
}

// //tasks:paper runs artifacts (which popen gnuplot) while its children
// train: RunChildren must reap only its own children, and report each
// finished one.
TEST(SubprocessesTest, LeavesOtherChildrenAloneAndReportsEachDone) {
  const std::string dir = TestTmpPath("others");
  ASSERT_TRUE(MakeDirs(dir).ok());
  const std::vector<ChildCommand> commands = {
      Shell("first", "sleep 0.6", dir), Shell("second", "sleep 0.8", dir)};
  std::vector<size_t> done;
  std::thread runner([&] {
    EXPECT_TRUE(RunChildren(commands, 2, nullptr, [&](size_t i) {
                  done.push_back(i);
                }).ok());
  });
  // Ends (and waits, a zombie, for 0.3 s) while RunChildren polls for its
  // own; its status stays with pclose.
  FILE* pipe = popen("exit 3", "r");
  ASSERT_NE(pipe, nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const int status = pclose(pipe);
  runner.join();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_EQ(done, (std::vector<size_t>{0, 1}));
}

// //tasks:paper's budget (lib/util/cpu_slots.h): a child starts only with
// a free slot, holds it to its end, and a worker waits for it.
TEST(SubprocessesTest, EachChildHoldsASlotAndGoesBeforeWorkers) {
  const std::string dir = TestTmpPath("slots");
  ASSERT_TRUE(MakeDirs(dir).ok());
  const std::string marker = JoinPath(dir, "ended");
  CpuSlots slots(1);
  slots.Acquire();  // A path worker's item in progress.
  const std::vector<ChildCommand> commands = {
      Shell("child", absl::StrCat("sleep 0.4; echo > ", marker), dir)};
  std::thread runner([&] {
    EXPECT_TRUE(RunChildren(commands, 2, nullptr, nullptr, &slots).ok());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(FileExists(commands[0].log_path)) << "started without a slot";
  slots.Release();  // The item ends; the child takes the slot at its poll.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(FileExists(commands[0].log_path)) << "never started";
  slots.Acquire();  // The next item waits for the child's end.
  EXPECT_TRUE(FileExists(marker)) << "a worker ran beside the child";
  slots.Release();
  runner.join();
  EXPECT_EQ(slots.in_use(), 0);
}

TEST(SubprocessesTest, FailureStopsTheRestAndNamesTheCommand) {
  const std::string dir = TestTmpPath("failure");
  ASSERT_TRUE(MakeDirs(dir).ok());
  const auto start = std::chrono::steady_clock::now();
  const std::vector<ChildCommand> commands = {
      Shell("slow", "sleep 30", dir),
      Shell("broken", "echo 'what went wrong'; exit 3", dir),
      Shell("never", "echo ran", dir),
  };
  const absl::Status s = RunChildren(commands, 2, nullptr);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("broken failed: exit status 3"));
  EXPECT_THAT(s.message(), HasSubstr("what went wrong"));
  // The slow one was stopped, the third never started.
  EXPECT_LT(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count(),
      20.0);
  EXPECT_FALSE(FileExists(commands[2].log_path));
}

TEST(SubprocessesTest, MissingExecutableIsAnError) {
  const std::string dir = TestTmpPath("missing");
  ASSERT_TRUE(MakeDirs(dir).ok());
  const absl::Status s = RunChildren(
      {{"ghost", {"/nonexistent/binary"}, JoinPath(dir, "ghost.log")}}, 1,
      nullptr);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("ghost failed: could not be started"));
  EXPECT_THAT(s.message(), HasSubstr("cannot execute /nonexistent/binary"));
  EXPECT_FALSE(RunChildren({}, 0, nullptr).ok());
}

TEST(SubprocessesTest, SelfExecutableIsThisTest) {
  EXPECT_THAT(SelfExecutable(), HasSubstr("subprocesses_test"));
}

}  // namespace
}  // namespace mmc
