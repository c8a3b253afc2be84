// x.contiguous(ChannelsLast) for a float NCHW-contiguous CPU tensor, with a
// faster copy and autograd's identity backward, as in ATen's clone.
//
// The quick tier trains in NHWC (conv_bn.cc), but layer 0's 1-channel input
// leaves its conv output NCHW, so every training step converts it: ATen
// 1.13's copy runs its inner loop over the C = 8 channels of one pixel,
// reading 8 strided values per pass (1.2 ms of a 17 ms VGG-13 x1/8 step,
// issue 15's profile, with the conv weights' copies, which take this copy
// too). This copy moves blocks of pixels and channels
// instead. A copy moves values, it computes none: the output equals
// x.contiguous(ChannelsLast) exactly, strides included, and the gradient
// passes through unchanged (CloneBackward's is the identity too), so
// training computes the same numbers either way (nhwc_copy_test).
#ifndef LIB_MODELS_NHWC_COPY_H_
#define LIB_MODELS_NHWC_COPY_H_

#include <torch/torch.h>

namespace mmc {

// Whether NhwcCopy takes x: float, CPU, 4-d, NCHW-contiguous and not
// already channels-last contiguous (C > 1 and more than one pixel).
bool NhwcCopyApplies(const torch::Tensor& x);

// x.contiguous(at::MemoryFormat::ChannelsLast); differentiable. Checks
// NhwcCopyApplies.
torch::Tensor NhwcCopy(const torch::Tensor& x);

}  // namespace mmc

#endif  // LIB_MODELS_NHWC_COPY_H_
