// Training's thinnest convolutions (ForwardOptions::channels_last): a 3x3
// conv with padding 1, stride 1 or 2, from a channels-last input with few
// channels to a multiple of 8 output channels, no bias, with the numbers
// of ATen's conv2d: oneDNN's brgconv computes each output as one chain of
// fused multiply-adds over the taps in (kh, kw, input channel) order from
// +0, and so does this kernel. Differentiable: the backward is conv2d's
// own (ConvolutionBackward0), at::convolution_backward on the same
// tensors, for the weight and, where it requires one, the input.
//
// brgconv reads such thin inputs poorly. VGG-13 x1/8's training step
// (batch 128, one thread, DNNL_VERBOSE, issue 15): layer 0 (1 -> 8 on
// 28x28) 0.64 ms and layer 1 (8 -> 8, stride 2) 0.54 ms of forward
// convolution. This kernel computes 8 output channels of a pixel in one
// vector, 8 pixels side by side, each input value broadcast, compiled per
// input channel count (1 to 8) so that its loops unroll: perf puts layer
// 0 at 1.1% and layer 1 at 2.3% of the step. The step
// (train_step_benchmark, TRAIN_STEP_THREADS=1, medians of 3-5, alternating
// binaries): brgconv 12.9 / 12.5 / 12.0 / 16.1 / 13.2 ms, this kernel for
// layer 0 12.2 / 11.3 / 11.6 / 12.2 / 12.7 ms; then for layer 1 too, in
// the calm runs, 12.6-13.0 -> 12.4-12.5 ms (the VM's noise is of that
// size). On 56x28 images 27.0 / 26.7 -> 25.0 / 25.7 ms (layer 0).
// ResNet-18 x1/8's 3 -> 8 stem: no change (68.5-71.7 ms either way).
// Where it is used (ThinConvNhwcApplies) was measured: with the 8 -> 16
// layer 2 too (brgconv 0.43 ms) perf put that layer at 4.1% of the step,
// against layer 1's 2.2%, and the step was no faster (medians 15.2-16.9
// against 13.0-16.9 ms, alternating); so input channels x output channels
// must not exceed 64.
//
// Measured and not kept (issue 15): the weight gradient by our own kernel.
// At one intra-op thread oneDNN's jit:avx512_core backward-weights kernel
// sums each weight's gradient as one chain of fused multiply-adds over
// (image, output row, output column) from +0, and its backward-data kernel
// each input gradient as one chain over the valid (kh, kw, output channel)
// from +0 (both found bit for bit against ATen in Python, 1 -> 8 and
// 8 -> 8 stride 2, 16-128 images). A kernel summing the first chain (8
// output channels per vector, 9 taps side by side, checked against ATen on
// each shape's first backward) equalled ATen bit for bit on every case of
// thin_conv_nhwc_test and left the quick paper's 8,888 compared numbers
// unchanged, but hardly paid: per backward at one thread, layer 0 (weight
// gradient only) 0.31-0.33 ms in ATen against 0.17-0.24 ms; layer 1 (input
// and weight gradients in one ATen call, 0.96-1.03 ms) became 1.20-1.24 ms
// split into ATen's input gradient and ours (72 fused multiply-adds of 8
// lanes per output pixel, the AVX2 bound, is what oneDNN already takes).
// The training step, alternating binaries (10 pairs): 12.7 ms median before
// against 12.95 ms with both layers. Layer 0 alone would save ~0.1 ms of a
// 12.9 ms step (under 1%), below what this VM's runs can resolve.
#ifndef LIB_MODELS_THIN_CONV_NHWC_H_
#define LIB_MODELS_THIN_CONV_NHWC_H_

#include <torch/torch.h>

namespace mmc {

// Whether ThinConv3x3Nhwc takes conv2d(x, weight, stride, padding, groups):
// x a float CPU [N>=2, C, H, W] batch in channels-last memory order (a
// one-channel batch in either order), weight float [O, C, 3, 3] with O a
// multiple of 8 and C x O <= 64, stride 1 or 2, padding 1, groups 1, at
// least 8 output columns; oneDNN enabled and a CPU with AVX2 and FMA.
bool ThinConvNhwcApplies(const torch::Tensor& x, const torch::Tensor& weight,
                         int64_t stride, int64_t padding, int64_t groups);

// conv2d(x, weight, stride, padding 1); channels-last output. Checks
// ThinConvNhwcApplies.
torch::Tensor ThinConv3x3Nhwc(const torch::Tensor& x,
                              const torch::Tensor& weight, int64_t stride);

}  // namespace mmc

#endif  // LIB_MODELS_THIN_CONV_NHWC_H_
