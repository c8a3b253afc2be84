// Implementation of lib/models/vgg13.h: the functional forward pass of
// VGG-13 over parameter maps, mirroring modules.h op for op.
#include "lib/models/vgg13.h"

#include <torch/torch.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/models/conv_bn.h"
#include "lib/models/modules.h"

namespace mmc {
namespace {

class Vgg13Model : public Model {
 public:
  Vgg13Model(int in_channels, int num_classes, double width)
      : Model(in_channels, num_classes), width_(width) {
    const int64_t base[10] = {64, 64, 128, 128, 256, 256, 512, 512, 512, 512};
    int64_t in = in_channels;
    for (int i = 0; i < 10; ++i) {
      const int64_t out = ScaledChannels(base[i], width);
      const bool strided = i == 1 || i == 3 || i == 5 || i == 7;
      channels_.push_back(out);
      strided_.push_back(strided);
      layers_.push_back(MakeConvBn(absl::StrCat("features.", i), in, out, 3,
                                   strided ? 2 : 1));
      in = out;
    }
  }

  ParamMap Init(int64_t seed) const override {
    torch::manual_seed(seed);
    Vgg13 module(in_channels_, channels_, strided_, num_classes_);
    return CloneParams(ParamsOf(*module));
  }

  ForwardOutput Forward(const ParamMap& p, const torch::Tensor& input,
                        const ForwardOptions& options) const override {
    torch::Tensor x = input;
    for (size_t i = 0; i < layers_.size(); ++i) {
      x = LayoutFor(x, layers_[i], options);
      x = ConvBnReluForward(p, layers_[i], x, options, i == 0);
      Emit(options, layers_[i].prefix, x);
    }
    return PoolAndHead(p, x, options);
  }

  std::vector<std::string> BatchNormLayers() const override {
    std::vector<std::string> out;
    for (const ConvBnNames& layer : layers_) out.push_back(layer.bn);
    return out;
  }

  std::vector<PermutationGroup> PermutationGroups() const override {
    std::vector<PermutationGroup> groups;
    for (size_t i = 0; i < layers_.size(); ++i) {
      PermutationGroup g;
      g.name = layers_[i].prefix;
      g.size = layers_[i].out;
      AddConvBnAxes(layers_[i], &g);
      if (i + 1 < layers_.size()) {
        g.axes.push_back({layers_[i + 1].weight, 1});
      } else {
        g.axes.push_back({"head.weight", 1});
      }
      g.activations.push_back(layers_[i].prefix);
      groups.push_back(g);
    }
    return groups;
  }

  double ForwardFlops(int64_t height, int64_t width) const override {
    double flops = 0;
    for (const ConvBnNames& layer : layers_) {
      flops += ConvFlops(layer, &height, &width);
    }
    return flops + 2.0 * channels_.back() * num_classes_;
  }

  std::string Describe() const override {
    return absl::StrFormat("VGG-13 x%g", width_);
  }

 private:
  double width_;
  std::vector<int64_t> channels_;
  std::vector<bool> strided_;
  std::vector<ConvBnNames> layers_;
};

}  // namespace

std::unique_ptr<Model> CreateVgg13(const ModelSpec& spec, int in_channels,
                                   int num_classes) {
  return std::unique_ptr<Model>(
      new Vgg13Model(in_channels, num_classes, spec.width()));
}

}  // namespace mmc
