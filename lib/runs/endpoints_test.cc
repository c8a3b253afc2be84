// Tests for lib/runs/endpoints.h and run_cache.h: determinism, cache
// hits, resume after an interruption (bit-identical), NaN handling,
// corrupted cache files, two trainers of one key at once, key contents.
#include "lib/runs/endpoints.h"

#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <stdexcept>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/data/synthetic_sources.h"
#include "lib/models/param_io.h"
#include "lib/spec/spec_io.h"
#include "lib/util/files.h"
#include "lib/util/test_tmpdir.h"

namespace mmc {
namespace {

using ::testing::HasSubstr;

class EndpointsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto spec = LoadSpec("specs/smoke/fashion_box.textproto");
    ASSERT_TRUE(spec.ok()) << spec.status();
    spec_ = *spec;
    spec_.mutable_dataset()->set_holdout_per_class(10);
    spec_.mutable_train()->set_epochs(2);
    dataset_ = *CueDataset::FromSources(
        spec_.dataset(), SyntheticTrainTest(700, 100, 1, 28, 28, 10, 0),
        std::nullopt);
    model_ = std::move(*Model::Create(spec_.model(), 1, 10));
  }

  TrainedModel Train(const std::string& cache_dir, double c = 0.8) {
    RunCache cache(TestTmpPath(cache_dir));
    auto trained = TrainEndpoint(spec_, *model_, *dataset_, c, 0, &cache,
                                 torch::kCPU, /*progress=*/false);
    EXPECT_TRUE(trained.ok()) << trained.status();
    return *trained;
  }

  Spec spec_;
  std::shared_ptr<const CueDataset> dataset_;
  std::unique_ptr<Model> model_;
};

TEST_F(EndpointsTest, SameSpecSameSeedBitIdentical) {
  TrainedModel a = Train("det_a");
  TrainedModel b = Train("det_b");
  EXPECT_FALSE(a.from_cache);
  EXPECT_TRUE(ParamsEqual(a.params, b.params));
  // Training moved the parameters away from the initialisation.
  EXPECT_GT(MaxAbsDiff(a.params, model_->Init(static_cast<int64_t>(
                                     EndpointInitSeed(0.8, 0) >> 1))),
            1e-3);
  // theta_C and theta_NC of one seed start from different initialisations.
  EXPECT_NE(EndpointInitSeed(0.8, 0), EndpointInitSeed(0.0, 0));
}

TEST_F(EndpointsTest, SecondRequestLoadsFromCache) {
  TrainedModel a = Train("hit");
  TrainedModel b = Train("hit");
  EXPECT_TRUE(b.from_cache);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_TRUE(ParamsEqual(a.params, b.params));
}

TEST_F(EndpointsTest, InterruptedRunResumesBitIdentical) {
  TrainedModel straight = Train("resume_straight");

  // A run that dies in its second epoch, after the first epoch's checkpoint.
  RunCache cache(TestTmpPath("resume_killed"));
  TrainRequest request;
  request.key = EndpointKey(spec_, 0.8, 0);
  request.loop.label = "killed";
  request.loop.num_samples = dataset_->Size(View::kTrainMix);
  request.loop.train = spec_.train();
  request.loop.shuffle_seed = EndpointInitSeed(0.8, 0);
  request.loop.progress = false;
  auto data =
      std::make_shared<Batch>(dataset_->Materialize(View::kTrainMix, 0, 0.8));
  request.init = [this] {
    return model_->Init(static_cast<int64_t>(EndpointInitSeed(0.8, 0) >> 1));
  };
  const int64_t steps =
      StepsPerEpoch(request.loop.num_samples, spec_.train().batch_size());
  LossFn real = SupervisedLoss(*model_, data);
  request.loss = [&](const ParamMap& p, const torch::Tensor& idx,
                     int64_t step) {
    if (step == steps + 3) throw std::runtime_error("simulated kill");
    return real(p, idx, step);
  };
  EXPECT_THROW(cache.TrainOrLoad(request), std::runtime_error);
  const std::string partial = cache.PartialPath(CacheKeyHash(request.key));
  ASSERT_TRUE(FileExists(partial));
  EXPECT_EQ(LoadCheckpoint(partial)->metadata.at("epochs_done"), "1");

  // The same command again resumes after epoch 1.
  TrainedModel resumed = Train("resume_killed");
  EXPECT_FALSE(resumed.from_cache);
  EXPECT_TRUE(ParamsEqual(straight.params, resumed.params));
  EXPECT_FALSE(FileExists(partial));
}

TEST_F(EndpointsTest, PartialCheckpointWithUnreadableEpochCountRestarts) {
  TrainedModel straight = Train("bad_epochs_straight");
  // A partial checkpoint of the right key, intact (checksum fine), whose
  // parameters are not the initial ones and whose epoch count is garbage:
  // resuming it as "0 epochs done" would train from the wrong start.
  for (const std::string count : {"x", "-1", "2"}) {
    const std::string dir = "bad_epochs_" + count;
    RunCache cache(TestTmpPath(dir));
    const RunKey key = EndpointKey(spec_, 0.8, 0);
    Checkpoint partial;
    partial.metadata["key"] = CanonicalText(key);
    partial.metadata["epochs_done"] = count;
    partial.sections["params"] = model_->Init(123);
    ASSERT_TRUE(
        SaveCheckpoint(cache.PartialPath(CacheKeyHash(key)), partial).ok());
    TrainedModel restarted = Train(dir);
    EXPECT_TRUE(ParamsEqual(straight.params, restarted.params)) << count;
  }
}

TEST_F(EndpointsTest, DivergingRunStopsWithEpochAndStepAndCachesNothing) {
  spec_.mutable_train()->set_lr(1e8);
  RunCache cache(TestTmpPath("nan"));
  auto trained = TrainEndpoint(spec_, *model_, *dataset_, 0.8, 0, &cache,
                               torch::kCPU, false);
  ASSERT_FALSE(trained.ok());
  const std::string message(trained.status().message());
  EXPECT_THAT(message, HasSubstr("theta_C c=0.8 seed=0"));
  EXPECT_THAT(message, HasSubstr("at epoch 1 of 2, step"));
  const std::string hash = CacheKeyHash(EndpointKey(spec_, 0.8, 0));
  EXPECT_FALSE(FileExists(cache.ModelPath(hash)));
  EXPECT_FALSE(FileExists(cache.PartialPath(hash)));
}

TEST_F(EndpointsTest, CorruptedCachedModelIsRetrained) {
  TrainedModel a = Train("corrupt");
  RunCache cache(TestTmpPath("corrupt"));
  const std::string path = cache.ModelPath(a.hash);
  std::string bytes = *ReadFileToString(path);
  bytes[bytes.size() / 2] ^= 0x5a;
  ASSERT_TRUE(WriteFileAtomically(path, bytes).ok());
  ASSERT_FALSE(LoadCheckpoint(path).ok());
  TrainedModel b = Train("corrupt");
  EXPECT_FALSE(b.from_cache);  // Detected, not loaded, retrained.
  EXPECT_TRUE(ParamsEqual(a.params, b.params));
  EXPECT_TRUE(LoadCheckpoint(path).ok());
}

TEST_F(EndpointsTest, DisabledTrainingLoadsCachedModelsAndRefusesTheRest) {
  TrainedModel a = Train("read_only");
  RunCache cache(TestTmpPath("read_only"));
  cache.set_training_enabled(false);
  auto loaded = TrainEndpoint(spec_, *model_, *dataset_, 0.8, 0, &cache,
                              torch::kCPU, /*progress=*/false);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->from_cache);
  EXPECT_TRUE(ParamsEqual(a.params, loaded->params));
  // Another cue proportion is not cached: an error naming the run, and
  // nothing trained or written.
  namespace fs = std::filesystem;
  const auto files_in = [](const std::string& dir) {
    return std::distance(fs::directory_iterator(dir), fs::directory_iterator());
  };
  const auto models_before = files_in(TestTmpPath("read_only/models"));
  auto missing = TrainEndpoint(spec_, *model_, *dataset_, 0.6, 0, &cache,
                               torch::kCPU, /*progress=*/false);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("training is disabled"));
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("c=0.6"));
  EXPECT_EQ(files_in(TestTmpPath("read_only/models")), models_before);
  EXPECT_EQ(files_in(TestTmpPath("read_only/partial")), 0);
}

TEST_F(EndpointsTest, TwoTrainersOfOneKeyBothFinishWithSameNumbers) {
  TrainedModel first, second;
  std::thread t1([&] { first = Train("concurrent"); });
  std::thread t2([&] { second = Train("concurrent"); });
  t1.join();
  t2.join();
  EXPECT_TRUE(ParamsEqual(first.params, second.params));
  // Exactly one trained; the other waited for the lock and loaded.
  EXPECT_NE(first.from_cache, second.from_cache);
  RunCache cache(TestTmpPath("concurrent"));
  EXPECT_TRUE(LoadCheckpoint(cache.ModelPath(first.hash)).ok());
}

TEST_F(EndpointsTest, KeyCoversTrainingButNotEvaluation) {
  const std::string base = CacheKeyHash(EndpointKey(spec_, 0.8, 0));
  Spec other = spec_;
  other.mutable_dataset()->set_test_limit(17);
  other.mutable_eval()->set_test_size(3);
  other.mutable_dataset()->set_data_dir("/elsewhere");
  EXPECT_EQ(CacheKeyHash(EndpointKey(other, 0.8, 0)), base);
  other.mutable_train()->set_lr(0.2);
  EXPECT_NE(CacheKeyHash(EndpointKey(other, 0.8, 0)), base);
  EXPECT_NE(CacheKeyHash(EndpointKey(spec_, 0.7, 0)), base);
  EXPECT_NE(CacheKeyHash(EndpointKey(spec_, 0.8, 1)), base);
  RunKey versioned = EndpointKey(spec_, 0.8, 0);
  versioned.set_format_version(kTrainingFormatVersion + 1);
  EXPECT_NE(CacheKeyHash(versioned), base);
}

// CPU training depends on the intra-op thread count (gradient sums split by
// thread), so another count is another run; one thread, the smoke specs',
// leaves the key as it was before the field existed (the checked-in smoke
// models keep their keys).
TEST_F(EndpointsTest, KeyCoversIntraOpThreads) {
  ASSERT_EQ(spec_.threads(), 1);
  const RunKey one = EndpointKey(spec_, 0.8, 0);
  EXPECT_FALSE(one.has_intra_op_threads());
  Spec other = spec_;
  for (int threads : {0, 2}) {
    other.set_threads(threads);
    const RunKey key = EndpointKey(other, 0.8, 0);
    EXPECT_TRUE(key.has_intra_op_threads());
    EXPECT_NE(CacheKeyHash(key), CacheKeyHash(one)) << threads;
  }
}

// A GPU cache keys its runs by device, so a CPU model (or a half-finished
// CPU run) is never loaded or resumed on the GPU; CPU keys are unchanged.
TEST_F(EndpointsTest, KeyCoversTheDeviceButCpuKeysStayAsTheyWere) {
  const RunKey key = EndpointKey(spec_, 0.8, 0);
  const RunKey cpu = KeyOnDevice(key, torch::kCPU);
  EXPECT_FALSE(cpu.has_device());
  EXPECT_EQ(CacheKeyHash(cpu), CacheKeyHash(key));
  const RunKey gpu = KeyOnDevice(key, torch::Device(torch::kCUDA, 0));
  EXPECT_EQ(gpu.device(), "cuda:0");
  EXPECT_NE(CacheKeyHash(gpu), CacheKeyHash(key));
}

}  // namespace
}  // namespace mmc
