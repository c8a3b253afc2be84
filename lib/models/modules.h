// torch::nn modules of VGG-13 (the paper authors' form) and ResNet-18
// (CIFAR variant). They hold storage for initialisation and are the
// reference that Model::Forward (model.h) must match bit for bit; their
// named parameters and buffers are exactly the ParamMap layout of model.h.
#ifndef LIB_MODELS_MODULES_H_
#define LIB_MODELS_MODULES_H_

#include <torch/torch.h>

#include <vector>

#include "lib/models/param_map.h"

namespace mmc {

// conv (no bias) -> BatchNorm, registered as "conv" and "bn".
class ConvBnImpl : public torch::nn::Module {
 public:
  ConvBnImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBn);

class Vgg13Impl : public torch::nn::Module {
 public:
  // channels: the 10 conv widths; strided: which of them have stride 2.
  Vgg13Impl(int64_t in_channels, const std::vector<int64_t>& channels,
            const std::vector<bool>& strided, int64_t num_classes);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::ModuleList features{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(Vgg13);

class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);
  ConvBn conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
};
TORCH_MODULE(BasicBlock);

class ResNet18Impl : public torch::nn::Module {
 public:
  ResNet18Impl(int64_t in_channels, const std::vector<int64_t>& channels,
               int64_t num_classes);
  torch::Tensor forward(torch::Tensor x);
  ConvBn stem{nullptr};
  std::vector<torch::nn::ModuleList> layers;
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(ResNet18);

// The module's parameters and running statistics as a ParamMap (shared
// storage, not copies; num_batches_tracked is left out).
ParamMap ParamsOf(torch::nn::Module& module);

}  // namespace mmc

#endif  // LIB_MODELS_MODULES_H_
