// Tests for lib/train/train_loop.h that need no dataset: a diverging loss is
// caught at the end of its epoch with the step it first went non-finite, the
// epoch hook (the checkpoint) never sees that epoch, the loop reads its
// device tallies back once per epoch and not per step, and the progress line
// shows the tallies' loss and accuracy.
#include "lib/train/train_loop.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kSamples = 40;  // 5 steps of 8 per epoch.

LoopConfig Config(int epochs) {
  LoopConfig config;
  config.label = "toy";
  config.num_samples = kSamples;
  config.train.set_epochs(epochs);
  config.train.set_batch_size(8);
  config.train.set_lr(0.1);
  config.train.set_momentum(0.9);
  config.train.mutable_schedule()->set_kind(ScheduleSpec::CONSTANT);
  config.progress = false;
  return config;
}

ParamMap Params() {
  return {{"head.weight",
           torch::ones({3}, torch::TensorOptions().device(torch::kCPU))}};
}

// A quadratic loss; NaN from global step `nan_step` on (never when < 0).
// Every sample counts as correct when its index is even.
LossFn ToyLoss(int64_t nan_step) {
  return [nan_step](const ParamMap& params, const torch::Tensor& indices,
                    int64_t step) {
    StepResult result;
    result.loss = params.at("head.weight").square().sum();
    if (nan_step >= 0 && step >= nan_step) {
      result.loss = result.loss * std::numeric_limits<double>::quiet_NaN();
    }
    result.correct = indices.remainder(2).eq(0).sum();
    result.count = indices.size(0);
    return result;
  };
}

TEST(TrainLoopTest, NonFiniteLossStopsAtItsEpochEndNamingTheFirstStep) {
  ParamMap params = Params();
  LoopState state;
  std::vector<int> hooked;
  // Global step 7 = epoch 2, step 3 (5 steps per epoch).
  const absl::Status status =
      RunSgdLoop(Config(3), ToyLoss(7), &params, &state,
                 [&hooked](const LoopState& s, const ParamMap&) {
                   hooked.push_back(s.epochs_done);
                   return absl::OkStatus();
                 });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("toy: loss is not finite"));
  EXPECT_THAT(status.message(), HasSubstr("at epoch 2 of 3, step 3 of 5"));
  EXPECT_THAT(status.message(), HasSubstr("nothing was written"));
  // Epoch 1 was checkpointed; the diverged epoch 2 never reaches the hook.
  EXPECT_EQ(hooked, std::vector<int>({1}));
  EXPECT_EQ(state.epochs_done, 1);
}

TEST(TrainLoopTest, InfIsCaughtLikeNaN) {
  ParamMap params = Params();
  LoopState state;
  LossFn inf_loss = [](const ParamMap& params, const torch::Tensor& indices,
                       int64_t step) {
    StepResult result;
    result.loss = params.at("head.weight").square().sum();
    if (step == 0) result.loss = result.loss * 1e39f * 1e39f;  // +inf.
    return result;
  };
  const absl::Status status = RunSgdLoop(Config(2), inf_loss, &params, &state);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("at epoch 1 of 2, step 1 of 5"));
}

TEST(TrainLoopTest, ReadsTheDeviceOncePerEpochNotPerStep) {
  ParamMap params = Params();
  LoopState state;
  int hooks = 0;
  const int64_t before = TrainingLoopHostReads();
  ASSERT_TRUE(RunSgdLoop(Config(3), ToyLoss(-1), &params, &state,
                         [&hooks](const LoopState&, const ParamMap&) {
                           ++hooks;
                           return absl::OkStatus();
                         })
                  .ok());
  EXPECT_EQ(hooks, 3);
  // 3 epochs of 5 steps: one read at each epoch's end (the NaN check before
  // the hook), none per step.
  EXPECT_EQ(TrainingLoopHostReads() - before, 3);
  // And it trained: SGD shrinks the quadratic's weights.
  EXPECT_LT(params.at("head.weight").abs().max().item<double>(), 0.5);
}

TEST(TrainLoopTest, ProgressShowsTheEpochsLossAndAccuracy) {
  ParamMap params = Params();
  LoopState state;
  LoopConfig config = Config(1);
  config.progress = true;
  config.train.set_lr(0.0);  // The loss stays 3 at every step.
  testing::internal::CaptureStderr();
  ASSERT_TRUE(RunSgdLoop(config, ToyLoss(-1), &params, &state).ok());
  const std::string err = testing::internal::GetCapturedStderr();
  // Half of the 40 indices are even, whatever the shuffle.
  EXPECT_THAT(err, HasSubstr("[toy] epoch 1/1 step 5/5 loss 3.0000 acc 50.0%"))
      << err;
}

}  // namespace
}  // namespace mmc
