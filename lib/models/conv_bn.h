// The conv-BN building blocks the architectures (vgg13.h, resnet18.h) are
// made of: map keys of a conv-BN pair, its functional forward pass in every
// BnMode (stacked and oneDNN variants included), the in-place ReLU and
// residual add, global average pooling and the head, activation emission,
// FLOP counting, permutation axes and the width multiplier.
#ifndef LIB_MODELS_CONV_BN_H_
#define LIB_MODELS_CONV_BN_H_

#include <torch/types.h>

#include <cstdint>
#include <string>

#include "lib/models/model_base.h"
#include "lib/models/param_map.h"

namespace mmc {

// BatchNorm's epsilon (torch::nn::BatchNorm2d's default); FoldBatchNorm
// uses it too.
inline constexpr double kBnEps = 1e-5;

// Map keys of one conv-BN pair, built once.
struct ConvBnNames {
  std::string prefix, weight, bias, bn, bn_weight, bn_bias, bn_mean, bn_var;
  int64_t in = 0, out = 0, kernel = 3, stride = 1;
};

// The names of the conv-BN pair at `prefix` ("<prefix>.conv.weight", ...)
// and its shape.
ConvBnNames MakeConvBn(const std::string& prefix, int64_t in, int64_t out,
                       int64_t kernel, int64_t stride);

// params[name]; a TORCH_CHECK failure naming the entry if it is missing.
const torch::Tensor& At(const ParamMap& params, const std::string& name);

// Conv (grouped over the stacked networks unless `first`, whose input is
// the shared image) then BatchNorm.
torch::Tensor ConvBnForward(const ParamMap& p, const ConvBnNames& n,
                            const torch::Tensor& x,
                            const ForwardOptions& options, bool first = false);

// relu(ConvBnForward(...)): in training on channels-last batches the ReLU
// is fused into the BatchNorm (batch_norm_nhwc.h, the same numbers).
torch::Tensor ConvBnReluForward(const ParamMap& p, const ConvBnNames& n,
                                const torch::Tensor& x,
                                const ForwardOptions& options,
                                bool first = false);

// ReLU in place on a fresh tensor (a conv, BN or residual-add output that
// nothing else holds), with or without autograd: one pass less over the
// activations.
torch::Tensor Relu(torch::Tensor x);
// fresh + other; in place on `fresh` without autograd.
torch::Tensor Add(torch::Tensor fresh, const torch::Tensor& other);

// x as a oneDNN tensor if options.mkldnn asks for it and the conv reading
// it has 16 or more output channels (per stacked network), whose output
// then stays in oneDNN's blocked layout.
torch::Tensor LayoutFor(const torch::Tensor& x, const ConvBnNames& reader,
                        const ForwardOptions& options);

// Global average pooling and the head; S independent heads when stacked.
ForwardOutput PoolAndHead(const ParamMap& p, const torch::Tensor& x,
                          const ForwardOptions& options);

// Passes the activation `value` at `point` to options.sink, if any.
void Emit(const ForwardOptions& options, const std::string& point,
          const torch::Tensor& value);

// 2 * multiply-adds of a conv on an input of h x w (updates h, w).
double ConvFlops(const ConvBnNames& n, int64_t* h, int64_t* w);

// Adds the output-channel axes of the pair's conv weight and BN entries to
// `g`.
void AddConvBnAxes(const ConvBnNames& n, PermutationGroup* g);

// Scales a channel count by the width multiplier (at least 1).
int64_t ScaledChannels(int64_t channels, double width);

}  // namespace mmc

#endif  // LIB_MODELS_CONV_BN_H_
