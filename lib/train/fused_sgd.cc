// Implementation of lib/train/fused_sgd.h. Compiled with -ffp-contract=off:
// the fused multiply-adds below are the only ones, as in ATen's kernels.
#include "lib/train/fused_sgd.h"

#include <cstdint>

#include "lib/models/avx2_floats.h"

namespace mmc {
namespace {

#pragma GCC push_options
#pragma GCC target("avx2,fma")

using avx2::Fma;
using avx2::kLanes;
using avx2::Load;
using avx2::Store;
using avx2::Vec;

// mode: 0 no momentum, 1 first step (buf = d), 2 later steps.
template <int kMode, bool kDecay>
void Update(float* p, float* g, float* buf, int64_t n, float lr_neg, float m,
            float wd) {
  const Vec v_lr = Vec{} + lr_neg, v_m = Vec{} + m, v_wd = Vec{} + wd;
  const Vec one = Vec{} + 1.0f;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Vec vp = Load(p + i);
    Vec d = Load(g + i);
    if (kDecay) d = Fma(vp, v_wd, d);
    Vec step = d;
    if (kMode == 1) Store(buf + i, d);
    if (kMode == 2) {
      // buf.mul_(m) rounds, then buf.add_(d) (alpha 1: fma(d, 1, buf)).
      step = Fma(d, one, Load(buf + i) * v_m);
      Store(buf + i, step);
    }
    Store(p + i, Fma(step, v_lr, vp));
    Store(g + i, Vec{});
  }
  for (; i < n; ++i) {
    float d = g[i];
    if (kDecay) d = __builtin_fmaf(p[i], wd, d);
    float step = d;
    if (kMode == 1) buf[i] = d;
    if (kMode == 2) {
      const float scaled = buf[i] * m;
      step = __builtin_fmaf(d, 1.0f, scaled);
      buf[i] = step;
    }
    p[i] = __builtin_fmaf(step, lr_neg, p[i]);
    g[i] = 0.0f;
  }
}

template <int kMode>
void UpdateWithDecay(bool decay, float* p, float* g, float* buf, int64_t n,
                     float lr_neg, float m, float wd) {
  if (decay) {
    Update<kMode, true>(p, g, buf, n, lr_neg, m, wd);
  } else {
    Update<kMode, false>(p, g, buf, n, lr_neg, m, wd);
  }
}

#pragma GCC pop_options

bool FloatCpuContiguous(const torch::Tensor& t) {
  return t.defined() && t.device().is_cpu() && !t.is_mkldnn() &&
         t.layout() == torch::kStrided && t.scalar_type() == torch::kFloat &&
         t.is_contiguous();
}

}  // namespace

bool FusedSgdApplies(const torch::Tensor& param, const torch::Tensor& grad,
                     const torch::Tensor& buf) {
  if (!FloatCpuContiguous(param) || !FloatCpuContiguous(grad) ||
      grad.sizes() != param.sizes() || !avx2::CpuSupported()) {
    return false;
  }
  return !buf.defined() ||
         (FloatCpuContiguous(buf) && buf.sizes() == param.sizes());
}

void FusedSgdStep(torch::Tensor& param, torch::Tensor& grad, torch::Tensor& buf,
                  bool first, double lr, double momentum, double weight_decay) {
  TORCH_CHECK(FusedSgdApplies(param, grad, momentum != 0.0 ? buf : grad),
              "FusedSgdStep: tensors it does not apply to");
  // ATen casts a Scalar to the tensor's type before using it.
  const float lr_neg = static_cast<float>(-lr);
  const float m = static_cast<float>(momentum);
  const float wd = static_cast<float>(weight_decay);
  float* p = param.data_ptr<float>();
  float* g = grad.data_ptr<float>();
  float* b = momentum != 0.0 ? buf.data_ptr<float>() : nullptr;
  const int64_t n = param.numel();
  const bool decay = weight_decay != 0.0;
  if (momentum == 0.0) {
    UpdateWithDecay<0>(decay, p, g, b, n, lr_neg, m, wd);
  } else if (first) {
    UpdateWithDecay<1>(decay, p, g, b, n, lr_neg, m, wd);
  } else {
    UpdateWithDecay<2>(decay, p, g, b, n, lr_neg, m, wd);
  }
  param.unsafeGetTensorImpl()->bump_version();
  grad.unsafeGetTensorImpl()->bump_version();
  if (b != nullptr) buf.unsafeGetTensorImpl()->bump_version();
}

}  // namespace mmc
