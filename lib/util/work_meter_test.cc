// Tests of lib/util/work_meter.h: tallies add up, from several threads too,
// and differences isolate the work between two readings.
#include "lib/util/work_meter.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace mmc {
namespace {

TEST(WorkMeterTest, AddsUpAcrossThreadsAndDifferences) {
  const WorkTally before = CurrentWork();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([] {
      for (int i = 0; i < 1000; ++i) {
        AddTrainingWork(3, 0.5);
        AddPathWork(7, 0.25);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const WorkTally done = CurrentWork() - before;
  EXPECT_EQ(done.train_images, 12000);
  EXPECT_DOUBLE_EQ(done.train_seconds, 2000.0);
  EXPECT_EQ(done.path_images, 28000);
  EXPECT_DOUBLE_EQ(done.path_seconds, 1000.0);
  const WorkTally twice = done + done;
  EXPECT_EQ(twice.train_images, 24000);
  EXPECT_DOUBLE_EQ(twice.train_seconds, 4000.0);
  EXPECT_EQ(twice.path_images, 56000);
  EXPECT_DOUBLE_EQ(twice.path_seconds, 2000.0);
}

TEST(WorkMeterTest, TallyRoundTripsAsTextAndBadTextIsAnError) {
  const WorkTally t{123456789012, 1.0 / 3.0, 42, 2.5};
  auto back = ParseWorkTally(FormatWorkTally(t) + "\n");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->train_images, t.train_images);
  EXPECT_EQ(back->train_seconds, t.train_seconds);  // Exact: %.17g.
  EXPECT_EQ(back->path_images, t.path_images);
  EXPECT_EQ(back->path_seconds, t.path_seconds);
  for (const char* bad :
       {"", "train_images=1 train_seconds=1 path_images=1",
        "train_images=1 train_seconds=1 path_images=1 path_seconds=x",
        "train_images=1 train_images=1 path_images=1 path_seconds=1",
        "train_images=1 train_seconds=1 path_images=1 path_seconds=1 more=2",
        "train_images=1.5 train_seconds=1 path_images=1 path_seconds=1"}) {
    EXPECT_FALSE(ParseWorkTally(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace mmc
