// Tests for lib/util/files.h: atomic writes, reads, error messages.
#include "lib/util/files.h"

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "lib/util/test_tmpdir.h"

namespace mmc {
namespace {

TEST(FilesTest, WriteThenReadRoundTrips) {
  const std::string path = TestTmpPath("a/b/c.txt");
  ASSERT_TRUE(WriteFileAtomically(path, "hello\n").ok());
  auto text = ReadFileToString(path);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, "hello\n");
  ASSERT_TRUE(WriteFileAtomically(path, "bye").ok());
  EXPECT_EQ(*ReadFileToString(path), "bye");
}

TEST(FilesTest, MissingFileNamesPath) {
  auto text = ReadFileToString("/nonexistent/dir/file.bin");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(text.status().message().find("/nonexistent/dir/file.bin"),
            std::string::npos);
}

TEST(FilesTest, UnwritableDirIsAnError) {
  // /proc does not accept new files, even for root.
  absl::Status s = CheckWritableDir("/proc/mmc_lens_out");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/proc/mmc_lens_out"), std::string::npos) << s;
  EXPECT_TRUE(CheckWritableDir(TestTmpPath("out")).ok());
}

TEST(FilesTest, JoinPath) {
  EXPECT_EQ(JoinPath("a", "b"), "a/b");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  EXPECT_EQ(JoinPath("a", "/abs"), "/abs");
  EXPECT_EQ(JoinPath("", "b"), "b");
}

}  // namespace
}  // namespace mmc
