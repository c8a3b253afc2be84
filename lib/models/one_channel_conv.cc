// Implementation of lib/models/one_channel_conv.h. Compiled with
// -ffp-contract=off: the fused multiply-adds below are the only ones.
#include "lib/models/one_channel_conv.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "lib/models/avx2_floats.h"

namespace mmc {
namespace {

constexpr int64_t kTaps = 9;  // 3x3.

#pragma GCC push_options
#pragma GCC target("avx2,fma")

using avx2::Fma;
using avx2::kLanes;
using avx2::Load;
using avx2::Relu;
using avx2::Store;
using avx2::Vec;

// Output planes [c0, c0 + G) of one image ([channels, height, width] at
// `out`). `padded` is the image with a zero column either side (rows of
// width + 2): the padding's taps add a zero product, which changes nothing
// (the accumulator starts at +0 and +0 plus a zero is +0, so it is never
// -0), as oneDNN's skipping them; rows outside the image are skipped. G
// channels share each loaded input vector and run G independent chains of
// fused multiply-adds.
template <int G>
void PlaneGroup(const float* padded, int64_t height, int64_t width,
                const Vec* taps, const float* bias, bool relu, int64_t c0,
                float* out) {
  const int64_t row = width + 2;
  const int64_t plane = height * width;
  for (int64_t y = 0; y < height; ++y) {
    const int64_t kh_begin = y == 0 ? 1 : 0;
    const int64_t kh_end = y == height - 1 ? 2 : 3;
    for (int64_t x0 = 0; x0 < width; x0 += kLanes) {
      // The last chunk ends at the row's end (it may redo a few columns).
      const int64_t x = std::min(x0, width - kLanes);
      Vec acc[G];
      for (int g = 0; g < G; ++g) acc[g] = Vec{};
      for (int64_t kh = kh_begin; kh < kh_end; ++kh) {
        const float* in = padded + (y + kh - 1) * row + x;
        for (int64_t kw = 0; kw < 3; ++kw) {
          const Vec v = Load(in + kw);
          for (int g = 0; g < G; ++g) {
            acc[g] = Fma(taps[(c0 + g) * kTaps + kh * 3 + kw], v, acc[g]);
          }
        }
      }
      for (int g = 0; g < G; ++g) {
        Vec r = acc[g];
        if (bias != nullptr) r = r + (Vec{} + bias[c0 + g]);
        Store(out + (c0 + g) * plane + y * width + x, relu ? Relu(r) : r);
      }
    }
  }
}

constexpr int kMaxGroup = 8;

// All output planes of one image, kMaxGroup channels at a time.
void ImagePlanes(const float* padded, int64_t height, int64_t width,
                 int64_t channels, const Vec* taps, const float* bias,
                 bool relu, float* out) {
  for (int64_t c0 = 0; c0 < channels; c0 += kMaxGroup) {
    switch (std::min<int64_t>(kMaxGroup, channels - c0)) {
#define MMC_GROUP(G)                                                 \
  case G:                                                            \
    PlaneGroup<G>(padded, height, width, taps, bias, relu, c0, out); \
    break;
      MMC_GROUP(1)
      MMC_GROUP(2)
      MMC_GROUP(3)
      MMC_GROUP(4)
      MMC_GROUP(5)
      MMC_GROUP(6)
      MMC_GROUP(7)
      MMC_GROUP(8)
#undef MMC_GROUP
    }
  }
}

// Each tap of each channel as a vector of 8 copies.
std::vector<Vec> BroadcastTaps(const float* weight, int64_t channels) {
  std::vector<Vec> taps(channels * kTaps);
  for (int64_t i = 0; i < channels * kTaps; ++i) taps[i] = Vec{} + weight[i];
  return taps;
}

#pragma GCC pop_options

bool FloatCpu(const torch::Tensor& t) {
  return t.defined() && t.is_cpu() && t.layout() == torch::kStrided &&
         t.scalar_type() == torch::kFloat && t.is_contiguous();
}

}  // namespace

bool OneChannelConvApplies(const torch::Tensor& x, const torch::Tensor& weight,
                           const torch::Tensor& bias, int64_t stride,
                           int64_t padding) {
  if (stride != 1 || padding != 1) return false;
  if (!FloatCpu(x) || !FloatCpu(weight)) return false;
  if (x.dim() != 4 || x.size(0) < 2 || x.size(1) != 1) return false;
  if (x.size(2) < 1 || x.size(3) < kLanes) return false;
  if (weight.dim() != 4 || weight.size(0) < 1 || weight.size(1) != 1 ||
      weight.size(2) != 3 || weight.size(3) != 3) {
    return false;
  }
  if (bias.defined() &&
      (!FloatCpu(bias) || bias.dim() != 1 || bias.size(0) != weight.size(0))) {
    return false;
  }
  const bool grad = torch::GradMode::is_enabled() &&
                    (x.requires_grad() || weight.requires_grad() ||
                     (bias.defined() && bias.requires_grad()));
  if (grad) return false;
  return at::hasMKLDNN() && at::globalContext().userEnabledMkldnn() &&
         avx2::CpuSupported();
}

torch::Tensor OneChannelConv3x3(const torch::Tensor& x,
                                const torch::Tensor& weight,
                                const torch::Tensor& bias, bool relu) {
  TORCH_CHECK(OneChannelConvApplies(x, weight, bias, 1, 1),
              "OneChannelConv3x3: needs a float NCHW [N>=2, 1, H, W>=8] CPU "
              "batch, a float [C, 1, 3, 3] weight, no gradient and a CPU "
              "with AVX2 and FMA; got ",
              x.sizes(), " and ", weight.sizes());
  const int64_t images = x.size(0), height = x.size(2), width = x.size(3);
  const int64_t channels = weight.size(0);
  torch::Tensor out = torch::empty({images, channels, height, width},
                                   x.options().requires_grad(false));
  const float* in = x.data_ptr<float>();
  const float* w = weight.data_ptr<float>();
  const float* b = bias.defined() ? bias.data_ptr<float>() : nullptr;
  float* y = out.data_ptr<float>();
  const int64_t pixels = height * width;
  const std::vector<Vec> taps = BroadcastTaps(w, channels);
  at::parallel_for(0, images, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> padded(height * (width + 2), 0.0f);
    for (int64_t n = begin; n < end; ++n) {
      const float* image = in + n * pixels;
      for (int64_t r = 0; r < height; ++r) {
        std::memcpy(padded.data() + r * (width + 2) + 1, image + r * width,
                    width * sizeof(float));
      }
      ImagePlanes(padded.data(), height, width, channels, taps.data(), b, relu,
                  y + n * channels * pixels);
    }
  });
  return out;
}

}  // namespace mmc
