// Implementation of lib/models/batch_norm_kernel.h.
#include "lib/models/batch_norm_kernel.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace mmc {
namespace {

// Channels whose sums run side by side: 8 independent chains of double
// additions keep the adders busy where one chain waits on each result.
constexpr int64_t kChannelBlock = 8;

// Per channel c in [c0, c0 + kBlock): the double sum of x, in ATen's order
// (image by image, pixel by pixel), the float mean sum / count, then the
// double sum of the float squares (x - mean)^2 in the same order.
template <int64_t kBlock>
void BlockStats(const float* x, int64_t images, int64_t channels,
                int64_t pixels, int64_t c0, float* mean, double* var_sum) {
  const int64_t count = images * pixels;
  double sum[kBlock] = {};
  for (int64_t n = 0; n < images; ++n) {
    const float* plane = x + (n * channels + c0) * pixels;
    for (int64_t i = 0; i < pixels; ++i) {
      for (int64_t k = 0; k < kBlock; ++k) sum[k] += plane[k * pixels + i];
    }
  }
  float m[kBlock];
  for (int64_t k = 0; k < kBlock; ++k) {
    m[k] = static_cast<float>(sum[k] / count);
    mean[c0 + k] = m[k];
  }
  double squares[kBlock] = {};
  for (int64_t n = 0; n < images; ++n) {
    const float* plane = x + (n * channels + c0) * pixels;
    for (int64_t i = 0; i < pixels; ++i) {
      for (int64_t k = 0; k < kBlock; ++k) {
        const float d = plane[k * pixels + i] - m[k];
        squares[k] += d * d;  // The float square, added in double.
      }
    }
  }
  for (int64_t k = 0; k < kBlock; ++k) var_sum[c0 + k] = squares[k];
}

// y = x * alpha + beta per plane, with one rounding (FMA) or two.
__attribute__((target("fma"))) void NormalizeFused(
    const float* x, float* y, const float* alpha, const float* beta,
    int64_t begin, int64_t end, int64_t channels, int64_t pixels) {
  for (int64_t p = begin; p < end; ++p) {
    const float a = alpha[p % channels], b = beta[p % channels];
    const float* in = x + p * pixels;
    float* out = y + p * pixels;
    for (int64_t i = 0; i < pixels; ++i) out[i] = __builtin_fmaf(in[i], a, b);
  }
}

void NormalizeRounded(const float* x, float* y, const float* alpha,
                      const float* beta, int64_t begin, int64_t end,
                      int64_t channels, int64_t pixels) {
  for (int64_t p = begin; p < end; ++p) {
    const float a = alpha[p % channels], b = beta[p % channels];
    const float* in = x + p * pixels;
    float* out = y + p * pixels;
    for (int64_t i = 0; i < pixels; ++i) {
      const volatile float product = in[i] * a;  // No contraction.
      out[i] = product + b;
    }
  }
}

bool HasFma() {
  static const bool fma = __builtin_cpu_supports("fma");
  return fma;
}

}  // namespace

bool BatchStatsKernelApplies(const torch::Tensor& x,
                             const torch::Tensor& weight,
                             const torch::Tensor& bias) {
  auto float_cpu = [](const torch::Tensor& t) {
    return t.defined() && t.is_cpu() && t.layout() == torch::kStrided &&
           t.scalar_type() == torch::kFloat;
  };
  if (!float_cpu(x) || !float_cpu(weight) || !float_cpu(bias)) return false;
  if (x.dim() != 4 || !x.is_contiguous()) return false;
  // One pixel per plane: ATen takes such a tensor for channels-last and
  // sums it in its channels-last kernel (float partial sums), not ours.
  const int64_t channels = x.size(1);
  if (x.size(2) * x.size(3) < 2) return false;
  return channels > 0 && x.size(0) >= 1 && weight.dim() == 1 &&
         bias.dim() == 1 && weight.size(0) == channels &&
         bias.size(0) == channels && weight.is_contiguous() &&
         bias.is_contiguous();
}

BatchStatsNorm BatchNormWithBatchStats(const torch::Tensor& x,
                                       const torch::Tensor& weight,
                                       const torch::Tensor& bias, double eps) {
  TORCH_CHECK(BatchStatsKernelApplies(x, weight, bias),
              "BatchNormWithBatchStats: needs a float NCHW-contiguous CPU "
              "input with 2+ values per channel and float [C] weight and "
              "bias; got ",
              x.sizes(), " ", x.scalar_type());
  const int64_t images = x.size(0), channels = x.size(1);
  const int64_t pixels = x.size(2) * x.size(3);
  const int64_t count = images * pixels;
  const float* in = x.data_ptr<float>();

  BatchStatsNorm out;
  out.mean = torch::empty({channels}, x.options());
  out.invstd = torch::empty({channels}, x.options());
  float* mean = out.mean.data_ptr<float>();
  std::vector<double> var_sum(channels);
  const int64_t blocks = (channels + kChannelBlock - 1) / kChannelBlock;
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const int64_t c0 = b * kChannelBlock;
      if (c0 + kChannelBlock <= channels) {
        BlockStats<kChannelBlock>(in, images, channels, pixels, c0, mean,
                                  var_sum.data());
        continue;
      }
      for (int64_t c = c0; c < channels; ++c) {
        BlockStats<1>(in, images, channels, pixels, c, mean, var_sum.data());
      }
    }
  });

  // ATen: var_sum stored as float, divided by the count in float, then
  // 1 / sqrt(var + eps) in double, stored as float; alpha = invstd * w,
  // beta = b - mean * alpha.
  float* invstd = out.invstd.data_ptr<float>();
  const float* w = weight.data_ptr<float>();
  const float* b = bias.data_ptr<float>();
  std::vector<float> alpha(channels), beta(channels);
  const bool fused = HasFma();
  for (int64_t c = 0; c < channels; ++c) {
    const float var = static_cast<float>(var_sum[c]) / count;
    invstd[c] = static_cast<float>(1.0 / std::sqrt(var + eps));
    alpha[c] = invstd[c] * w[c];
    if (fused) {
      beta[c] = std::fma(-mean[c], alpha[c], b[c]);
    } else {
      const volatile float product = mean[c] * alpha[c];
      beta[c] = b[c] - product;
    }
  }

  out.output = torch::empty_like(x);
  float* y = out.output.data_ptr<float>();
  at::parallel_for(0, images * channels, 1, [&](int64_t begin, int64_t end) {
    if (fused) {
      NormalizeFused(in, y, alpha.data(), beta.data(), begin, end, channels,
                     pixels);
    } else {
      NormalizeRounded(in, y, alpha.data(), beta.data(), begin, end, channels,
                       pixels);
    }
  });
  return out;
}

}  // namespace mmc
