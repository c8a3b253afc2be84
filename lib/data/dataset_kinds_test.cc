// Tests for lib/data/dataset_kinds.h: every kind spec.proto names has
// exactly one entry (a new enum value without one fails here, not as a
// 0-channel model), lookups are exact, and the facts agree with the sources.
#include "lib/data/dataset_kinds.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;

TEST(DatasetKindsTest, EveryProtoKindHasOneEntry) {
  const google::protobuf::EnumDescriptor* kinds =
      DatasetSpec::Kind_descriptor();
  std::set<int> registered;
  for (const DatasetKind& entry : DatasetKinds()) {
    EXPECT_TRUE(registered.insert(entry.kind).second)
        << DatasetSpec::Kind_Name(entry.kind) << " registered twice";
  }
  for (int i = 0; i < kinds->value_count(); ++i) {
    const int value = kinds->value(i)->number();
    if (value == DatasetSpec::KIND_UNSPECIFIED) continue;
    EXPECT_EQ(registered.count(value), 1u)
        << kinds->value(i)->name() << " has no entry in dataset_kinds.cc";
  }
  EXPECT_EQ(registered.count(DatasetSpec::KIND_UNSPECIFIED), 0u);
}

TEST(DatasetKindsTest, EntriesAreComplete) {
  for (const DatasetKind& entry : DatasetKinds()) {
    const std::string name = DatasetSpec::Kind_Name(entry.kind);
    const DatasetFacts& f = entry.facts;
    EXPECT_GT(f.train_total, 0) << name;
    EXPECT_GT(f.test_total, 0) << name;
    EXPECT_TRUE(f.channels == 1 || f.channels == 3) << name;
    EXPECT_GT(f.height, 0) << name;
    EXPECT_GT(f.width, 0) << name;
    EXPECT_GT(f.classes, 1) << name;
    EXPECT_NE(entry.load, nullptr) << name;
    // A simple source exactly for the dominoes, which stack two images.
    EXPECT_EQ(entry.load_simple != nullptr, entry.cue == CueStyle::kDominoes)
        << name;
    if (entry.cue == CueStyle::kDominoes) {
      EXPECT_EQ(f.height, 2 * f.width) << name;
    }
  }
}

TEST(DatasetKindsTest, LookupIsExact) {
  EXPECT_EQ(FactsOf(DatasetSpec::CIFAR100_BOX).classes, 100);
  EXPECT_EQ(FactsOf(DatasetSpec::FASHION_MNIST_BOX).channels, 1);
  EXPECT_EQ(FactsOf(DatasetSpec::DOMINOES_FASHION_CIFAR10).height, 64);
  auto missing = FindDatasetKind(DatasetSpec::KIND_UNSPECIFIED);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(
      missing.status().message(),
      HasSubstr("KIND_UNSPECIFIED is not a dataset (FASHION_MNIST_BOX"));
  EXPECT_DEATH(FactsOf(DatasetSpec::KIND_UNSPECIFIED), "has no entry");
}

}  // namespace
}  // namespace mmc
