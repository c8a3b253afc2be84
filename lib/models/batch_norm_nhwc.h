// Training-mode BatchNorm over a channels-last (NHWC) batch, optionally
// fused with the ReLU that follows it, with autograd: the training step's
// BatchNorm (BnMode::kTrain and kBatchStats with
// ForwardOptions::channels_last), bit for bit ATen 1.13's numbers in a
// fraction of its time.
//
// ATen's channels-last kernels (aten/src/ATen/native/cpu/batch_norm_kernel
// .cpp, batch_norm_cpu_collect_stats_channels_last_impl and
// batch_norm_cpu_backward_channels_last_impl) sum each channel in float,
// row after row of the [N*H*W, C] matrix, each thread over its own
// at::parallel_for chunk of rows into a row of a float buffer; the
// threads' rows are then added in double. They carry the buffer row
// through memory from one image row to the next; this kernel keeps up to
// 64 channels' sums in registers over the whole chunk, with the same
// additions in the same order, and reads the ReLU's mask where ATen runs
// two more passes (relu_ forward, threshold_backward). The numbers it must
// reproduce, all from that source:
// - forward: mean = float(sum / N); var_sum by y + (x - mean)^2 (one
//   fused multiply-add in ATen's AVX2/AVX-512 builds); invstd = float(1 /
//   sqrt(double(var_sum / float(N)) + eps)); running statistics updated
//   as Normalization.cpp's batch_norm_cpu_update_stats_template does, in
//   its float and double steps; y = fma(x, alpha, beta) with alpha =
//   invstd * w, beta = fma(-mean, alpha, b); ReLU keeps -0 and NaN as
//   clamp_min does.
// - backward: the ReLU's gradient is g where y > 0 (threshold_backward's
//   y <= 0 ? 0 : g); sum and dotp = fma(x - mean, dy, dotp) per channel
//   as above; dx = ((dy - sum / N) - (x - mean) * k) * invstd * w with k =
//   dotp * invstd * invstd / N and the subtraction of the product fused;
//   grad_weight = dotp * invstd, grad_bias = sum.
// Which of ATen's expressions GCC fused is not in the source: it was
// settled by batch_norm_nhwc_test, which compares every output and
// gradient with ATen's bit for bit.
//
// Where the kernel does not apply (not float, not channels-last, a channel
// count not a multiple of 8, a CPU or ATEN_CPU_CAPABILITY without AVX2 and
// FMA, whose ATen kernels round twice), the callers run ATen's ops.
#ifndef LIB_MODELS_BATCH_NORM_NHWC_H_
#define LIB_MODELS_BATCH_NORM_NHWC_H_

#include <torch/torch.h>

namespace mmc {

// Whether BatchNormNhwc takes these tensors: x a float CPU tensor, 4-d,
// channels-last contiguous and one ATen sums in its channels-last kernel
// (not also NCHW-contiguous with 2+ pixels per plane), C a multiple of 8;
// weight and bias float [C] contiguous; running_mean and running_var
// either both undefined or both float [C] contiguous; and a CPU (and
// ATEN_CPU_CAPABILITY) with AVX2 and FMA.
bool BatchNormNhwcApplies(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias,
                          const torch::Tensor& running_mean,
                          const torch::Tensor& running_var);

// relu(batch_norm(x, weight, bias, running_mean, running_var,
// training=true, momentum, eps)) if `relu`, else the BatchNorm alone, with
// autograd to x, weight and bias; updates the running statistics in place
// when they are defined. Checks BatchNormNhwcApplies.
torch::Tensor BatchNormNhwc(const torch::Tensor& x, const torch::Tensor& weight,
                            const torch::Tensor& bias,
                            const torch::Tensor& running_mean,
                            const torch::Tensor& running_var, double momentum,
                            double eps, bool relu);

}  // namespace mmc

#endif  // LIB_MODELS_BATCH_NORM_NHWC_H_
