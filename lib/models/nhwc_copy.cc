// Implementation of lib/models/nhwc_copy.h.
#include "lib/models/nhwc_copy.h"

#include <ATen/Parallel.h>

#include <algorithm>

namespace mmc {
namespace {

// Pixels per block: a block reads kBlock contiguous values of each of the
// C planes and writes kBlock * C contiguous values.
constexpr int64_t kBlock = 16;

// out[n][p][c] = in[n][c][p] for one image's planes (c < channels, p <
// pixels).
void TransposeImage(const float* in, float* out, int64_t channels,
                    int64_t pixels) {
  int64_t p0 = 0;
  for (; p0 + kBlock <= pixels; p0 += kBlock) {
    float* o = out + p0 * channels;
    for (int64_t c = 0; c < channels; ++c) {
      const float* i = in + c * pixels + p0;
      for (int64_t k = 0; k < kBlock; ++k) o[k * channels + c] = i[k];
    }
  }
  for (int64_t p = p0; p < pixels; ++p) {
    for (int64_t c = 0; c < channels; ++c) {
      out[p * channels + c] = in[c * pixels + p];
    }
  }
}

torch::Tensor CopyToNhwc(const torch::Tensor& x) {
  torch::Tensor out = torch::empty(
      x.sizes(), x.options().memory_format(at::MemoryFormat::ChannelsLast));
  const int64_t images = x.size(0), channels = x.size(1);
  const int64_t pixels = x.size(2) * x.size(3);
  const float* in = x.data_ptr<float>();
  float* o = out.data_ptr<float>();
  at::parallel_for(0, images, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      TransposeImage(in + n * channels * pixels, o + n * channels * pixels,
                     channels, pixels);
    }
  });
  return out;
}

class NhwcCopyFunction : public torch::autograd::Function<NhwcCopyFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext*,
                               const torch::Tensor& x) {
    return CopyToNhwc(x);
  }
  static torch::autograd::tensor_list backward(
      torch::autograd::AutogradContext*, torch::autograd::tensor_list grads) {
    return {grads[0]};
  }
};

}  // namespace

bool NhwcCopyApplies(const torch::Tensor& x) {
  return x.defined() && x.is_cpu() && !x.is_mkldnn() &&
         x.scalar_type() == torch::kFloat && x.dim() == 4 &&
         x.is_contiguous() && !x.is_contiguous(at::MemoryFormat::ChannelsLast);
}

torch::Tensor NhwcCopy(const torch::Tensor& x) {
  TORCH_CHECK(NhwcCopyApplies(x),
              "NhwcCopy: needs a float CPU NCHW-contiguous 4-d tensor that "
              "is not channels-last already, got ",
              x.sizes(), " ", x.scalar_type(), " strides ", x.strides());
  if (x.requires_grad() && torch::GradMode::is_enabled()) {
    return NhwcCopyFunction::apply(x);
  }
  return CopyToNhwc(x);
}

}  // namespace mmc
