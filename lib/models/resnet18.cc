// Implementation of lib/models/resnet18.h: the functional forward pass of
// ResNet-18 over parameter maps, mirroring modules.h op for op.
#include "lib/models/resnet18.h"

#include <torch/torch.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/models/conv_bn.h"
#include "lib/models/modules.h"

namespace mmc {
namespace {

class ResNet18Model : public Model {
 public:
  ResNet18Model(int in_channels, int num_classes, double width)
      : Model(in_channels, num_classes), width_(width) {
    for (int64_t c : {64, 128, 256, 512}) {
      channels_.push_back(ScaledChannels(c, width));
    }
    stem_ = MakeConvBn("stem", in_channels, channels_[0], 3, 1);
    int64_t in = channels_[0];
    for (int s = 0; s < 4; ++s) {
      for (int b = 0; b < 2; ++b) {
        Block block;
        const std::string prefix = absl::StrCat("layer", s + 1, ".", b);
        const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
        block.name = prefix;
        block.stage = s;
        block.conv1 =
            MakeConvBn(prefix + ".conv1", in, channels_[s], 3, stride);
        block.conv2 =
            MakeConvBn(prefix + ".conv2", channels_[s], channels_[s], 3, 1);
        block.has_shortcut = stride != 1 || in != channels_[s];
        if (block.has_shortcut) {
          block.shortcut =
              MakeConvBn(prefix + ".shortcut", in, channels_[s], 1, stride);
        }
        blocks_.push_back(block);
        in = channels_[s];
      }
    }
  }

  ParamMap Init(int64_t seed) const override {
    torch::manual_seed(seed);
    ResNet18 module(in_channels_, channels_, num_classes_);
    return CloneParams(ParamsOf(*module));
  }

  ForwardOutput Forward(const ParamMap& p, const torch::Tensor& input,
                        const ForwardOptions& options) const override {
    torch::Tensor x = ConvBnReluForward(
        p, stem_, LayoutFor(input, stem_, options), options, /*first=*/true);
    Emit(options, "stem", x);
    for (const Block& block : blocks_) {
      x = LayoutFor(x, block.conv1, options);
      torch::Tensor out = ConvBnReluForward(p, block.conv1, x, options);
      Emit(options, block.conv1.prefix, out);
      out = ConvBnForward(p, block.conv2, out, options);
      torch::Tensor skip =
          block.has_shortcut ? ConvBnForward(p, block.shortcut, x, options) : x;
      x = Relu(Add(out, skip));
      Emit(options, block.name, x);
    }
    return PoolAndHead(p, x, options);
  }

  std::vector<std::string> BatchNormLayers() const override {
    std::vector<std::string> out = {stem_.bn};
    for (const Block& block : blocks_) {
      out.push_back(block.conv1.bn);
      out.push_back(block.conv2.bn);
      if (block.has_shortcut) out.push_back(block.shortcut.bn);
    }
    return out;
  }

  std::vector<PermutationGroup> PermutationGroups() const override {
    std::vector<PermutationGroup> groups;
    // One group per residual stream (stage): everything that writes into or
    // reads from the stream shares one permutation.
    for (int s = 0; s < 4; ++s) {
      PermutationGroup g;
      g.name = absl::StrCat("stream", s + 1);
      g.size = channels_[s];
      if (s == 0) {
        AddConvBnAxes(stem_, &g);
        g.activations.push_back("stem");
      }
      for (const Block& block : blocks_) {
        if (block.stage == s) {
          AddConvBnAxes(block.conv2, &g);
          if (block.has_shortcut) AddConvBnAxes(block.shortcut, &g);
          g.activations.push_back(block.name);
        }
        // Readers of the stream: the first conv (and shortcut) of each block
        // whose input is this stage's output.
        const bool reads = (block.stage == s && block.name.back() == '1') ||
                           (block.stage == s + 1 && block.name.back() == '0') ||
                           (s == 0 && block.stage == 0);
        if (reads) {
          g.axes.push_back({block.conv1.weight, 1});
          if (block.has_shortcut) g.axes.push_back({block.shortcut.weight, 1});
        }
      }
      if (s == 3) g.axes.push_back({"head.weight", 1});
      groups.push_back(g);
    }
    // One group per block's inner channels (conv1 output, conv2 input).
    for (const Block& block : blocks_) {
      PermutationGroup g;
      g.name = block.conv1.prefix;
      g.size = block.conv1.out;
      AddConvBnAxes(block.conv1, &g);
      g.axes.push_back({block.conv2.weight, 1});
      g.activations.push_back(block.conv1.prefix);
      groups.push_back(g);
    }
    return groups;
  }

  double ForwardFlops(int64_t height, int64_t width) const override {
    double flops = ConvFlops(stem_, &height, &width);
    for (const Block& block : blocks_) {
      int64_t h = height, w = width;
      flops += ConvFlops(block.conv1, &height, &width);
      flops += ConvFlops(block.conv2, &height, &width);
      if (block.has_shortcut) flops += ConvFlops(block.shortcut, &h, &w);
    }
    return flops + 2.0 * channels_.back() * num_classes_;
  }

  std::string Describe() const override {
    return absl::StrFormat("ResNet-18 x%g", width_);
  }

 private:
  struct Block {
    std::string name;
    int stage = 0;
    ConvBnNames conv1, conv2, shortcut;
    bool has_shortcut = false;
  };
  double width_;
  std::vector<int64_t> channels_;
  ConvBnNames stem_;
  std::vector<Block> blocks_;
};

}  // namespace

std::unique_ptr<Model> CreateResNet18(const ModelSpec& spec, int in_channels,
                                      int num_classes) {
  return std::unique_ptr<Model>(
      new ResNet18Model(in_channels, num_classes, spec.width()));
}

}  // namespace mmc
