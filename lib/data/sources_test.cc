// Tests for lib/data/sources.h on small files in the official formats,
// written by the test: CIFAR-10/100 binary, Fashion-MNIST IDX.
#include "lib/data/sources.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/data/idx.h"
#include "lib/util/files.h"
#include "lib/util/test_tmpdir.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;

constexpr int kRecords = 20;

std::string TempDir(const std::string& name) {
  const std::string path = TestTmpPath(name);
  EXPECT_TRUE(MakeDirs(path).ok());
  return path;
}

// `records` CIFAR records; record r has label (r * 3 + file) % classes and
// pixel p = (r + p + file) % 256. CIFAR-100 records carry a coarse label too.
std::string CifarFile(int records, int file, bool cifar100) {
  std::string out;
  for (int r = 0; r < records; ++r) {
    const int classes = cifar100 ? 100 : 10;
    const int label = (r * 3 + file) % classes;
    if (cifar100) out.push_back(static_cast<char>(label / 5));
    out.push_back(static_cast<char>(label));
    for (int p = 0; p < kCifarPixels; ++p) {
      out.push_back(static_cast<char>((r + p + file) % 256));
    }
  }
  return out;
}

std::string WriteCifar10(const std::string& name) {
  const std::string dir = TempDir(name);
  for (int f = 1; f <= 5; ++f) {
    EXPECT_TRUE(WriteFileAtomically(
                    JoinPath(dir, absl::StrCat("data_batch_", f, ".bin")),
                    CifarFile(kRecords, f, false))
                    .ok());
  }
  EXPECT_TRUE(WriteFileAtomically(JoinPath(dir, "test_batch.bin"),
                                  CifarFile(kRecords, 0, false))
                  .ok());
  return dir;
}

TEST(SourcesTest, ReadsCifar10) {
  const std::string dir = WriteCifar10("cifar10_good");
  auto data = LoadCifar10(dir, kRecords);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train.images.sizes(), (std::vector<int64_t>{100, 3, 32, 32}));
  EXPECT_EQ(data->test.images.size(0), kRecords);
  EXPECT_EQ(data->train.num_classes, 10);
  // Record 2 of data_batch_1: label (2*3+1)%10 = 7; pixel 5 = (2+5+1)%256.
  EXPECT_EQ(data->train.labels[2].item<int64_t>(), 7);
  EXPECT_EQ(data->train.images[2].flatten()[5].item<uint8_t>(), 8);
  // Red plane first: pixel 1024 is the first green value, (2+1024+1)%256 = 3.
  EXPECT_EQ(data->train.images[2][1][0][0].item<uint8_t>(), 3);
  // Row 20 is record 0 of data_batch_2: label 2.
  EXPECT_EQ(data->train.labels[20].item<int64_t>(), 2);
}

TEST(SourcesTest, TruncatedCifar10NamesFileAndExpectedSize) {
  const std::string dir = WriteCifar10("cifar10_truncated");
  const std::string bad = JoinPath(dir, "data_batch_3.bin");
  std::string bytes = CifarFile(kRecords, 3, false);
  bytes.resize(bytes.size() - 100);
  ASSERT_TRUE(WriteFileAtomically(bad, bytes).ok());
  auto data = LoadCifar10(dir, kRecords);
  ASSERT_FALSE(data.ok());
  const std::string message(data.status().message());
  EXPECT_THAT(message, HasSubstr(bad));
  EXPECT_THAT(message,
              HasSubstr(absl::StrCat("expected ", kRecords * 3073, " bytes")));
  EXPECT_THAT(message, HasSubstr("truncated"));
  EXPECT_THAT(message, HasSubstr("cifar-10-binary.tar.gz"));
}

TEST(SourcesTest, MissingCifar10NamesFileAndHowToGet) {
  const std::string dir = TempDir("cifar10_empty");
  auto data = LoadCifar10(dir);
  ASSERT_FALSE(data.ok());
  const std::string message(data.status().message());
  EXPECT_THAT(message, HasSubstr(JoinPath(dir, "data_batch_1.bin")));
  EXPECT_THAT(message, HasSubstr("expected 30730000 bytes"));
  EXPECT_THAT(message, HasSubstr("cifar-10-binary.tar.gz"));
}

TEST(SourcesTest, Cifar10WithoutDataDirSaysHowToPassIt) {
  auto data = LoadCifar10("");
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(std::string(data.status().message()), HasSubstr("--data_dir"));
}

TEST(SourcesTest, ReadsCifar100FineLabels) {
  const std::string dir = TempDir("cifar100_good");
  ASSERT_TRUE(
      WriteFileAtomically(JoinPath(dir, "train.bin"), CifarFile(50, 0, true))
          .ok());
  ASSERT_TRUE(
      WriteFileAtomically(JoinPath(dir, "test.bin"), CifarFile(10, 1, true))
          .ok());
  auto data = LoadCifar100(dir, 50, 10);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train.num_classes, 100);
  EXPECT_EQ(data->train.labels[40].item<int64_t>(), 20);  // 40*3 % 100
  EXPECT_EQ(data->test.labels[9].item<int64_t>(), 28);    // (27+1) % 100
  // Pixels start after the two label bytes.
  EXPECT_EQ(data->train.images[1].flatten()[0].item<uint8_t>(), 1);
}

TEST(SourcesTest, Cifar10FileInCifar100DirIsAnError) {
  const std::string dir = TempDir("cifar100_wrong");
  // A CIFAR-100 record is 3074 bytes: 10 CIFAR-10 records are the wrong size.
  ASSERT_TRUE(
      WriteFileAtomically(JoinPath(dir, "train.bin"), CifarFile(10, 0, false))
          .ok());
  auto data = LoadCifar100(dir, 10, 10);
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(std::string(data.status().message()),
              HasSubstr("expected 30740 bytes"));
}

TEST(SourcesTest, ReadsFashionMnistIdx) {
  const std::string dir = TempDir("fashion");
  for (const char* split : {"train", "t10k"}) {
    IdxArray images, labels;
    images.dims = {10, 28, 28};
    images.data.assign(10 * 28 * 28, 7);
    labels.dims = {10};
    for (int i = 0; i < 10; ++i) labels.data.push_back(9 - i);
    ASSERT_TRUE(WriteFileAtomically(
                    JoinPath(dir, absl::StrCat(split, "-images-idx3-ubyte")),
                    EncodeIdx(images))
                    .ok());
    ASSERT_TRUE(WriteFileAtomically(
                    JoinPath(dir, absl::StrCat(split, "-labels-idx1-ubyte")),
                    EncodeIdx(labels))
                    .ok());
  }
  auto data = LoadFashionMnist(dir);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->train.images.sizes(), (std::vector<int64_t>{10, 1, 28, 28}));
  EXPECT_EQ(data->test.labels[0].item<int64_t>(), 9);
}

TEST(SourcesTest, MissingFashionMnistSaysHowToGet) {
  auto data = LoadFashionMnist(TempDir("fashion_missing"));
  ASSERT_FALSE(data.ok());
  const std::string message(data.status().message());
  EXPECT_THAT(message, HasSubstr("train-images-idx3-ubyte.gz"));
  EXPECT_THAT(message, HasSubstr("dataset-fashion-mnist"));
}

}  // namespace
}  // namespace mmc
