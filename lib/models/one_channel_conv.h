// The first convolution of a network on one-channel images (3x3, stride 1,
// padding 1: VGG-13 on Fashion-MNIST), without autograd, for the BN reset
// and the evaluation sets of every path point: the same numbers as
// at::mkldnn_convolution, which ATen calls for a float CPU batch of 2+
// images, in a fraction of its time.
//
// oneDNN computes this conv (1 input channel, 8 output channels for VGG-13
// x1/8) into a blocked tensor padded to 16 channels and ATen reorders it
// back to NCHW: per batch of 500 28x28 images 1.4-1.8 ms of convolution
// and 2.1-3.0 ms of reorder (DNNL_VERBOSE, issue 15), a fifth of a path
// point's evaluation. This kernel writes NCHW directly, with the bias and
// an optional ReLU fused: 1.1-1.7 ms against ATen's 2.7-3.3 ms per such
// batch at one thread, bias and ReLU included. Its arithmetic is oneDNN's:
// per output, the taps in (kh, kw) order, each a fused multiply-add into
// an accumulator that starts at +0, then the bias added. The zero
// padding's taps are added too, where oneDNN skips them: that changes no
// bit (the accumulator is +0 until its first nonzero product, and +0 plus
// a signed zero is +0). one_channel_conv_test checks all of it against
// at::mkldnn_convolution bit for bit.
//
// Measured and not kept: the same kernel generalised to 16 input channels
// and stride 2 (oneDNN's order there is kh, kw, input channel) matched
// oneDNN bit for bit but was slower on VGG-13 x1/8's 8->8 (2.9 ms against
// 2.0 + 0.36 ms of reorder) and 8->16 convs (3.5 against 1.7 ms): oneDNN
// runs AVX-512 on this machine, and the 8->8's input is 12.5 MB read from
// memory either way; ResNet-18's 3->64 stem tied (44 ms).
#ifndef LIB_MODELS_ONE_CHANNEL_CONV_H_
#define LIB_MODELS_ONE_CHANNEL_CONV_H_

#include <torch/torch.h>

namespace mmc {

// Whether OneChannelConv3x3 takes this conv: x a float CPU NCHW-contiguous
// [N, 1, H, W] batch with N >= 2 (ATen's oneDNN path), weight float
// [C, 1, 3, 3] contiguous, bias undefined or float [C]; stride 1, padding
// 1; no gradient wanted (grad mode off or nothing requiring grad); oneDNN
// enabled and a CPU with AVX2 and FMA.
bool OneChannelConvApplies(const torch::Tensor& x, const torch::Tensor& weight,
                           const torch::Tensor& bias, int64_t stride,
                           int64_t padding);

// conv2d(x, weight, bias, stride 1, padding 1), then ReLU (clamp_min(0))
// if `relu`; NCHW-contiguous output. Checks OneChannelConvApplies.
torch::Tensor OneChannelConv3x3(const torch::Tensor& x,
                                const torch::Tensor& weight,
                                const torch::Tensor& bias, bool relu);

}  // namespace mmc

#endif  // LIB_MODELS_ONE_CHANNEL_CONV_H_
