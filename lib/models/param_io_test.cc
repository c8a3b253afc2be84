// Tests for lib/models/param_io.h: round trip, truncation and corruption
// are detected.
#include "lib/models/param_io.h"

#include <torch/torch.h>

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/util/files.h"
#include "lib/util/test_tmpdir.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;

Checkpoint Sample() {
  Checkpoint c;
  c.metadata["epoch"] = "3";
  c.metadata["spec"] = "dataset { kind: FASHION_MNIST_BOX }";
  torch::manual_seed(0);
  c.sections["params"]["a.weight"] = torch::randn({3, 4, 2});
  c.sections["params"]["a.bias"] = torch::randn({3});
  c.sections["momentum"]["a.weight"] = torch::randn({3, 4, 2});
  return c;
}

TEST(ParamIoTest, RoundTripIsBitExact) {
  const std::string path = TestTmpPath("ok.ckpt");
  Checkpoint c = Sample();
  ASSERT_TRUE(SaveCheckpoint(path, c).ok());
  auto back = LoadCheckpoint(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->metadata, c.metadata);
  EXPECT_TRUE(ParamsEqual(back->sections.at("params"), c.sections["params"]));
  EXPECT_TRUE(
      ParamsEqual(back->sections.at("momentum"), c.sections["momentum"]));
}

TEST(ParamIoTest, TruncatedCheckpointIsDetected) {
  const std::string path = TestTmpPath("trunc.ckpt");
  std::string bytes = EncodeCheckpoint(Sample());
  bytes.resize(bytes.size() - 10);
  ASSERT_TRUE(WriteFileAtomically(path, bytes).ok());
  auto back = LoadCheckpoint(path);
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(back.status().message()), HasSubstr("truncated"));
}

TEST(ParamIoTest, FlippedByteIsDetectedByChecksum) {
  const std::string path = TestTmpPath("flip.ckpt");
  std::string bytes = EncodeCheckpoint(Sample());
  bytes[bytes.size() - 7] ^= 0x10;
  ASSERT_TRUE(WriteFileAtomically(path, bytes).ok());
  auto back = LoadCheckpoint(path);
  ASSERT_FALSE(back.ok());
  EXPECT_THAT(std::string(back.status().message()), HasSubstr("checksum"));
}

TEST(ParamIoTest, NotACheckpoint) {
  const std::string path = TestTmpPath("text.ckpt");
  ASSERT_TRUE(WriteFileAtomically(path, "hello world, not a checkpoint").ok());
  EXPECT_FALSE(LoadCheckpoint(path).ok());
}

}  // namespace
}  // namespace mmc
