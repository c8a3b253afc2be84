// Tests for lib/spec/spec_io.h: every spec in specs/ parses; bad specs name
// file, line and field.
#include "lib/spec/spec_io.h"

#include <dirent.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> SpecFiles(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > 10 && name.substr(name.size() - 10) == ".textproto") {
      out.push_back(dir + "/" + name);
    }
  }
  closedir(d);
  return out;
}

TEST(SpecIoTest, EverySpecInTheTreeParses) {
  int count = 0;
  for (const char* tier : {"specs/smoke", "specs/quick", "specs/paper"}) {
    for (const std::string& path : SpecFiles(tier)) {
      auto spec = LoadSpec(path);
      EXPECT_TRUE(spec.ok()) << spec.status();
      ++count;
    }
  }
  EXPECT_GE(count, 5);
}

TEST(SpecIoTest, ParsesFieldsAndDefaults) {
  auto spec = ParseSpecText(
      "name: 'x'\ndataset { kind: FASHION_MNIST_BOX }\ncue_proportions: 0.8\n",
      "x.textproto");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name(), "x");
  EXPECT_EQ(spec->dataset().holdout_per_class(), 250);
  EXPECT_EQ(spec->dataset().box_size(), 3);
  EXPECT_DOUBLE_EQ(spec->cue_proportions(0), 0.8);
}

TEST(SpecIoTest, SyntaxErrorNamesFileAndLine) {
  auto spec = ParseSpecText("dataset { kind: FASHION_MNIST_BOX }\nname: 'x\n",
                            "bad.textproto");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(std::string(spec.status().message()),
              HasSubstr("bad.textproto:2:"));
}

TEST(SpecIoTest, UnknownFieldIsAnError) {
  auto spec = ParseSpecText(
      "name: 'u'\ndataset {\n  colour: 3\n  kind: FASHION_MNIST_BOX\n}\n",
      "unknown.textproto");
  ASSERT_FALSE(spec.ok());
  const std::string message(spec.status().message());
  EXPECT_THAT(message, HasSubstr("unknown.textproto:3:"));
  EXPECT_THAT(message, HasSubstr("colour"));
}

TEST(SpecIoTest, UnknownDatasetIsAnError) {
  // The parser reports the line of the token after the bad value; keep the
  // closing brace on the same line so that is the value's line.
  auto spec = ParseSpecText("name: 'd'\ndataset { kind: IMAGENET_BOX }\n",
                            "d.textproto");
  ASSERT_FALSE(spec.ok());
  const std::string message(spec.status().message());
  EXPECT_THAT(message, HasSubstr("d.textproto:2:"));
  EXPECT_THAT(message, HasSubstr("IMAGENET_BOX"));
}

TEST(SpecIoTest, MissingDatasetKindIsAnError) {
  auto spec = ParseSpecText("name: 'no data'\n", "k.textproto");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(std::string(spec.status().message()), HasSubstr("dataset.kind"));
}

TEST(SpecIoTest, CueProportionOutOfRangeNamesFieldAndLine) {
  auto spec = ParseSpecText(
      "dataset { kind: FASHION_MNIST_BOX }\ncue_proportions: 0.5\n"
      "cue_proportions: 1.5\n",
      "c.textproto");
  ASSERT_FALSE(spec.ok());
  const std::string message(spec.status().message());
  EXPECT_THAT(message, HasSubstr("c.textproto:3: field cue_proportions[1]"));
  EXPECT_THAT(message, HasSubstr("[0, 1]"));
}

TEST(SpecIoTest, NegativeSizeNamesNestedFieldAndLine) {
  auto spec = ParseSpecText(
      "dataset {\n  kind: FASHION_MNIST_BOX\n  holdout_per_class: -5\n}\n"
      "train { batch_size: 0 }\n",
      "n.textproto");
  ASSERT_FALSE(spec.ok());
  const std::string message(spec.status().message());
  EXPECT_THAT(message,
              HasSubstr("n.textproto:3: field dataset.holdout_per_class must "
                        "be >= 0, got -5"));
  EXPECT_THAT(message,
              HasSubstr("n.textproto:5: field train.batch_size must be > 0"));
}

TEST(SpecIoTest, MissingSpecFileNamesPath) {
  auto spec = LoadSpec("specs/does/not/exist.textproto");
  ASSERT_FALSE(spec.ok());
  EXPECT_THAT(std::string(spec.status().message()),
              HasSubstr("specs/does/not/exist.textproto"));
}

TEST(SpecIoTest, CanonicalTextIsStable) {
  auto a =
      ParseSpecText("cue_proportions: 0.8 dataset { kind: CIFAR10_BOX }", "a");
  auto b =
      ParseSpecText("dataset { kind: CIFAR10_BOX }\ncue_proportions: 0.8", "b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(CanonicalText(*a), CanonicalText(*b));
}

}  // namespace
}  // namespace mmc
