// Tests for lib/data/cue_dataset.h: cue placement, counterfactual views,
// cue proportion, hold-out, determinism, Dominoes composition.
#include "lib/data/cue_dataset.h"

#include <torch/torch.h>

#include <map>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lib/data/synthetic_sources.h"

namespace mmc {
namespace {

// 1x28x28, 10 classes: 600 training images (60 per class), 200 test.
std::shared_ptr<const CueDataset> FashionLike(int holdout = 10) {
  DatasetSpec spec;
  spec.set_kind(DatasetSpec::FASHION_MNIST_BOX);
  spec.set_holdout_per_class(holdout);
  auto ds = CueDataset::FromSources(
      spec, SyntheticTrainTest(600, 200, 1, 28, 28, 10, 0), std::nullopt);
  EXPECT_TRUE(ds.ok()) << ds.status();
  return *ds;
}

// Top-left corner of the first pixel equal to 255 in channel 0 of one image
// [C, H, W] (uint8), or (-1, -1).
std::pair<int, int> FindBox(const torch::Tensor& image) {
  torch::Tensor hits = (image[0] == 255).nonzero();
  if (hits.size(0) == 0) return {-1, -1};
  return {static_cast<int>(hits[0][0].item<int64_t>()),
          static_cast<int>(hits.select(1, 1).min().item<int64_t>())};
}

TEST(BoxPositionTest, MatchesQuickTierTable) {
  const std::vector<std::pair<int, int>> expected = {
      {0, 0},   {0, 8},  {0, 17}, {0, 25},  {12, 0},
      {12, 25}, {25, 0}, {25, 8}, {25, 17}, {25, 25}};
  for (int k = 0; k < 10; ++k) {
    EXPECT_EQ(BoxPosition(k, 28, 28, 3), expected[k]) << "class " << k;
  }
}

TEST(CueDatasetTest, CueAtClassPositionInCAbsentInNC) {
  auto ds = FashionLike();
  std::vector<int64_t> idx(100);
  for (int i = 0; i < 100; ++i) idx[i] = i;
  Batch c = ds->Get(View::kTestCue, idx);
  Batch nc = ds->Get(View::kTestNoCue, idx);
  torch::Tensor cp = ds->ToPixels(c.x), np = ds->ToPixels(nc.x);
  for (int i = 0; i < 100; ++i) {
    const int label = static_cast<int>(c.y[i].item<int64_t>());
    EXPECT_EQ(FindBox(cp[i]), BoxPosition(label, 28, 28, 3)) << i;
    EXPECT_EQ(FindBox(np[i]), std::make_pair(-1, -1)) << i;
    // Exactly the 3x3 box differs between C and NC.
    EXPECT_EQ((cp[i] != np[i]).sum().item<int64_t>(), 9) << i;
  }
  // Normalisation to [-1, 1]: the box (pixel 255) is +1.
  EXPECT_FLOAT_EQ(c.x.max().item<float>(), 1.0f);
}

TEST(CueDatasetTest, RandomCuePositionIsUniform) {
  auto ds = FashionLike();
  std::vector<int64_t> idx(200);
  for (int i = 0; i < 200; ++i) idx[i] = i;
  // 200 test images x 1 draw each is few; use many counterfactual seeds.
  std::map<std::pair<int, int>, int> counts;
  int same_as_label = 0;
  constexpr int kSeeds = 25;
  for (int seed = 0; seed < kSeeds; ++seed) {
    DatasetSpec spec = ds->spec();
    spec.set_counterfactual_seed(seed);
    auto reseeded = CueDataset::FromSources(
        spec, SyntheticTrainTest(600, 200, 1, 28, 28, 10, 0), std::nullopt);
    ASSERT_TRUE(reseeded.ok());
    Batch rc = (*reseeded)->Get(View::kTestRandomCue, idx);
    torch::Tensor pixels = (*reseeded)->ToPixels(rc.x);
    for (int i = 0; i < 200; ++i) {
      const auto pos = FindBox(pixels[i]);
      ++counts[pos];
      if (pos ==
          BoxPosition(static_cast<int>(rc.y[i].item<int64_t>()), 28, 28, 3)) {
        ++same_as_label;
      }
    }
  }
  // 5000 draws over 10 positions: each within 5 sigma (sqrt(5000*.1*.9)=21)
  // of 500; the true position is hit with p = 0.1.
  ASSERT_EQ(counts.size(), 10u);
  for (const auto& [pos, n] : counts) EXPECT_NEAR(n, 500, 5 * 21) << pos.first;
  EXPECT_NEAR(same_as_label, 500, 5 * 21);
}

TEST(CueDatasetTest, RandomImageComesFromAnotherClassWithOriginalCue) {
  DatasetSpec spec;
  spec.set_kind(DatasetSpec::FASHION_MNIST_BOX);
  spec.set_holdout_per_class(10);
  TrainTest sources = SyntheticTrainTest(600, 200, 1, 28, 28, 10, 0);
  torch::Tensor test_images = sources.test.images.clone();
  torch::Tensor test_labels = sources.test.labels.clone();
  auto ds = *CueDataset::FromSources(spec, std::move(sources), std::nullopt);
  std::vector<int64_t> idx(200);
  for (int i = 0; i < 200; ++i) idx[i] = i;
  Batch ri = ds->Get(View::kTestRandomImage, idx);
  torch::Tensor pixels = ds->ToPixels(ri.x);
  std::set<int> other_classes;
  for (int i = 0; i < 200; ++i) {
    const int label = static_cast<int>(ri.y[i].item<int64_t>());
    EXPECT_EQ(label, test_labels[i].item<int64_t>());
    EXPECT_EQ(FindBox(pixels[i]), BoxPosition(label, 28, 28, 3));
    // Outside the box, the image is exactly some test image of another class.
    torch::Tensor outside = pixels[i] != 255;
    bool found = false;
    for (int j = 0; j < 200 && !found; ++j) {
      if (torch::equal(pixels[i].masked_select(outside),
                       test_images[j].masked_select(outside))) {
        found = true;
        EXPECT_NE(test_labels[j].item<int64_t>(), label) << i;
        other_classes.insert(static_cast<int>(test_labels[j].item<int64_t>()));
      }
    }
    EXPECT_TRUE(found) << i;
  }
  EXPECT_EQ(other_classes.size(), 10u);  // Every class appears as a donor.
}

TEST(CueDatasetTest, ExactCueProportionPerClassFirstSamplesCued) {
  auto ds = FashionLike();  // 50 training samples per class.
  for (double c : {0.0, 0.6, 0.8, 1.0}) {
    std::vector<int> cued(10, 0);
    std::vector<int> seen(10, 0);
    std::vector<int64_t> all = ds->SubsetIndices(View::kTrainMix, 0);
    Batch b = ds->Get(View::kTrainMix, all, c);
    torch::Tensor pixels = ds->ToPixels(b.x);
    for (size_t i = 0; i < all.size(); ++i) {
      const int k = static_cast<int>(b.y[i].item<int64_t>());
      const bool has_box = FindBox(pixels[i]).first >= 0;
      EXPECT_EQ(has_box, ds->IsCued(i, c));
      // The first c of each class carry the cue.
      EXPECT_EQ(has_box, seen[k] < std::llround(c * 50)) << "c=" << c;
      cued[k] += has_box;
      ++seen[k];
    }
    for (int k = 0; k < 10; ++k) {
      EXPECT_EQ(cued[k], std::llround(c * 50)) << "class " << k << " c=" << c;
    }
  }
}

TEST(CueDatasetTest, HoldoutIsLastOfEachClassAndDisjoint) {
  auto ds = FashionLike(/*holdout=*/10);
  EXPECT_EQ(ds->Size(View::kHoldout), 100);
  EXPECT_EQ(ds->Size(View::kTrainMix), 500);
  std::set<int64_t> train(ds->train_source_indices().begin(),
                          ds->train_source_indices().end());
  for (int64_t h : ds->holdout_source_indices()) {
    EXPECT_EQ(train.count(h), 0u);
    // Source index i has label i % 10; class k's samples are k, k+10, ...;
    // the last 10 of 60 are indices >= 500.
    EXPECT_GE(h, 500);
  }
  // Hold-out samples never carry a cue.
  Batch hb = ds->Materialize(View::kHoldout, 0);
  EXPECT_LT(ds->ToPixels(hb.x).max().item<uint8_t>(), 255);
}

TEST(CueDatasetTest, SameSampleTwiceSameTensor) {
  auto ds = FashionLike();
  for (View view :
       {View::kTestRandomCue, View::kTestRandomImage, View::kTrainMix}) {
    Batch batch = ds->Get(view, {3, 17, 42}, 0.7);
    Batch single = ds->Get(view, {17}, 0.7);
    Batch again = ds->Get(view, {17}, 0.7);
    EXPECT_TRUE(torch::equal(batch.x[1], single.x[0])) << ViewName(view);
    EXPECT_TRUE(torch::equal(single.x, again.x)) << ViewName(view);
  }
}

TEST(CueDatasetTest, TrainPerClassLimitsTraining) {
  DatasetSpec spec;
  spec.set_kind(DatasetSpec::FASHION_MNIST_BOX);
  spec.set_holdout_per_class(10);
  spec.set_train_per_class(20);
  spec.set_test_limit(50);
  auto ds = *CueDataset::FromSources(
      spec, SyntheticTrainTest(600, 200, 1, 28, 28, 10, 0), std::nullopt);
  EXPECT_EQ(ds->Size(View::kTrainCue), 200);
  EXPECT_EQ(ds->Size(View::kHoldout), 100);
  EXPECT_EQ(ds->Size(View::kTestCue), 50);
}

TEST(CueDatasetTest, SubsetKeepsCuedMix) {
  auto ds = FashionLike();
  std::vector<int64_t> subset = ds->SubsetIndices(View::kTrainMix, 100);
  int cued = 0;
  for (int64_t i : subset) cued += ds->IsCued(i, 0.8);
  EXPECT_NEAR(cued, 80, 3);
}

TEST(CueDatasetTest, Cifar100BoxColourFromTensPositionFromUnits) {
  DatasetSpec spec;
  spec.set_kind(DatasetSpec::CIFAR100_BOX);
  spec.set_holdout_per_class(1);
  auto ds = *CueDataset::FromSources(
      spec, SyntheticTrainTest(400, 200, 3, 32, 32, 100, 0), std::nullopt);
  // Test image 37 has label 37: position 7, colour 3 (yellow: 255,255,0).
  Batch c = ds->Get(View::kTestCue, {37});
  torch::Tensor pixels = ds->ToPixels(c.x)[0];
  const auto [row, col] = BoxPosition(7, 32, 32, 3);
  EXPECT_EQ(pixels[0][row][col].item<uint8_t>(), 255);
  EXPECT_EQ(pixels[1][row + 2][col + 2].item<uint8_t>(), 255);
  EXPECT_EQ(pixels[2][row][col].item<uint8_t>(), 0);
}

TEST(CueDatasetTest, DominoesStacksSameClassSimpleImage) {
  DatasetSpec spec;
  spec.set_kind(DatasetSpec::DOMINOES_MNIST_FASHION);
  spec.set_holdout_per_class(5);
  TrainTest simple = SyntheticTrainTest(300, 100, 1, 28, 28, 10, 5);
  torch::Tensor simple_test = simple.test.images.clone();
  torch::Tensor simple_labels = simple.test.labels.clone();
  auto ds = *CueDataset::FromSources(
      spec, SyntheticTrainTest(600, 200, 1, 28, 28, 10, 0), std::move(simple));
  EXPECT_EQ(ds->shape(), (std::array<int64_t, 3>{1, 56, 28}));
  std::vector<int64_t> idx = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  torch::Tensor c = ds->ToPixels(ds->Get(View::kTestCue, idx).x);
  torch::Tensor nc = ds->ToPixels(ds->Get(View::kTestNoCue, idx).x);
  torch::Tensor ri = ds->ToPixels(ds->Get(View::kTestRandomImage, idx).x);
  for (int i = 0; i < 12; ++i) {
    torch::Tensor top = c[i].slice(1, 0, 28);
    // NC: black top half, same bottom half as C.
    EXPECT_EQ(nc[i].slice(1, 0, 28).max().item<uint8_t>(), 0);
    EXPECT_TRUE(torch::equal(nc[i].slice(1, 28, 56), c[i].slice(1, 28, 56)));
    // C: the top half is a simple test image of the sample's class.
    bool same_class = false;
    for (int j = 0; j < 100; ++j) {
      if (torch::equal(top, simple_test[j])) {
        same_class = simple_labels[j].item<int64_t>() == i % 10;
      }
    }
    EXPECT_TRUE(same_class) << i;
    // RI keeps the cue half and changes the complex half.
    EXPECT_TRUE(torch::equal(ri[i].slice(1, 0, 28), top));
    EXPECT_FALSE(torch::equal(ri[i].slice(1, 28, 56), c[i].slice(1, 28, 56)));
  }
}

TEST(CueDatasetTest, PaperDominoesIsThreeBySixtyFourByThirtyTwo) {
  DatasetSpec spec;
  spec.set_kind(DatasetSpec::DOMINOES_FASHION_CIFAR10);
  spec.set_holdout_per_class(5);
  auto ds = *CueDataset::FromSources(
      spec, SyntheticTrainTest(200, 50, 3, 32, 32, 10, 0),
      SyntheticTrainTest(100, 50, 1, 28, 28, 10, 3));
  EXPECT_EQ(ds->shape(), (std::array<int64_t, 3>{3, 64, 32}));
  Batch b = ds->Get(View::kTestCue, {0, 1});
  EXPECT_EQ(b.x.sizes(), (std::vector<int64_t>{2, 3, 64, 32}));
  // Grey simple image replicated over the three channels.
  torch::Tensor top = ds->ToPixels(b.x)[0].slice(1, 0, 32);
  EXPECT_TRUE(torch::equal(top[0], top[1]));
  EXPECT_TRUE(torch::equal(top[1], top[2]));
  EXPECT_GT(top.max().item<uint8_t>(), 0);
}

}  // namespace
}  // namespace mmc
