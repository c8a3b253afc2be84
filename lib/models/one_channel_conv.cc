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

// Training's layout (channels-last output, no bias): every output pixel
// of one image, its channels [c0, c0 + 8) in one vector, in blocks of
// kPixels neighbouring pixels of a row (independent chains of fused
// multiply-adds); per pixel the taps in (kh, kw) order into an accumulator
// that starts at +0, as oneDNN's brgconv computes it. `padded` is the
// image with a zero border of one pixel (rows of width + 2): the border's
// taps add zero products, which change nothing (see PlaneGroup). A row's
// last block ends at the row's end and may redo a few pixels (the same
// values). Needs width >= kPixels.
constexpr int64_t kPixels = 8;

void NhwcGroup(const float* padded, int64_t height, int64_t width,
               int64_t channels, const float* weight, int64_t c0, float* out) {
  const int64_t row = width + 2;
  // weight is [channels, 9]; taps[t] holds channels c0..c0+7 of tap t.
  Vec taps[kTaps];
  for (int64_t t = 0; t < kTaps; ++t) {
    for (int64_t k = 0; k < kLanes; ++k) {
      taps[t][k] = weight[(c0 + k) * kTaps + t];
    }
  }
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x0 = 0; x0 < width; x0 += kPixels) {
      const int64_t x = std::min(x0, width - kPixels);
      Vec acc[kPixels];
      for (int64_t p = 0; p < kPixels; ++p) acc[p] = Vec{};
      for (int64_t kh = 0; kh < 3; ++kh) {
        const float* in = padded + (y + kh) * row + x;
        const Vec w0 = taps[kh * 3], w1 = taps[kh * 3 + 1],
                  w2 = taps[kh * 3 + 2];
        for (int64_t p = 0; p < kPixels; ++p) {
          acc[p] = Fma(_mm256_set1_ps(in[p]), w0, acc[p]);
          acc[p] = Fma(_mm256_set1_ps(in[p + 1]), w1, acc[p]);
          acc[p] = Fma(_mm256_set1_ps(in[p + 2]), w2, acc[p]);
        }
      }
      float* o = out + ((y * width) + x) * channels + c0;
      for (int64_t p = 0; p < kPixels; ++p) Store(o + p * channels, acc[p]);
    }
  }
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

namespace {

// A float CPU [N, 1, H, W] tensor (or [C, 1, 3, 3] weight) whose memory is
// in NCHW order, whatever stride its one channel has: OneChannelAsNhwc
// (conv_bn.cc) restrides a one-channel batch as channels-last, and a
// one-input-channel weight is channels-last and contiguous at once.
bool OneChannelDense(const torch::Tensor& t) {
  return t.defined() && t.is_cpu() && t.layout() == torch::kStrided &&
         t.scalar_type() == torch::kFloat && t.dim() == 4 && t.size(1) == 1 &&
         t.stride(3) == 1 && t.stride(2) == t.size(3) &&
         t.stride(0) == t.size(2) * t.size(3);
}

torch::Tensor NhwcForward(const torch::Tensor& x, const torch::Tensor& weight) {
  const int64_t images = x.size(0), height = x.size(2), width = x.size(3);
  const int64_t channels = weight.size(0);
  torch::Tensor out =
      torch::empty({images, channels, height, width},
                   x.options().requires_grad(false).memory_format(
                       at::MemoryFormat::ChannelsLast));
  const float* in = x.data_ptr<float>();
  const float* w = weight.data_ptr<float>();
  float* y = out.data_ptr<float>();
  const int64_t pixels = height * width;
  const int64_t row = width + 2;
  at::parallel_for(0, images, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> padded((height + 2) * row, 0.0f);
    for (int64_t n = begin; n < end; ++n) {
      const float* image = in + n * pixels;
      for (int64_t r = 0; r < height; ++r) {
        std::memcpy(padded.data() + (r + 1) * row + 1, image + r * width,
                    width * sizeof(float));
      }
      for (int64_t c0 = 0; c0 < channels; c0 += kLanes) {
        NhwcGroup(padded.data(), height, width, channels, w, c0,
                  y + n * channels * pixels);
      }
    }
  });
  return out;
}

class OneChannelConvNhwcFunction
    : public torch::autograd::Function<OneChannelConvNhwcFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx,
                               const torch::Tensor& x,
                               const torch::Tensor& weight) {
    ctx->save_for_backward({x, weight});
    return NhwcForward(x, weight);
  }

  // conv2d's own backward (ConvolutionBackward0): the same ATen call with
  // the same tensors, so the same gradients.
  static torch::autograd::variable_list backward(
      torch::autograd::AutogradContext* ctx,
      torch::autograd::variable_list grads) {
    TORCH_CHECK(!torch::GradMode::is_enabled(),
                "OneChannelConv3x3Nhwc has no double backward (create_graph)");
    torch::autograd::variable_list out(2);
    const torch::Tensor& g = grads[0];
    if (!g.defined()) return out;
    const auto saved = ctx->get_saved_variables();
    auto [dx, dweight, dbias] = at::convolution_backward(
        g, saved[0], saved[1], /*bias_sizes=*/c10::nullopt, {1, 1}, {1, 1},
        {1, 1}, /*transposed=*/false, {0, 0}, /*groups=*/1,
        {ctx->needs_input_grad(0), ctx->needs_input_grad(1), false});
    out[0] = dx;
    out[1] = dweight;
    return out;
  }
};

}  // namespace

bool OneChannelConvNhwcApplies(const torch::Tensor& x,
                               const torch::Tensor& weight, int64_t stride,
                               int64_t padding) {
  if (stride != 1 || padding != 1) return false;
  if (!OneChannelDense(x) || !OneChannelDense(weight)) return false;
  if (x.size(0) < 2 || x.size(2) < 1 || x.size(3) < kPixels) return false;
  if (weight.size(0) < 1 || weight.size(0) % kLanes != 0 ||
      weight.size(2) != 3 || weight.size(3) != 3) {
    return false;
  }
  return at::hasMKLDNN() && at::globalContext().userEnabledMkldnn() &&
         avx2::CpuSupported();
}

torch::Tensor OneChannelConv3x3Nhwc(const torch::Tensor& x,
                                    const torch::Tensor& weight) {
  TORCH_CHECK(OneChannelConvNhwcApplies(x, weight, 1, 1),
              "OneChannelConv3x3Nhwc: needs a float [N>=2, 1, H, W>=8] CPU "
              "batch in NCHW order, a float [8k, 1, 3, 3] weight and a CPU "
              "with AVX2 and FMA; got ",
              x.sizes(), " strides ", x.strides(), " and ", weight.sizes());
  return OneChannelConvNhwcFunction::apply(x, weight);
}

}  // namespace mmc
