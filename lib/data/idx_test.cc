// Tests for lib/data/idx.h: good raw and gzip files, truncated file, wrong
// magic, corrupt gzip, missing file; every error message is asserted.
#include "lib/data/idx.h"

#include <zlib.h>

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/util/files.h"
#include "lib/util/test_tmpdir.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;

IdxArray SmallImages() {
  IdxArray a;
  a.dims = {2, 3, 4};
  for (int i = 0; i < 24; ++i) a.data.push_back(static_cast<uint8_t>(i * 10));
  return a;
}

std::string Gzip(const std::string& raw) {
  const std::string path = TestTmpPath("gz.tmp");
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, raw.data(), static_cast<unsigned>(raw.size()));
  gzclose(f);
  return *ReadFileToString(path);
}

TEST(IdxTest, ReadsRawFile) {
  const std::string path = TestTmpPath("raw-idx3-ubyte");
  ASSERT_TRUE(WriteFileAtomically(path, EncodeIdx(SmallImages())).ok());
  auto array = ReadIdxFile(path, 3, "get it");
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_EQ(array->dims, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(array->data, SmallImages().data);
}

TEST(IdxTest, ReadsGzipFile) {
  const std::string path = TestTmpPath("gz-idx3-ubyte.gz");
  ASSERT_TRUE(WriteFileAtomically(path, Gzip(EncodeIdx(SmallImages()))).ok());
  auto array = ReadIdxFile(path, 3, "get it");
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_EQ(array->data, SmallImages().data);
}

TEST(IdxTest, TruncatedFileNamesFileAndExpectedSize) {
  const std::string path = TestTmpPath("trunc-idx3-ubyte");
  std::string bytes = EncodeIdx(SmallImages());
  bytes.resize(bytes.size() - 5);
  ASSERT_TRUE(WriteFileAtomically(path, bytes).ok());
  auto array = ReadIdxFile(path, 3, "HOW-TO-GET");
  ASSERT_FALSE(array.ok());
  const std::string message(array.status().message());
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("expected 24 bytes of data"));
  EXPECT_THAT(message, HasSubstr("40 bytes in all"));
  EXPECT_THAT(message, HasSubstr("truncated"));
  EXPECT_THAT(message, HasSubstr("HOW-TO-GET"));
}

TEST(IdxTest, WrongMagicNamesExpectedMagic) {
  const std::string path = TestTmpPath("magic-idx1-ubyte");
  ASSERT_TRUE(WriteFileAtomically(path, EncodeIdx(SmallImages())).ok());
  auto array = ReadIdxFile(path, 1, "HOW-TO-GET");
  ASSERT_FALSE(array.ok());
  const std::string message(array.status().message());
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("wrong IDX magic 0x00000803, expected "
                                 "0x00000801"));
  EXPECT_THAT(message, HasSubstr("HOW-TO-GET"));
}

TEST(IdxTest, CorruptGzipIsAnError) {
  const std::string path = TestTmpPath("corrupt-idx3-ubyte.gz");
  std::string gz = Gzip(EncodeIdx(SmallImages()));
  gz.resize(gz.size() / 2);
  ASSERT_TRUE(WriteFileAtomically(path, gz).ok());
  auto array = ReadIdxFile(path, 3, "HOW-TO-GET");
  ASSERT_FALSE(array.ok());
  const std::string message(array.status().message());
  EXPECT_THAT(message, HasSubstr(path));
  EXPECT_THAT(message, HasSubstr("corrupt or truncated gzip"));
  EXPECT_THAT(message, HasSubstr("HOW-TO-GET"));
}

TEST(IdxTest, MissingFileNamesFileAndHowToGet) {
  auto array =
      ReadIdxFile("/nonexistent/train-images-idx3-ubyte.gz", 3, "HOW-TO-GET");
  ASSERT_FALSE(array.ok());
  EXPECT_EQ(array.status().code(), absl::StatusCode::kNotFound);
  const std::string message(array.status().message());
  EXPECT_THAT(message, HasSubstr("/nonexistent/train-images-idx3-ubyte.gz"));
  EXPECT_THAT(message, HasSubstr("HOW-TO-GET"));
}

}  // namespace
}  // namespace mmc
