// Implementation of lib/models/model.h: functional forward passes of VGG-13
// and ResNet-18 over parameter maps, mirroring modules.h op for op.
#include "lib/models/model.h"

#include <ATen/Context.h>
#include <torch/torch.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lib/models/modules.h"

namespace mmc {
namespace {

constexpr double kBnMomentum = 0.1;  // torch::nn::BatchNorm2d's default.
constexpr double kBnEps = 1e-5;

// Map keys of one conv-BN pair, built once.
struct ConvBnNames {
  std::string prefix, weight, bias, bn, bn_weight, bn_bias, bn_mean, bn_var;
  int64_t in = 0, out = 0, kernel = 3, stride = 1;
};

ConvBnNames MakeConvBn(const std::string& prefix, int64_t in, int64_t out,
                       int64_t kernel, int64_t stride) {
  ConvBnNames n;
  n.prefix = prefix;
  n.weight = prefix + ".conv.weight";
  n.bias = prefix + ".conv.bias";
  n.bn = prefix + ".bn";
  n.bn_weight = prefix + ".bn.weight";
  n.bn_bias = prefix + ".bn.bias";
  n.bn_mean = prefix + ".bn.running_mean";
  n.bn_var = prefix + ".bn.running_var";
  n.in = in;
  n.out = out;
  n.kernel = kernel;
  n.stride = stride;
  return n;
}

const torch::Tensor& At(const ParamMap& params, const std::string& name) {
  auto it = params.find(name);
  TORCH_CHECK(it != params.end(), "parameter map has no entry ", name);
  return it->second;
}

torch::Tensor ApplyBatchNorm(const ParamMap& p, const ConvBnNames& n,
                             const torch::Tensor& x,
                             const ForwardOptions& options) {
  const bool cudnn = at::globalContext().userEnabledCuDNN();
  const torch::Tensor& weight = At(p, n.bn_weight);
  const torch::Tensor& bias = At(p, n.bn_bias);
  switch (options.bn) {
    case BnMode::kEval:
      return torch::batch_norm(x, weight, bias, At(p, n.bn_mean),
                               At(p, n.bn_var), false, kBnMomentum, kBnEps,
                               cudnn);
    case BnMode::kTrain:
      return torch::batch_norm(x, weight, bias, At(p, n.bn_mean),
                               At(p, n.bn_var), true, kBnMomentum, kBnEps,
                               cudnn);
    case BnMode::kAccumulate: {
      TORCH_CHECK(options.accumulator != nullptr,
                  "BnMode::kAccumulate needs an accumulator");
      torch::NoGradGuard no_grad;
      // The kernel's own batch statistics: mean and 1/sqrt(var + eps), var
      // biased, computed with double accumulation on the CPU.
      auto [y, batch_mean, batch_invstd] =
          torch::native_batch_norm(x.detach(), weight.detach(), bias.detach(),
                                   {}, {}, true, kBnMomentum, kBnEps);
      const double count =
          static_cast<double>(x.size(0) * x.size(2) * x.size(3));
      torch::Tensor mean = batch_mean.to(torch::kDouble);
      torch::Tensor var = batch_invstd.to(torch::kDouble)
                              .square()
                              .reciprocal()
                              .sub_(kBnEps)
                              .clamp_min_(0.0);
      BnAccumulator::Sums& sums = options.accumulator->by_layer[n.bn];
      torch::Tensor s = mean * count;
      torch::Tensor sq = (var + mean.square()) * count;
      if (!sums.sum.defined()) {
        sums.sum = s;
        sums.sum_sq = sq;
      } else {
        sums.sum += s;
        sums.sum_sq += sq;
      }
      sums.count += x.size(0) * x.size(2) * x.size(3);
      if (!x.requires_grad() && !weight.requires_grad() &&
          !bias.requires_grad()) {
        return y;
      }
      [[fallthrough]];
    }
    case BnMode::kBatchStats:
      return torch::batch_norm(x, weight, bias, torch::Tensor(),
                               torch::Tensor(), true, kBnMomentum, kBnEps,
                               cudnn);
    case BnMode::kFolded:
      break;
  }
  TORCH_CHECK(false, "ApplyBatchNorm: BnMode::kFolded has no BatchNorm");
  return x;
}

// Conv (grouped over the stacked networks unless `first`, whose input is
// the shared image) then BatchNorm.
torch::Tensor ConvBnForward(const ParamMap& p, const ConvBnNames& n,
                            const torch::Tensor& x,
                            const ForwardOptions& options, bool first = false) {
  const int64_t groups = first ? 1 : options.stacked;
  if (x.is_mkldnn()) {
    return torch::mkldnn_convolution(x, At(p, n.weight), At(p, n.bias),
                                     {n.kernel / 2, n.kernel / 2},
                                     {n.stride, n.stride}, {1, 1}, groups);
  }
  if (options.bn == BnMode::kFolded) {
    return torch::conv2d(x, At(p, n.weight), At(p, n.bias),
                         {n.stride, n.stride}, {n.kernel / 2, n.kernel / 2},
                         {1, 1}, groups);
  }
  torch::Tensor y =
      torch::conv2d(x, At(p, n.weight), torch::Tensor(), {n.stride, n.stride},
                    {n.kernel / 2, n.kernel / 2}, {1, 1}, groups);
  return ApplyBatchNorm(p, n, y, options);
}

// Without autograd, ReLU and the residual add work in place on fresh
// tensors (conv and BN outputs): one pass less over the activations.
torch::Tensor Relu(torch::Tensor x) {
  return torch::GradMode::is_enabled() ? torch::relu(x) : x.relu_();
}
torch::Tensor Add(torch::Tensor fresh, const torch::Tensor& other) {
  return torch::GradMode::is_enabled() ? fresh + other : fresh.add_(other);
}

// oneDNN's blocked layout pays from this many input channels (per stacked
// network) on; thinner convs (the first layers of a thin VGG) run faster on
// plain NCHW tensors (measured: VGG-13 x1/8's 1->8 conv on 28x28 is ~10x
// slower in the blocked layout).
constexpr int64_t kMkldnnMinChannels = 16;

// x, converted to the blocked layout if options.mkldnn asks for it and the
// layer reading it has enough input channels.
torch::Tensor LayoutFor(const torch::Tensor& x, const ConvBnNames& reader,
                        const ForwardOptions& options) {
  if (!options.mkldnn || x.is_mkldnn() || reader.in < kMkldnnMinChannels) {
    return x;
  }
  TORCH_CHECK(options.bn == BnMode::kFolded,
              "ForwardOptions::mkldnn needs BnMode::kFolded");
  return x.contiguous().to_mkldnn();
}

// Global average pooling and the head; S independent heads when stacked.
ForwardOutput PoolAndHead(const ParamMap& p, const torch::Tensor& x,
                          const ForwardOptions& options) {
  ForwardOutput out;
  torch::Tensor features =
      x.is_mkldnn()
          ? torch::adaptive_avg_pool2d(x, {1, 1}).to_dense().flatten(1)
          : x.mean({2, 3});
  const torch::Tensor& weight = At(p, "head.weight");
  const torch::Tensor& bias = At(p, "head.bias");
  const int64_t s = options.stacked;
  if (s == 1) {
    out.features = features;
    out.logits = torch::linear(features, weight, bias);
    return out;
  }
  const int64_t n = x.size(0);
  const int64_t k = weight.size(0) / s;
  out.features = features.view({n, s, -1});
  // [S, N, C] x [S, C, K] -> [S, N, K] -> [N, S, K].
  out.logits =
      torch::baddbmm(bias.view({s, 1, k}), out.features.transpose(0, 1),
                     weight.view({s, k, -1}).transpose(1, 2))
          .transpose(0, 1);
  return out;
}

void Emit(const ForwardOptions& options, const std::string& point,
          const torch::Tensor& value) {
  if (options.sink != nullptr) (*options.sink)(point, value);
}

// 2 * multiply-adds of a conv on an input of h x w (updates h, w).
double ConvFlops(const ConvBnNames& n, int64_t* h, int64_t* w) {
  *h = (*h + 2 * (n.kernel / 2) - n.kernel) / n.stride + 1;
  *w = (*w + 2 * (n.kernel / 2) - n.kernel) / n.stride + 1;
  return 2.0 * n.in * n.out * n.kernel * n.kernel * (*h) * (*w);
}

void AddConvBnAxes(const ConvBnNames& n, PermutationGroup* g) {
  g->axes.push_back({n.weight, 0});
  g->axes.push_back({n.bn_weight, 0});
  g->axes.push_back({n.bn_bias, 0});
  g->axes.push_back({n.bn_mean, 0});
  g->axes.push_back({n.bn_var, 0});
}

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
      x = Relu(ConvBnForward(p, layers_[i], x, options, i == 0));
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
    torch::Tensor x = Relu(ConvBnForward(
        p, stem_, LayoutFor(input, stem_, options), options, /*first=*/true));
    Emit(options, "stem", x);
    for (const Block& block : blocks_) {
      x = LayoutFor(x, block.conv1, options);
      torch::Tensor out = Relu(ConvBnForward(p, block.conv1, x, options));
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

int64_t ScaledChannels(int64_t channels, double width) {
  return std::max<int64_t>(1, std::llround(channels * width));
}

ParamMap FoldBatchNorm(const Model& model, const ParamMap& params) {
  torch::NoGradGuard no_grad;
  ParamMap out = params;
  for (const std::string& bn : model.BatchNormLayers()) {
    const std::string prefix = bn.substr(0, bn.size() - 3);  // Drop ".bn".
    const torch::Tensor scale =
        At(params, bn + ".weight") *
        (At(params, bn + ".running_var") + kBnEps).rsqrt();
    const torch::Tensor& weight = At(params, prefix + ".conv.weight");
    out[prefix + ".conv.weight"] =
        weight * scale.view({-1, 1, 1, 1}).to(weight.dtype());
    out[prefix + ".conv.bias"] =
        At(params, bn + ".bias") - At(params, bn + ".running_mean") * scale;
    for (const char* suffix :
         {".weight", ".bias", ".running_mean", ".running_var"}) {
      out.erase(bn + suffix);
    }
  }
  return out;
}

torch::Tensor Model::Logits(const ParamMap& params, const torch::Tensor& x,
                            BnMode bn) const {
  ForwardOptions options;
  options.bn = bn;
  return Forward(params, x, options).logits;
}

absl::StatusOr<std::unique_ptr<Model>> Model::Create(const ModelSpec& spec,
                                                     int in_channels,
                                                     int num_classes) {
  if (!(spec.width() > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("model.width must be > 0, got ", spec.width()));
  }
  if (in_channels <= 0 || num_classes <= 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a model needs input channels > 0 and at least 2 classes, got ",
        in_channels, " and ", num_classes));
  }
  switch (spec.arch()) {
    case ModelSpec::VGG13:
      return std::unique_ptr<Model>(
          new Vgg13Model(in_channels, num_classes, spec.width()));
    case ModelSpec::RESNET18:
      return std::unique_ptr<Model>(
          new ResNet18Model(in_channels, num_classes, spec.width()));
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("model.arch must be VGG13 or RESNET18, got ",
                       ModelSpec::Arch_Name(spec.arch())));
  }
}

}  // namespace mmc
