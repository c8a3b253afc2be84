// Implementation of lib/data/cue_dataset.h.
#include "lib/data/cue_dataset.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/util/random.h"
#include "lib/util/status_macros.h"

namespace mmc {
namespace {

// Streams of the counter-based draws (lib/util/random.h).
constexpr uint64_t kStreamRandomCue = 1;
constexpr uint64_t kStreamRandomImageClass = 2;
constexpr uint64_t kStreamRandomImageSample = 3;
constexpr uint64_t kStreamSimpleImage = 4;
// Keys of test samples for the simple-image draw, apart from training keys.
constexpr uint64_t kTestKeyOffset = uint64_t{1} << 40;

// Box colours for CIFAR-100, indexed by label / 10.
constexpr uint8_t kPalette[10][3] = {
    {255, 0, 0},   {0, 255, 0},     {0, 0, 255},   {255, 255, 0}, {255, 0, 255},
    {0, 255, 255}, {255, 255, 255}, {255, 128, 0}, {128, 0, 255}, {0, 0, 0}};

// Resizes uint8 [N, 1, h, w] to [N, 3, H, W] (bilinear, grey to RGB).
torch::Tensor ResizeGreyToRgb(const torch::Tensor& images, int64_t height,
                              int64_t width) {
  namespace F = torch::nn::functional;
  torch::Tensor resized = F::interpolate(
      images.to(torch::kFloat), F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{height, width})
                                    .mode(torch::kBilinear)
                                    .align_corners(false));
  return resized.round()
      .clamp(0, 255)
      .to(torch::kUInt8)
      .expand({-1, 3, -1, -1})
      .contiguous();
}

std::vector<torch::Tensor> ByClass(const LabeledImages& images) {
  std::vector<torch::Tensor> out;
  for (int k = 0; k < images.num_classes; ++k) {
    torch::Tensor idx = (images.labels == k).nonzero().squeeze(1);
    out.push_back(images.images.index_select(0, idx).contiguous());
  }
  return out;
}

}  // namespace

const char* ViewName(View view) {
  switch (view) {
    case View::kTrainMix:
      return "train_mix";
    case View::kTrainCue:
      return "trC";
    case View::kTrainNoCue:
      return "trNC";
    case View::kHoldout:
      return "holdout";
    case View::kTestNoCue:
      return "NC";
    case View::kTestCue:
      return "C";
    case View::kTestRandomCue:
      return "RC";
    case View::kTestRandomImage:
      return "RI";
  }
  return "?";
}

std::pair<int, int> BoxPosition(int position, int height, int width,
                                int box_size) {
  const int bottom = height - box_size;
  const int right = width - box_size;
  auto column = [right](int j) {
    return static_cast<int>(std::lround(right * j / 3.0));
  };
  if (position < 4) return {0, column(position)};
  if (position == 4) return {bottom / 2, 0};
  if (position == 5) return {bottom / 2, right};
  return {bottom, column(position - 6)};
}

absl::StatusOr<std::shared_ptr<const CueDataset>> CueDataset::Load(
    const DatasetSpec& spec, const std::string& data_dir_flag) {
  const std::string dir =
      data_dir_flag.empty() ? spec.data_dir() : data_dir_flag;
  TrainTest complex;
  std::optional<TrainTest> simple;
  ASSIGN_OR_RETURN(const DatasetKind* kind, FindDatasetKind(spec.kind()));
  ASSIGN_OR_RETURN(complex, kind->load(dir));
  if (kind->load_simple != nullptr) {
    ASSIGN_OR_RETURN(simple, kind->load_simple(""));
  }
  return FromSources(spec, std::move(complex), std::move(simple));
}

absl::StatusOr<std::shared_ptr<const CueDataset>> CueDataset::FromSources(
    const DatasetSpec& spec, TrainTest complex,
    std::optional<TrainTest> simple) {
  std::shared_ptr<CueDataset> dataset(new CueDataset());
  RETURN_IF_ERROR(dataset->Init(spec, std::move(complex), std::move(simple)));
  return std::shared_ptr<const CueDataset>(std::move(dataset));
}

absl::Status CueDataset::Init(const DatasetSpec& spec, TrainTest complex,
                              std::optional<TrainTest> simple) {
  spec_ = spec;
  ASSIGN_OR_RETURN(const DatasetKind* kind, FindDatasetKind(spec.kind()));
  cue_ = kind->cue;
  dominoes_ = cue_ == CueStyle::kDominoes;
  num_classes_ = complex.train.num_classes;
  train_ = std::move(complex.train);
  test_ = std::move(complex.test);
  if (spec.test_limit() > 0 && spec.test_limit() < test_.images.size(0)) {
    test_.images = test_.images.slice(0, 0, spec.test_limit()).contiguous();
    test_.labels = test_.labels.slice(0, 0, spec.test_limit()).contiguous();
  }
  const int64_t channels = train_.images.size(1);
  const int64_t height = train_.images.size(2);
  const int64_t width = train_.images.size(3);
  if (dominoes_) {
    if (!simple.has_value()) {
      return absl::InvalidArgumentError("Dominoes needs the simple images");
    }
    if (simple->train.num_classes != num_classes_) {
      return absl::InvalidArgumentError(
          "Dominoes: the simple and complex sources have different classes");
    }
    if (channels == 3) {  // Fashion-MNIST over CIFAR-10: resize to 32x32 RGB.
      simple->train.images =
          ResizeGreyToRgb(simple->train.images, width, width);
      simple->test.images = ResizeGreyToRgb(simple->test.images, width, width);
    }
    simple_height_ = simple->train.images.size(2);
    if (simple->train.images.size(3) != width) {
      return absl::InvalidArgumentError(
          "Dominoes: the simple and complex images differ in width");
    }
    simple_train_ = ByClass(simple->train);
    simple_test_ = ByClass(simple->test);
    for (int k = 0; k < num_classes_; ++k) {
      if (simple_train_[k].size(0) == 0 || simple_test_[k].size(0) == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "Dominoes: the simple source has no images of class ", k));
      }
    }
  }
  shape_ = {channels, simple_height_ + height, width};
  if (channels == 1) {
    mean_ = {0.5f};
    std_ = {0.5f};
  } else {
    mean_ = {0.4914f, 0.4822f, 0.4465f};
    std_ = {0.2470f, 0.2435f, 0.2616f};
  }
  if (spec.box_size() > std::min(height, width)) {
    return absl::InvalidArgumentError(
        absl::StrCat("dataset.box_size ", spec.box_size(), " does not fit a ",
                     height, "x", width, " image"));
  }

  // Split the training set: the last holdout_per_class samples of each class
  // (by index) are held out; of the rest, the first train_per_class are kept.
  const int64_t n = train_.labels.size(0);
  const int64_t* labels = train_.labels.data_ptr<int64_t>();
  std::vector<int64_t> class_total(num_classes_, 0);
  for (int64_t i = 0; i < n; ++i) ++class_total[labels[i]];
  std::vector<int64_t> seen(num_classes_, 0);
  train_count_.assign(num_classes_, 0);
  for (int64_t i = 0; i < n; ++i) {
    const int k = static_cast<int>(labels[i]);
    const int64_t rank = seen[k]++;
    if (rank >= class_total[k] - spec.holdout_per_class()) {
      holdout_source_.push_back(i);
    } else if (spec.train_per_class() <= 0 || rank < spec.train_per_class()) {
      train_source_.push_back(i);
      train_rank_.push_back(rank);
      ++train_count_[k];
    }
  }
  for (int k = 0; k < num_classes_; ++k) {
    if (class_total[k] <= spec.holdout_per_class()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "dataset.holdout_per_class %d leaves no training samples of class "
          "%d (%d in all)",
          spec.holdout_per_class(), k, class_total[k]));
    }
  }
  test_by_class_.assign(num_classes_, {});
  const int64_t* test_labels = test_.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < test_.labels.size(0); ++i) {
    test_by_class_[test_labels[i]].push_back(i);
  }
  for (int k = 0; k < num_classes_; ++k) {
    if (test_by_class_[k].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the test split has no image of class ", k,
                       " (dataset.test_limit too small?): RI cannot be built"));
    }
  }
  return absl::OkStatus();
}

int64_t CueDataset::Size(View view) const {
  switch (view) {
    case View::kTrainMix:
    case View::kTrainCue:
    case View::kTrainNoCue:
      return static_cast<int64_t>(train_source_.size());
    case View::kHoldout:
      return static_cast<int64_t>(holdout_source_.size());
    default:
      return test_.labels.size(0);
  }
}

bool CueDataset::IsCued(int64_t i, double cue_proportion) const {
  const int k =
      static_cast<int>(train_.labels.data_ptr<int64_t>()[train_source_[i]]);
  const int64_t cued = std::llround(cue_proportion * train_count_[k]);
  return train_rank_[i] < cued;
}

int CueDataset::Label(View view, int64_t i) const {
  return Resolve(view, i, 0.0).label;
}

CueDataset::Sample CueDataset::Resolve(View view, int64_t i,
                                       double cue_proportion) const {
  Sample s;
  const uint64_t seed = static_cast<uint64_t>(spec_.counterfactual_seed());
  switch (view) {
    case View::kTrainMix:
    case View::kTrainCue:
    case View::kTrainNoCue: {
      s.source = train_source_[i];
      s.label = static_cast<int>(train_.labels.data_ptr<int64_t>()[s.source]);
      s.key = static_cast<uint64_t>(s.source);
      if (view == View::kTrainCue) s.cue_class = s.label;
      if (view == View::kTrainMix) {
        const int64_t cued =
            std::llround(cue_proportion * train_count_[s.label]);
        if (train_rank_[i] < cued) s.cue_class = s.label;
      }
      return s;
    }
    case View::kHoldout:
      s.source = holdout_source_[i];
      s.label = static_cast<int>(train_.labels.data_ptr<int64_t>()[s.source]);
      s.key = static_cast<uint64_t>(s.source);
      return s;
    default:
      break;
  }
  s.test = true;
  s.source = i;
  s.label = static_cast<int>(test_.labels.data_ptr<int64_t>()[i]);
  s.key = kTestKeyOffset + static_cast<uint64_t>(i);
  switch (view) {
    case View::kTestCue:
      s.cue_class = s.label;
      break;
    case View::kTestRandomCue:
      s.cue_class =
          static_cast<int>(UniformInt(seed, kStreamRandomCue, i, num_classes_));
      break;
    case View::kTestRandomImage: {
      const int other =
          (s.label + 1 +
           static_cast<int>(UniformInt(seed, kStreamRandomImageClass, i,
                                       num_classes_ - 1))) %
          num_classes_;
      const std::vector<int64_t>& pool = test_by_class_[other];
      s.source = pool[UniformInt(seed, kStreamRandomImageSample, i,
                                 static_cast<int64_t>(pool.size()))];
      s.cue_class = s.label;
      break;
    }
    default:  // kTestNoCue
      break;
  }
  return s;
}

void CueDataset::Compose(const Sample& sample, uint8_t* out) const {
  const LabeledImages& split = sample.test ? test_ : train_;
  const int64_t channels = shape_[0];
  const int64_t height = split.images.size(2);
  const int64_t width = shape_[2];
  const int64_t plane_out = shape_[1] * width;
  const uint8_t* image = split.images.data_ptr<uint8_t>() +
                         sample.source * channels * height * width;
  for (int64_t c = 0; c < channels; ++c) {
    uint8_t* plane = out + c * plane_out;
    if (dominoes_) std::memset(plane, 0, simple_height_ * width);
    std::memcpy(plane + simple_height_ * width, image + c * height * width,
                height * width);
  }
  if (sample.cue_class < 0) return;
  if (dominoes_) {
    const torch::Tensor& pool = sample.test ? simple_test_[sample.cue_class]
                                            : simple_train_[sample.cue_class];
    const int64_t pick =
        UniformInt(static_cast<uint64_t>(spec_.counterfactual_seed()),
                   kStreamSimpleImage, sample.key, pool.size(0));
    const int64_t simple_plane = simple_height_ * width;
    const uint8_t* simple =
        pool.data_ptr<uint8_t>() + pick * channels * simple_plane;
    for (int64_t c = 0; c < channels; ++c) {
      std::memcpy(out + c * plane_out, simple + c * simple_plane, simple_plane);
    }
    return;
  }
  const int box = spec_.box_size();
  const auto [row, col] =
      BoxPosition(sample.cue_class % 10, static_cast<int>(height),
                  static_cast<int>(width), box);
  const bool coloured = cue_ == CueStyle::kColouredBox;
  for (int64_t c = 0; c < channels; ++c) {
    const uint8_t value = coloured ? kPalette[sample.cue_class / 10][c] : 255;
    for (int r = row; r < row + box; ++r) {
      std::memset(out + c * plane_out + r * width + col, value, box);
    }
  }
}

torch::Tensor IndexTensor(const torch::Tensor& host_indices,
                          torch::Device device) {
  if (device.is_cpu()) return host_indices;
  // The pinned copy lives until the asynchronous upload has run.
  return host_indices.contiguous().pin_memory().to(device,
                                                   /*non_blocking=*/true);
}

torch::Tensor IndexTensor(const std::vector<int64_t>& indices,
                          torch::Device device) {
  return IndexTensor(
      torch::tensor(
          indices,
          torch::TensorOptions().dtype(torch::kLong).device(torch::kCPU)),
      device);
}

Batch Rows(const Batch& data, const torch::Tensor& indices) {
  return {data.x.index_select(0, indices), data.y.index_select(0, indices)};
}

Batch ToDevice(const Batch& data, torch::Device device) {
  return {data.x.to(device), data.y.to(device)};
}

Batch CueDataset::Get(View view, const std::vector<int64_t>& indices,
                      double cue_proportion) const {
  const int64_t n = static_cast<int64_t>(indices.size());
  torch::Tensor pixels =
      torch::empty({n, shape_[0], shape_[1], shape_[2]},
                   torch::dtype(torch::kUInt8).device(torch::kCPU));
  torch::Tensor labels =
      torch::empty({n}, torch::dtype(torch::kLong).device(torch::kCPU));
  const int64_t stride = shape_[0] * shape_[1] * shape_[2];
  uint8_t* out = pixels.data_ptr<uint8_t>();
  int64_t* y = labels.data_ptr<int64_t>();
  for (int64_t j = 0; j < n; ++j) {
    const Sample sample = Resolve(view, indices[j], cue_proportion);
    Compose(sample, out + j * stride);
    y[j] = sample.label;
  }
  // x = (pixel / 255 - mean) / std, per channel.
  const auto cpu_options = torch::dtype(torch::kFloat).device(torch::kCPU);
  torch::Tensor scale =
      torch::tensor(std_, cpu_options).reciprocal().div_(255.0f);
  torch::Tensor shift =
      torch::tensor(mean_, cpu_options).div(torch::tensor(std_, cpu_options));
  torch::Tensor x = pixels.to(torch::kFloat)
                        .mul_(scale.view({1, -1, 1, 1}))
                        .sub_(shift.view({1, -1, 1, 1}));
  return {x, labels};
}

std::vector<int64_t> CueDataset::SubsetIndices(View view, int64_t n) const {
  const int64_t size = Size(view);
  if (n <= 0 || n >= size) n = size;
  std::vector<int64_t> out(n);
  for (int64_t k = 0; k < n; ++k) out[k] = k * size / n;
  return out;
}

Batch CueDataset::Materialize(View view, int64_t n,
                              double cue_proportion) const {
  return Get(view, SubsetIndices(view, n), cue_proportion);
}

torch::Tensor CueDataset::ToPixels(const torch::Tensor& x) const {
  // On x's device (and dtype): a GPU tensor converts where it is.
  torch::Tensor std = torch::tensor(std_, x.options()).view({1, -1, 1, 1});
  torch::Tensor mean = torch::tensor(mean_, x.options()).view({1, -1, 1, 1});
  return (x * std + mean).mul(255.0f).round().clamp(0, 255).to(torch::kUInt8);
}

std::string CueDataset::Describe() const {
  std::string out;
  absl::StrAppendFormat(&out, "| property | value |\n|---|---|\n");
  absl::StrAppendFormat(&out, "| dataset | %s |\n",
                        DatasetSpec::Kind_Name(spec_.kind()));
  absl::StrAppendFormat(&out, "| image shape (C x H x W) | %d x %d x %d |\n",
                        shape_[0], shape_[1], shape_[2]);
  absl::StrAppendFormat(&out, "| classes | %d |\n", num_classes_);
  absl::StrAppendFormat(&out, "| training samples (train views) | %d |\n",
                        Size(View::kTrainMix));
  absl::StrAppendFormat(
      &out, "| clean hold-out (fine-tuning) | %d (last %d of each class) |\n",
      Size(View::kHoldout), spec_.holdout_per_class());
  absl::StrAppendFormat(&out, "| test samples per counterfactual set | %d |\n",
                        Size(View::kTestNoCue));
  if (dominoes_) {
    absl::StrAppendFormat(
        &out,
        "| cue | same-class simple image in the top %d rows (no cue: black) "
        "|\n",
        simple_height_);
  } else {
    absl::StrAppendFormat(&out, "| cue | %dx%d box, position by class%s |\n",
                          spec_.box_size(), spec_.box_size(),
                          cue_ == CueStyle::kColouredBox
                              ? " % 10, colour by class / 10"
                              : ", white (pixel 255)");
  }
  absl::StrAppendFormat(&out, "| counterfactual seed | %d |\n",
                        spec_.counterfactual_seed());
  return out;
}

}  // namespace mmc
