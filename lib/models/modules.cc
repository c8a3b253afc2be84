// Implementation of lib/models/modules.h.
#include "lib/models/modules.h"

#include "absl/strings/str_cat.h"

namespace mmc {

ConvBnImpl::ConvBnImpl(int64_t in, int64_t out, int64_t kernel,
                       int64_t stride) {
  conv = register_module(
      "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                                    .stride(stride)
                                    .padding(kernel / 2)
                                    .bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(out));
}

torch::Tensor ConvBnImpl::forward(const torch::Tensor& x) {
  return bn->forward(conv->forward(x));
}

Vgg13Impl::Vgg13Impl(int64_t in_channels, const std::vector<int64_t>& channels,
                     const std::vector<bool>& strided, int64_t num_classes) {
  features = register_module("features", torch::nn::ModuleList());
  int64_t in = in_channels;
  for (size_t i = 0; i < channels.size(); ++i) {
    features->push_back(ConvBn(in, channels[i], 3, strided[i] ? 2 : 1));
    in = channels[i];
  }
  head = register_module("head", torch::nn::Linear(in, num_classes));
}

torch::Tensor Vgg13Impl::forward(torch::Tensor x) {
  for (const auto& layer : *features) {
    x = torch::relu(layer->as<ConvBn>()->forward(x));
  }
  return head->forward(x.mean({2, 3}));
}

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
  conv1 = register_module("conv1", ConvBn(in, out, 3, stride));
  conv2 = register_module("conv2", ConvBn(out, out, 3, 1));
  if (stride != 1 || in != out) {
    shortcut = register_module("shortcut", ConvBn(in, out, 1, stride));
  }
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor out = conv2->forward(torch::relu(conv1->forward(x)));
  return torch::relu(out + (shortcut ? shortcut->forward(x) : x));
}

ResNet18Impl::ResNet18Impl(int64_t in_channels,
                           const std::vector<int64_t>& channels,
                           int64_t num_classes) {
  stem = register_module("stem", ConvBn(in_channels, channels[0], 3, 1));
  int64_t in = channels[0];
  for (int stage = 0; stage < 4; ++stage) {
    auto blocks = torch::nn::ModuleList();
    const int64_t stride = stage == 0 ? 1 : 2;
    blocks->push_back(BasicBlock(in, channels[stage], stride));
    blocks->push_back(BasicBlock(channels[stage], channels[stage], 1));
    in = channels[stage];
    layers.push_back(register_module(absl::StrCat("layer", stage + 1), blocks));
  }
  head = register_module("head", torch::nn::Linear(in, num_classes));
}

torch::Tensor ResNet18Impl::forward(torch::Tensor x) {
  x = torch::relu(stem->forward(x));
  for (auto& blocks : layers) {
    for (const auto& block : *blocks) x = block->as<BasicBlock>()->forward(x);
  }
  return head->forward(x.mean({2, 3}));
}

ParamMap ParamsOf(torch::nn::Module& module) {
  ParamMap out;
  for (const auto& item : module.named_parameters()) {
    out[item.key()] = item.value();
  }
  for (const auto& item : module.named_buffers()) {
    if (IsBuffer(item.key())) out[item.key()] = item.value();
  }
  return out;
}

}  // namespace mmc
