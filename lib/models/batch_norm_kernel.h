// Train-mode BatchNorm over an NCHW batch (the batch's own statistics), as
// the BN reset runs it (BnMode::kAccumulate, lib/paths/bn_reset.h): the
// same numbers as at::native_batch_norm(x, w, b, {}, {}, training=true),
// in a fraction of its time.
//
// ATen 1.13's CPU kernel sums each channel in double, one element after the
// other (batch_norm_cpu_collect_stats_contiguous_impl), a chain of
// dependent additions that runs at the adder's latency; in the BN reset of
// VGG-13 x1/8 it took as long as the convolutions (70 of 155 ms per point,
// issue 15). This kernel keeps every channel's order of additions — the
// same double sums, element for element — and runs 8 channels' chains side
// by side, so the mean, the inverse standard deviation and the output are
// bit for bit ATen's (checked by batch_norm_kernel_test against
// at::native_batch_norm). The output is x * alpha + beta with ATen's alpha
// = invstd * w and beta = b - mean * alpha; ATen's vectorised kernels
// (AVX2, AVX-512 builds, compiled with FMA) evaluate both as fused
// multiply-adds, and so does this kernel on CPUs with FMA; without FMA
// both round twice.
#ifndef LIB_MODELS_BATCH_NORM_KERNEL_H_
#define LIB_MODELS_BATCH_NORM_KERNEL_H_

#include <torch/torch.h>

namespace mmc {

struct BatchStatsNorm {
  torch::Tensor output;  // Like x.
  torch::Tensor mean;    // [C], float: the batch mean.
  torch::Tensor invstd;  // [C], float: 1 / sqrt(biased var + eps).
};

// Whether BatchNormWithBatchStats takes x: a float CPU tensor, 4-d,
// NCHW-contiguous with 2+ pixels per plane (ATen runs 1x1 planes through
// its channels-last kernel), weight and bias float [C] contiguous. Anything
// else is the caller's to give to ATen.
bool BatchStatsKernelApplies(const torch::Tensor& x,
                             const torch::Tensor& weight,
                             const torch::Tensor& bias);

// Train-mode BatchNorm of x with its own batch statistics (no running
// statistics, no autograd). Checks BatchStatsKernelApplies.
BatchStatsNorm BatchNormWithBatchStats(const torch::Tensor& x,
                                       const torch::Tensor& weight,
                                       const torch::Tensor& bias, double eps);

}  // namespace mmc

#endif  // LIB_MODELS_BATCH_NORM_KERNEL_H_
