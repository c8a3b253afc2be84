// Tests for lib/train/schedule.h: known values of each schedule.
#include "lib/train/schedule.h"

#include "gtest/gtest.h"

namespace mmc {
namespace {

TEST(ScheduleTest, StepDecayAtFractions) {
  ScheduleSpec s;
  s.set_kind(ScheduleSpec::STEP);
  s.add_milestone_fractions(0.4);
  s.add_milestone_fractions(0.8);
  EXPECT_DOUBLE_EQ(LearningRate(s, 0.1, 0, 100, 10), 0.1);
  EXPECT_DOUBLE_EQ(LearningRate(s, 0.1, 39, 100, 10), 0.1);
  EXPECT_NEAR(LearningRate(s, 0.1, 40, 100, 10), 0.01, 1e-15);
  EXPECT_NEAR(LearningRate(s, 0.1, 80, 100, 10), 0.001, 1e-15);
}

TEST(ScheduleTest, StepDecayAtEpochs) {
  ScheduleSpec s;
  s.set_kind(ScheduleSpec::STEP);
  s.add_milestone_epochs(40);
  s.add_milestone_epochs(80);
  EXPECT_DOUBLE_EQ(LearningRate(s, 0.1, 40 * 196 - 1, 100 * 196, 196), 0.1);
  EXPECT_NEAR(LearningRate(s, 0.1, 40 * 196, 100 * 196, 196), 0.01, 1e-15);
  EXPECT_NEAR(LearningRate(s, 0.1, 80 * 196, 100 * 196, 196), 0.001, 1e-15);
}

TEST(ScheduleTest, Cosine) {
  ScheduleSpec s;
  s.set_kind(ScheduleSpec::COSINE);
  EXPECT_DOUBLE_EQ(LearningRate(s, 0.01, 0, 100, 10), 0.01);
  EXPECT_NEAR(LearningRate(s, 0.01, 50, 100, 10), 0.005, 1e-15);
  EXPECT_NEAR(LearningRate(s, 0.01, 100, 100, 10), 0.0, 1e-15);
}

TEST(ScheduleTest, Constant) {
  ScheduleSpec s;
  s.set_kind(ScheduleSpec::CONSTANT);
  EXPECT_DOUBLE_EQ(LearningRate(s, 0.3, 77, 100, 10), 0.3);
}

}  // namespace
}  // namespace mmc
