// The interface every architecture implements (Model) and the types of its
// forward pass (BnMode, ForwardOptions, ForwardOutput, PermutationGroup).
// Split from model.h so that the architectures (vgg13.h, resnet18.h) can
// implement Model while model.h's Model::Create reaches them through the
// registry (architectures.h) without a dependency cycle. Callers include
// lib/models/model.h, which includes this header; the map layout and the
// general description are there.
#ifndef LIB_MODELS_MODEL_BASE_H_
#define LIB_MODELS_MODEL_BASE_H_

#include <torch/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/models/param_map.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

// How BatchNorm layers behave in a forward pass.
enum class BnMode {
  // Use the running statistics in the map (evaluation).
  kEval,
  // Batch statistics; update the map's running statistics in place with
  // momentum 0.1 (ordinary training).
  kTrain,
  // Batch statistics; running statistics untouched (training a path point,
  // whose interpolated statistics mean nothing).
  kBatchStats,
  // Batch statistics; add each BN input's per-channel sums to a
  // BnAccumulator (exact BatchNorm reset, lib/paths/bn_reset.h).
  kAccumulate,
  // BatchNorm already folded into the convolutions (FoldBatchNorm): each
  // conv has a "<p>.conv.bias" and no BN is applied. Inference only.
  kFolded,
};

// Per-channel sums of BatchNorm inputs over a pass, accumulated in float64
// from each batch's mean and (biased) variance, which the BatchNorm kernel
// computes anyway: sum += n mean, sum_sq += n (var + mean^2).
struct BnAccumulator {
  struct Sums {
    torch::Tensor sum;     // [C], float64
    torch::Tensor sum_sq;  // [C], float64
    int64_t count = 0;     // N * H * W values per channel
  };
  std::map<std::string, Sums> by_layer;  // Key: BN prefix, e.g. "stem.bn".
};

// Receives named intermediate activations (post-ReLU, [N, C, H, W]) for
// permutation matching.
using ActivationSink =
    std::function<void(const std::string& point, const torch::Tensor& value)>;

struct ForwardOptions {
  BnMode bn = BnMode::kEval;
  BnAccumulator* accumulator = nullptr;  // Required for kAccumulate.
  const ActivationSink* sink = nullptr;  // Optional.
  // Number of networks stacked in the map (StackParams in param_map.h), all
  // run on the same input in one pass: the first conv is an ordinary conv
  // with S x C outputs, every later conv a grouped conv with S groups, the
  // head S independent linear maps. Sink activations are [N, S*C, H, W].
  int64_t stacked = 1;
  // Inference in oneDNN's blocked layout (requires BnMode::kFolded, CPU,
  // no autograd): from the first conv with at least 16 output channels
  // (and more than one input channel) on, activations stay mkldnn tensors
  // through every conv, ReLU, residual add
  // and the pooling; only the pooled features come back dense. The same
  // function up to float rounding, without the layout conversions that
  // NCHW tensors cost around every oneDNN conv.
  bool mkldnn = false;
  // Training passes (kTrain, kBatchStats) on the CPU run every conv-BN
  // layer channels-last (NHWC): each conv's weight is
  // read channels-last, so oneDNN's NHWC kernels run the conv and its
  // backward, and its output is made NHWC (the first conv, over a 1- or
  // 3-channel image, would otherwise stay NCHW and leave the next layer's
  // ReLU backward mixing layouts). ATen's NHWC BatchNorm kernels follow.
  // The same function up to float rounding; measured faster for the thin
  // networks of the quick tier (lib/models/conv_bn.cc). The BN reset
  // (kAccumulate) stays NCHW, where ATen sums the statistics in double.
  // false: NCHW, as before (an ablation for the benchmarks).
  bool channels_last = true;
};

struct ForwardOutput {
  torch::Tensor logits;    // [N, K]; [N, S, K] when stacked = S > 1.
  torch::Tensor features;  // [N, C] after global average pooling; [N, S, C].
};

// A set of channels that can be permuted together without changing the
// function: the output channels of some layers and the input channels of
// the layers that read them. VGG: one group per conv layer. ResNet: one
// group per residual stream (shared across the skip connections) and one
// per block's inner channels.
struct PermutationGroup {
  std::string name;
  int64_t size = 0;
  // (parameter name, axis) pairs indexed by this group's channels.
  std::vector<std::pair<std::string, int>> axes;
  // Activation points (ActivationSink names) whose channels are this group.
  std::vector<std::string> activations;
};

class Model {
 public:
  virtual ~Model() = default;

  // Validates the spec (arch, width) and builds the description of the
  // registered architecture (architectures.h). Defined in model.cc, which
  // sees the registry: depend on :model (model.h) to call it.
  static absl::StatusOr<std::unique_ptr<Model>> Create(const ModelSpec& spec,
                                                       int in_channels,
                                                       int num_classes);

  // A fresh parameter map from torch::manual_seed(seed) and the torch::nn
  // modules' default initialisation.
  virtual ParamMap Init(int64_t seed) const = 0;

  virtual ForwardOutput Forward(const ParamMap& params, const torch::Tensor& x,
                                const ForwardOptions& options) const = 0;

  // Convenience: logits in the given BN mode.
  torch::Tensor Logits(const ParamMap& params, const torch::Tensor& x,
                       BnMode bn) const;

  // Names of the BatchNorm layers ("<p>.bn"), in forward order.
  virtual std::vector<std::string> BatchNormLayers() const = 0;

  virtual std::vector<PermutationGroup> PermutationGroups() const = 0;

  // Names of the final linear layer's entries (LLR replaces these).
  std::vector<std::string> HeadNames() const {
    return {"head.bias", "head.weight"};
  }

  // Floating-point operations (2 x multiply-adds of convs and the head) of a
  // forward pass of one image of size height x width.
  virtual double ForwardFlops(int64_t height, int64_t width) const = 0;

  // "VGG-13 x0.125" (the architecture and its width).
  virtual std::string Describe() const = 0;

  int in_channels() const { return in_channels_; }
  int num_classes() const { return num_classes_; }

 protected:
  Model(int in_channels, int num_classes)
      : in_channels_(in_channels), num_classes_(num_classes) {}
  int in_channels_;
  int num_classes_;
};

}  // namespace mmc

#endif  // LIB_MODELS_MODEL_BASE_H_
