// Datasets with a planted cue and their counterfactual views (paper §B.3).
//
// A CueDataset holds the source images (uint8) and generates every view on
// the fly, deterministically per (counterfactual seed, view, sample index):
//
//   train_mix  training samples; the first c of each class carry the cue
//   trC, trNC  the same training samples, all cued / none cued
//   holdout    the clean hold-out (last `holdout_per_class` of each class by
//              index), never cued, never used to train theta_C / theta_NC
//   NC, C      test images without cue / with the cue of the true class
//   RC         test images with the cue of a uniformly drawn class (may be the
//              true one, p = 1/K)
//   RI         the image of a random test sample of another class, with the
//              cue of the original label; label = original
//
// Cues: a box (box_size^2 pixels) whose position (and, for CIFAR-100,
// colour) is given by the class; or Dominoes, where the cue is a same-class
// simple image stacked above the complex one (no cue: that half is black).
// Nothing is stored on disk; views are materialised as normalised tensors.
#ifndef LIB_DATA_CUE_DATASET_H_
#define LIB_DATA_CUE_DATASET_H_

#include <torch/types.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/data/dataset_kinds.h"
#include "lib/data/sources.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

enum class View {
  kTrainMix,
  kTrainCue,
  kTrainNoCue,
  kHoldout,
  kTestNoCue,
  kTestCue,
  kTestRandomCue,
  kTestRandomImage,
};

// Short names as in the paper and QUICK_TIER.md: "NC", "C", "RC", "RI",
// "trC", "trNC", "train_mix", "holdout".
const char* ViewName(View view);

// The four counterfactual test views, in the paper's order.
inline constexpr std::array<View, 4> kCounterfactualViews = {
    View::kTestNoCue, View::kTestCue, View::kTestRandomCue,
    View::kTestRandomImage};

// A batch ready for LibTorch: x float [N, C, H, W] (normalised), y int64 [N].
struct Batch {
  torch::Tensor x;
  torch::Tensor y;
};

// `indices` as an int64 tensor on `device`. To a GPU the copy goes from
// pinned memory without waiting for the device's queued work.
torch::Tensor IndexTensor(const std::vector<int64_t>& indices,
                          torch::Device device);
// The same for a CPU tensor of indices.
torch::Tensor IndexTensor(const torch::Tensor& host_indices,
                          torch::Device device);

// The rows `indices` (int64, on the batch's device) of `data`.
Batch Rows(const Batch& data, const torch::Tensor& indices);

// `data` copied to `device`.
Batch ToDevice(const Batch& data, torch::Device device);

// Top-left corner (row, col) of the box for position p in 0..9 on an
// H x W image: four on the top row, two in the middle row, four at the bottom.
std::pair<int, int> BoxPosition(int position, int height, int width,
                                int box_size);

class CueDataset {
 public:
  // Loads the sources the spec names. `data_dir_flag`, when non-empty,
  // overrides spec.data_dir (for CIFAR it is required, for the simple half
  // of Dominoes the default location is used).
  static absl::StatusOr<std::shared_ptr<const CueDataset>> Load(
      const DatasetSpec& spec, const std::string& data_dir_flag);

  // Builds from sources already in memory (tests). `simple` is required for
  // the Dominoes kinds and ignored otherwise.
  static absl::StatusOr<std::shared_ptr<const CueDataset>> FromSources(
      const DatasetSpec& spec, TrainTest complex,
      std::optional<TrainTest> simple);

  int64_t Size(View view) const;
  int num_classes() const { return num_classes_; }
  // {C, H, W} of every generated image.
  std::array<int64_t, 3> shape() const { return shape_; }
  const DatasetSpec& spec() const { return spec_; }

  // The samples `indices` of `view`. `cue_proportion` is used by kTrainMix.
  Batch Get(View view, const std::vector<int64_t>& indices,
            double cue_proportion = 0.0) const;

  // `n` evenly spaced samples of `view` (all when n <= 0 or n >= Size):
  // index floor(k * Size / n) for k < n, so a training subset keeps the
  // class mix and the cued/uncued mix of the whole.
  std::vector<int64_t> SubsetIndices(View view, int64_t n) const;
  Batch Materialize(View view, int64_t n, double cue_proportion = 0.0) const;

  // Whether training sample i (index into the train views) carries the cue
  // in train_mix at proportion c.
  bool IsCued(int64_t i, double cue_proportion) const;
  int Label(View view, int64_t i) const;
  // Number of training samples of class k (hold-out excluded).
  int64_t TrainCount(int k) const { return train_count_[k]; }
  // Source indices (into the original training split) of the train views and
  // of the hold-out; disjoint by construction.
  const std::vector<int64_t>& train_source_indices() const {
    return train_source_;
  }
  const std::vector<int64_t>& holdout_source_indices() const {
    return holdout_source_;
  }

  // A short Markdown description: sources, sizes, cue, hold-out.
  std::string Describe() const;

  // Converts a normalised batch back to uint8 pixels [N, C, H, W] (plots).
  torch::Tensor ToPixels(const torch::Tensor& x) const;

 private:
  CueDataset() = default;
  absl::Status Init(const DatasetSpec& spec, TrainTest complex,
                    std::optional<TrainTest> simple);

  struct Sample {
    bool test = false;   // Draw from the test split (else training).
    int64_t source = 0;  // Index into that split of the complex image.
    int label = 0;       // Label reported for the sample.
    int cue_class = -1;  // Class whose cue is drawn; -1: no cue.
    uint64_t key = 0;    // Counter for the simple-image draw (Dominoes).
  };
  Sample Resolve(View view, int64_t i, double cue_proportion) const;
  void Compose(const Sample& sample, uint8_t* out) const;

  DatasetSpec spec_;
  bool dominoes_ = false;
  CueStyle cue_ = CueStyle::kWhiteBox;  // From the dataset kind.
  int num_classes_ = 0;
  std::array<int64_t, 3> shape_{};
  int64_t simple_height_ = 0;  // Rows taken by the simple half (Dominoes).
  std::vector<float> mean_, std_;

  LabeledImages train_, test_;
  std::vector<int64_t> train_source_, holdout_source_;
  std::vector<int64_t> train_rank_;  // Rank of each train sample in its class.
  std::vector<int64_t> train_count_;
  std::vector<std::vector<int64_t>> test_by_class_;
  // Dominoes: simple images by class, uint8 [n_k, C, Hs, W], per split.
  std::vector<torch::Tensor> simple_train_, simple_test_;
};

}  // namespace mmc

#endif  // LIB_DATA_CUE_DATASET_H_
