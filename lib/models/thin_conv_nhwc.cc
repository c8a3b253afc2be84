// Implementation of lib/models/thin_conv_nhwc.h. Compiled with
// -ffp-contract=off: the fused multiply-adds below are the only ones.
#include "lib/models/thin_conv_nhwc.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "lib/models/avx2_floats.h"

namespace mmc {
namespace {

constexpr int64_t kTaps = 9;    // 3x3.
constexpr int64_t kPixels = 8;  // Output pixels computed side by side.

#pragma GCC push_options
#pragma GCC target("avx2,fma")

using avx2::Fma;
using avx2::kLanes;
using avx2::Store;
using avx2::Vec;

// Output channels [c0, c0 + 8) of every output pixel of one image.
// `padded` is the image, channels-last, with a zero border of one pixel
// (rows of (width + 2) * in_channels floats): the border's taps add zero
// products, which change nothing (the accumulator starts at +0 and stays
// +0 until a nonzero product; +0 plus a signed zero is +0), as brgconv's
// skipping them. taps[(kh * 3 + kw) * in_channels + ic] holds the weights
// of output channels c0..c0+7. A row's last block ends at the row's end
// and may redo a few pixels (the same values).
template <int64_t kStride, int64_t kIn>
void OutputGroup(const float* padded, int64_t width, int64_t out_height,
                 int64_t out_width, int64_t out_channels, const Vec* taps,
                 int64_t c0, float* out) {
  const int64_t row = (width + 2) * kIn;
  for (int64_t oy = 0; oy < out_height; ++oy) {
    for (int64_t ox0 = 0; ox0 < out_width; ox0 += kPixels) {
      const int64_t ox = std::min(ox0, out_width - kPixels);
      Vec acc[kPixels];
      for (int64_t p = 0; p < kPixels; ++p) acc[p] = Vec{};
      for (int64_t kh = 0; kh < 3; ++kh) {
        const float* in = padded + (oy * kStride + kh) * row;
        for (int64_t kw = 0; kw < 3; ++kw) {
          const float* column = in + (ox * kStride + kw) * kIn;
          const Vec* w = taps + (kh * 3 + kw) * kIn;
          for (int64_t ic = 0; ic < kIn; ++ic) {
            const Vec tap = w[ic];
            for (int64_t p = 0; p < kPixels; ++p) {
              acc[p] = Fma(_mm256_set1_ps(column[p * kStride * kIn + ic]), tap,
                           acc[p]);
            }
          }
        }
      }
      float* o = out + (oy * out_width + ox) * out_channels + c0;
      for (int64_t p = 0; p < kPixels; ++p) Store(o + p * out_channels, acc[p]);
    }
  }
}

#pragma GCC pop_options

// A float CPU 4-d tensor whose memory is in channels-last order. ATen's
// channels-last contiguity ignores the stride of a dimension of size 1,
// so a one-channel batch counts in NCHW as well.
bool NhwcDense(const torch::Tensor& t) {
  return t.defined() && t.is_cpu() && t.layout() == torch::kStrided &&
         t.scalar_type() == torch::kFloat && t.dim() == 4 &&
         t.is_contiguous(at::MemoryFormat::ChannelsLast);
}

using OutputGroupFn = void (*)(const float*, int64_t, int64_t, int64_t, int64_t,
                               const Vec*, int64_t, float*);

// OutputGroup for a stride (1 or 2) and 1 to 8 input channels: compiled
// for each, so that its loops unroll and its accumulators stay in
// registers.
template <int64_t kStride>
OutputGroupFn OutputGroupForStride(int64_t in_channels) {
  switch (in_channels) {
    case 1:
      return OutputGroup<kStride, 1>;
    case 2:
      return OutputGroup<kStride, 2>;
    case 3:
      return OutputGroup<kStride, 3>;
    case 4:
      return OutputGroup<kStride, 4>;
    case 5:
      return OutputGroup<kStride, 5>;
    case 6:
      return OutputGroup<kStride, 6>;
    case 7:
      return OutputGroup<kStride, 7>;
    case 8:
      return OutputGroup<kStride, 8>;
  }
  TORCH_CHECK(false, "ThinConv3x3Nhwc: ", in_channels, " input channels");
}

OutputGroupFn OutputGroupFor(int64_t stride, int64_t in_channels) {
  return stride == 1 ? OutputGroupForStride<1>(in_channels)
                     : OutputGroupForStride<2>(in_channels);
}

int64_t OutSize(int64_t in, int64_t stride) { return (in - 1) / stride + 1; }

torch::Tensor Forward(const torch::Tensor& x, const torch::Tensor& weight,
                      int64_t stride) {
  const int64_t images = x.size(0), in_channels = x.size(1);
  const int64_t height = x.size(2), width = x.size(3);
  const int64_t out_channels = weight.size(0);
  const int64_t out_height = OutSize(height, stride);
  const int64_t out_width = OutSize(width, stride);
  torch::Tensor out =
      torch::empty({images, out_channels, out_height, out_width},
                   x.options().requires_grad(false).memory_format(
                       at::MemoryFormat::ChannelsLast));
  // taps[(g * 9 + kh * 3 + kw) * in_channels + ic][k]: weight of output
  // channel 8g + k.
  const torch::Tensor w = weight.contiguous();
  const float* wd = w.data_ptr<float>();
  const int64_t groups = out_channels / kLanes;
  std::vector<Vec> taps(groups * kTaps * in_channels);
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t t = 0; t < kTaps; ++t) {
      for (int64_t ic = 0; ic < in_channels; ++ic) {
        Vec& v = taps[(g * kTaps + t) * in_channels + ic];
        for (int64_t k = 0; k < kLanes; ++k) {
          v[k] = wd[((g * kLanes + k) * in_channels + ic) * kTaps + t];
        }
      }
    }
  }
  const float* in = x.data_ptr<float>();
  float* y = out.data_ptr<float>();
  const int64_t image_in = height * width * in_channels;
  const int64_t image_out = out_height * out_width * out_channels;
  const int64_t row = (width + 2) * in_channels;
  const OutputGroupFn group_fn = OutputGroupFor(stride, in_channels);
  at::parallel_for(0, images, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> padded((height + 2) * row, 0.0f);
    for (int64_t n = begin; n < end; ++n) {
      const float* image = in + n * image_in;
      for (int64_t r = 0; r < height; ++r) {
        std::memcpy(padded.data() + (r + 1) * row + in_channels,
                    image + r * width * in_channels,
                    width * in_channels * sizeof(float));
      }
      for (int64_t g = 0; g < groups; ++g) {
        const Vec* group_taps = taps.data() + g * kTaps * in_channels;
        group_fn(padded.data(), width, out_height, out_width, out_channels,
                 group_taps, g * kLanes, y + n * image_out);
      }
    }
  });
  return out;
}

class ThinConvNhwcFunction
    : public torch::autograd::Function<ThinConvNhwcFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx,
                               const torch::Tensor& x,
                               const torch::Tensor& weight, int64_t stride) {
    ctx->save_for_backward({x, weight});
    ctx->saved_data["stride"] = stride;
    return Forward(x, weight, stride);
  }

  // conv2d's own backward (ConvolutionBackward0): the same ATen call with
  // the same tensors, so the same gradients.
  static torch::autograd::variable_list backward(
      torch::autograd::AutogradContext* ctx,
      torch::autograd::variable_list grads) {
    TORCH_CHECK(!torch::GradMode::is_enabled(),
                "ThinConv3x3Nhwc has no double backward (create_graph)");
    torch::autograd::variable_list out(3);
    const torch::Tensor& g = grads[0];
    if (!g.defined()) return out;
    const auto saved = ctx->get_saved_variables();
    const int64_t stride = ctx->saved_data["stride"].toInt();
    auto [dx, dweight, dbias] = at::convolution_backward(
        g, saved[0], saved[1], /*bias_sizes=*/c10::nullopt, {stride, stride},
        {1, 1}, {1, 1}, /*transposed=*/false, {0, 0}, /*groups=*/1,
        {ctx->needs_input_grad(0), ctx->needs_input_grad(1), false});
    out[0] = dx;
    out[1] = dweight;
    return out;
  }
};

}  // namespace

bool ThinConvNhwcApplies(const torch::Tensor& x, const torch::Tensor& weight,
                         int64_t stride, int64_t padding, int64_t groups) {
  if ((stride != 1 && stride != 2) || padding != 1 || groups != 1) {
    return false;
  }
  if (!NhwcDense(x) || x.size(0) < 2 || x.size(2) < 1) return false;
  if (!weight.defined() || !weight.is_cpu() ||
      weight.layout() != torch::kStrided ||
      weight.scalar_type() != torch::kFloat || weight.dim() != 4 ||
      weight.size(2) != 3 || weight.size(3) != 3) {
    return false;
  }
  const int64_t in_channels = x.size(1), out_channels = weight.size(0);
  if (weight.size(1) != in_channels || in_channels < 1) return false;
  if (out_channels < kLanes || out_channels % kLanes != 0) return false;
  if (in_channels * out_channels > 64) return false;  // Measured: see .h.
  if (OutSize(x.size(3), stride) < kPixels) return false;
  return at::hasMKLDNN() && at::globalContext().userEnabledMkldnn() &&
         avx2::CpuSupported();
}

torch::Tensor ThinConv3x3Nhwc(const torch::Tensor& x,
                              const torch::Tensor& weight, int64_t stride) {
  TORCH_CHECK(ThinConvNhwcApplies(x, weight, stride, 1, 1),
              "ThinConv3x3Nhwc: needs a float channels-last [N>=2, C, H, W] "
              "CPU batch with 8+ output columns, a float [8k, C, 3, 3] weight "
              "with C x 8k <= 64, stride 1 or 2 and a CPU with AVX2 and FMA; "
              "got ",
              x.sizes(), " strides ", x.strides(), ", weight ", weight.sizes(),
              ", stride ", stride);
  return ThinConvNhwcFunction::apply(x, weight, stride);
}

}  // namespace mmc
