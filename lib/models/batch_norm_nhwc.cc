// Implementation of lib/models/batch_norm_nhwc.h. Compiled with
// -ffp-contract=off: every fused multiply-add below is written out, every
// other product rounds on its own, as in ATen's source.
#include "lib/models/batch_norm_nhwc.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "lib/models/avx2_floats.h"

namespace mmc {
namespace {

// ---------------------------------------------------------------------
// Row kernels over a [rows, channels] matrix (an NHWC batch), AVX2 + FMA.
// Each runs channel groups of up to 64 (8 vectors of 8 floats held in
// registers), row after row, so each channel sees its values in ATen's
// order.
#pragma GCC push_options
#pragma GCC target("avx2,fma")

using avx2::Fma;
using avx2::kLanes;
using avx2::Load;
using avx2::Relu;
using avx2::ReluGrad;
using avx2::Store;
using avx2::Vec;

constexpr int kMaxVectors = 8;

// Calls body(std::integral_constant<int, V>, c0) for each group of V
// vectors starting at channel c0 (channels a multiple of kLanes).
template <typename Body>
inline void ForGroups(int64_t channels, Body&& body) {
  for (int64_t c0 = 0; c0 < channels; c0 += kLanes * kMaxVectors) {
    switch (std::min<int64_t>(kMaxVectors, (channels - c0) / kLanes)) {
#define MMC_GROUP_CASE(V)                       \
  case V:                                       \
    body(std::integral_constant<int, V>{}, c0); \
    break;
      MMC_GROUP_CASE(1)
      MMC_GROUP_CASE(2)
      MMC_GROUP_CASE(3)
      MMC_GROUP_CASE(4)
      MMC_GROUP_CASE(5)
      MMC_GROUP_CASE(6)
      MMC_GROUP_CASE(7)
      MMC_GROUP_CASE(8)
#undef MMC_GROUP_CASE
    }
  }
}

// sum[c] += x[i][c] for rows i in [begin, end), in order.
template <int V>
void SumRows(const float* x, int64_t stride, int64_t begin, int64_t end,
             float* sum) {
  Vec acc[V];
  for (int k = 0; k < V; ++k) acc[k] = Load(sum + k * kLanes);
  for (int64_t i = begin; i < end; ++i) {
    const float* row = x + i * stride;
    for (int k = 0; k < V; ++k) acc[k] += Load(row + k * kLanes);
  }
  for (int k = 0; k < V; ++k) Store(sum + k * kLanes, acc[k]);
}

// var_sum[c] = fma(x - mean, x - mean, var_sum[c]), rows in order.
template <int V>
void SquareRows(const float* x, int64_t stride, int64_t begin, int64_t end,
                const float* mean, float* var_sum) {
  Vec acc[V], m[V];
  for (int k = 0; k < V; ++k) {
    acc[k] = Load(var_sum + k * kLanes);
    m[k] = Load(mean + k * kLanes);
  }
  for (int64_t i = begin; i < end; ++i) {
    const float* row = x + i * stride;
    for (int k = 0; k < V; ++k) {
      const Vec d = Load(row + k * kLanes) - m[k];
      acc[k] = Fma(d, d, acc[k]);
    }
  }
  for (int k = 0; k < V; ++k) Store(var_sum + k * kLanes, acc[k]);
}

// y = fma(x, alpha, beta), then ReLU if kRelu.
template <int V, bool kRelu>
void NormalizeRows(const float* x, float* y, int64_t stride, int64_t begin,
                   int64_t end, const float* alpha, const float* beta) {
  Vec a[V], b[V];
  for (int k = 0; k < V; ++k) {
    a[k] = Load(alpha + k * kLanes);
    b[k] = Load(beta + k * kLanes);
  }
  for (int64_t i = begin; i < end; ++i) {
    for (int k = 0; k < V; ++k) {
      const Vec out = Fma(Load(x + i * stride + k * kLanes), a[k], b[k]);
      Store(y + i * stride + k * kLanes, kRelu ? Relu(out) : out);
    }
  }
}

// dy = g (masked by the ReLU's output y if kRelu); sum += dy and dotp =
// fma(x - mean, dy, dotp), rows in order.
template <int V, bool kRelu>
void GradSumRows(const float* g, const float* y, const float* x, int64_t stride,
                 int64_t begin, int64_t end, const float* mean, float* sum,
                 float* dotp) {
  Vec s[V], d[V], m[V];
  for (int k = 0; k < V; ++k) {
    s[k] = Load(sum + k * kLanes);
    d[k] = Load(dotp + k * kLanes);
    m[k] = Load(mean + k * kLanes);
  }
  for (int64_t i = begin; i < end; ++i) {
    const int64_t at = i * stride;
    for (int k = 0; k < V; ++k) {
      const int64_t j = at + k * kLanes;
      const Vec dy = kRelu ? ReluGrad(Load(g + j), Load(y + j)) : Load(g + j);
      s[k] += dy;
      d[k] = Fma(Load(x + j) - m[k], dy, d[k]);
    }
  }
  for (int k = 0; k < V; ++k) {
    Store(sum + k * kLanes, s[k]);
    Store(dotp + k * kLanes, d[k]);
  }
}

// dx = fma(-(x - mean), k, dy - grad_mean) * invstd * w.
template <int V, bool kRelu>
void GradInputRows(const float* g, const float* y, const float* x, float* dx,
                   int64_t stride, int64_t begin, int64_t end,
                   const float* mean, const float* grad_mean,
                   const float* scale, const float* invstd, const float* w) {
  Vec m[V], gm[V], k_[V], is[V], wv[V];
  for (int k = 0; k < V; ++k) {
    m[k] = Load(mean + k * kLanes);
    gm[k] = Load(grad_mean + k * kLanes);
    k_[k] = Load(scale + k * kLanes);
    is[k] = Load(invstd + k * kLanes);
    wv[k] = Load(w + k * kLanes);
  }
  for (int64_t i = begin; i < end; ++i) {
    const int64_t at = i * stride;
    for (int k = 0; k < V; ++k) {
      const int64_t j = at + k * kLanes;
      const Vec dy = kRelu ? ReluGrad(Load(g + j), Load(y + j)) : Load(g + j);
      const Vec centred = Load(x + j) - m[k];
      const Vec out = Fma(-centred, k_[k], dy - gm[k]) * is[k] * wv[k];
      Store(dx + j, out);
    }
  }
}

// The row ranges of one thread, all channel groups.
void SumChunk(const float* x, int64_t channels, int64_t begin, int64_t end,
              float* sum) {
  ForGroups(channels, [&](auto v, int64_t c0) {
    SumRows<decltype(v)::value>(x + c0, channels, begin, end, sum + c0);
  });
}

void SquareChunk(const float* x, int64_t channels, int64_t begin, int64_t end,
                 const float* mean, float* var_sum) {
  ForGroups(channels, [&](auto v, int64_t c0) {
    SquareRows<decltype(v)::value>(x + c0, channels, begin, end, mean + c0,
                                   var_sum + c0);
  });
}

void NormalizeChunk(const float* x, float* y, int64_t channels, int64_t begin,
                    int64_t end, const float* alpha, const float* beta,
                    bool relu) {
  ForGroups(channels, [&](auto v, int64_t c0) {
    constexpr int V = decltype(v)::value;
    if (relu) {
      NormalizeRows<V, true>(x + c0, y + c0, channels, begin, end, alpha + c0,
                             beta + c0);
    } else {
      NormalizeRows<V, false>(x + c0, y + c0, channels, begin, end, alpha + c0,
                              beta + c0);
    }
  });
}

void GradSumChunk(const float* g, const float* y, const float* x,
                  int64_t channels, int64_t begin, int64_t end,
                  const float* mean, float* sum, float* dotp, bool relu) {
  ForGroups(channels, [&](auto v, int64_t c0) {
    constexpr int V = decltype(v)::value;
    if (relu) {
      GradSumRows<V, true>(g + c0, y + c0, x + c0, channels, begin, end,
                           mean + c0, sum + c0, dotp + c0);
    } else {
      GradSumRows<V, false>(g + c0, nullptr, x + c0, channels, begin, end,
                            mean + c0, sum + c0, dotp + c0);
    }
  });
}

void GradInputChunk(const float* g, const float* y, const float* x, float* dx,
                    int64_t channels, int64_t begin, int64_t end,
                    const float* mean, const float* grad_mean,
                    const float* scale, const float* invstd, const float* w,
                    bool relu) {
  ForGroups(channels, [&](auto v, int64_t c0) {
    constexpr int V = decltype(v)::value;
    if (relu) {
      GradInputRows<V, true>(g + c0, y + c0, x + c0, dx + c0, channels, begin,
                             end, mean + c0, grad_mean + c0, scale + c0,
                             invstd + c0, w + c0);
    } else {
      GradInputRows<V, false>(g + c0, nullptr, x + c0, dx + c0, channels, begin,
                              end, mean + c0, grad_mean + c0, scale + c0,
                              invstd + c0, w + c0);
    }
  });
}

#pragma GCC pop_options
// ---------------------------------------------------------------------

bool CpuRunsFusedAten() {
  static const bool fused = [] {
    // ATen's own choice (DispatchStub.cpp): ATEN_CPU_CAPABILITY=default
    // forces its plain kernels, which round x * a + b twice.
    const char* forced = std::getenv("ATEN_CPU_CAPABILITY");
    if (forced != nullptr && std::string(forced) == "default") return false;
    return avx2::CpuSupported();
  }();
  return fused;
}

bool FloatCpu(const torch::Tensor& t) {
  return t.defined() && t.is_cpu() && t.layout() == torch::kStrided &&
         t.scalar_type() == torch::kFloat && !t.is_mkldnn();
}

bool ChannelVector(const torch::Tensor& t, int64_t channels) {
  return FloatCpu(t) && t.dim() == 1 && t.size(0) == channels &&
         t.is_contiguous();
}

// The layout ATen gives its output and gradient: NCHW if x is NCHW-
// contiguous (the 1x1-pixel case), else channels-last.
at::MemoryFormat OutputFormat(const torch::Tensor& x) {
  return x.is_contiguous() ? at::MemoryFormat::Contiguous
                           : at::MemoryFormat::ChannelsLast;
}

// Sums of x's rows [rows, channels] as ATen's channels-last kernels take
// them: float partial sums per at::parallel_for chunk (its thread's buffer
// row of `width` sums: one or more per channel), then the threads' rows
// added in double, in thread order. `chunk` fills one buffer row.
template <typename Chunk>
std::vector<double> ThreadSums(int64_t rows, int64_t width,
                               std::vector<float>* buffer, Chunk&& chunk) {
  const int threads = at::get_num_threads();
  buffer->assign(static_cast<size_t>(threads) * width, 0.0f);
  at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
    const int tid = at::get_thread_num();
    TORCH_CHECK(tid < threads, "BatchNormNhwc: thread ", tid, " of ", threads);
    chunk(begin, end, buffer->data() + static_cast<size_t>(tid) * width);
  });
  std::vector<double> total(width, 0.0);
  for (int t = 0; t < threads; ++t) {
    const float* row = buffer->data() + static_cast<size_t>(t) * width;
    for (int64_t c = 0; c < width; ++c) total[c] += row[c];
  }
  return total;
}

struct ForwardResult {
  torch::Tensor y, mean, invstd;
};

ForwardResult Forward(const torch::Tensor& x, const torch::Tensor& weight,
                      const torch::Tensor& bias,
                      const torch::Tensor& running_mean,
                      const torch::Tensor& running_var, double momentum,
                      double eps, bool relu) {
  const int64_t channels = x.size(1);
  const int64_t rows = x.numel() / channels;
  const float* in = x.data_ptr<float>();
  ForwardResult out;
  out.mean = torch::empty({channels}, x.options());
  out.invstd = torch::empty({channels}, x.options());
  float* mean = out.mean.data_ptr<float>();
  float* invstd = out.invstd.data_ptr<float>();

  std::vector<float> buffer;
  const std::vector<double> sum = ThreadSums(
      rows, channels, &buffer, [&](int64_t begin, int64_t end, float* row) {
        SumChunk(in, channels, begin, end, row);
      });
  for (int64_t c = 0; c < channels; ++c) {
    mean[c] = static_cast<float>(sum[c] / rows);
  }
  const std::vector<double> squares = ThreadSums(
      rows, channels, &buffer, [&](int64_t begin, int64_t end, float* row) {
        SquareChunk(in, channels, begin, end, mean, row);
      });

  // Normalization.cpp, batch_norm_cpu_update_stats_template with InvStd,
  // types as there: float var_sum, float momentum, double accumulators.
  const float momentum_f = static_cast<float>(momentum);
  float* rm = running_mean.defined() ? running_mean.data_ptr<float>() : nullptr;
  float* rv = running_var.defined() ? running_var.data_ptr<float>() : nullptr;
  for (int64_t c = 0; c < channels; ++c) {
    const float var_sum = static_cast<float>(squares[c]);
    const double var = var_sum / rows;  // float / int64: a float quotient.
    invstd[c] = (var != 0 || eps != 0)
                    ? static_cast<float>(1.0 / std::sqrt(var + eps))
                    : 0.0f;
    if (rm != nullptr) {
      rm[c] = momentum_f * mean[c] + (1 - momentum_f) * rm[c];
    }
    if (rv != nullptr) {
      const double unbiased_var = var_sum / (rows - 1);
      rv[c] = static_cast<float>(momentum_f * unbiased_var +
                                 (1 - momentum_f) * rv[c]);
    }
  }

  // batch_norm_cpu_collect_linear_and_constant_terms: alpha = invstd * w,
  // beta = b - mean * alpha (fused in ATen's AVX2/AVX-512 builds).
  const float* w = weight.data_ptr<float>();
  const float* b = bias.data_ptr<float>();
  std::vector<float> alpha(channels), beta(channels);
  for (int64_t c = 0; c < channels; ++c) {
    alpha[c] = invstd[c] * w[c];
    beta[c] = std::fma(-mean[c], alpha[c], b[c]);
  }
  out.y = torch::empty_like(x, OutputFormat(x));
  float* y = out.y.data_ptr<float>();
  at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
    NormalizeChunk(in, y, channels, begin, end, alpha.data(), beta.data(),
                   relu);
  });
  return out;
}

struct Gradients {
  torch::Tensor dx, dweight, dbias;
};

// batch_norm_cpu_backward_channels_last_impl (train), with the ReLU's
// gradient folded in when `relu` (y is then the ReLU's output).
Gradients Backward(const torch::Tensor& g, const torch::Tensor& x,
                   const torch::Tensor& weight, const torch::Tensor& y,
                   const torch::Tensor& mean_t, const torch::Tensor& invstd_t,
                   bool relu, bool need_dx) {
  const int64_t channels = x.size(1);
  const int64_t rows = x.numel() / channels;
  const float* gp = g.data_ptr<float>();
  const float* yp = relu ? y.data_ptr<float>() : nullptr;
  const float* xp = x.data_ptr<float>();
  const float* mean = mean_t.data_ptr<float>();
  const float* invstd = invstd_t.data_ptr<float>();

  // One pass for both sums, as ATen: per thread, the channels' sums, then
  // their dot products.
  std::vector<float> buffer;
  const std::vector<double> sums = ThreadSums(
      rows, 2 * channels, &buffer, [&](int64_t begin, int64_t end, float* row) {
        GradSumChunk(gp, yp, xp, channels, begin, end, mean, row,
                     row + channels, relu);
      });
  std::vector<float> sum(channels), dotp(channels);
  for (int64_t c = 0; c < channels; ++c) {
    sum[c] = static_cast<float>(sums[c]);
    dotp[c] = static_cast<float>(sums[channels + c]);
  }

  Gradients out;
  const float* w = weight.data_ptr<float>();
  if (need_dx) {
    const float n = static_cast<float>(rows);  // Vec(N): N as a float.
    std::vector<float> grad_mean(channels), scale(channels);
    for (int64_t c = 0; c < channels; ++c) {
      scale[c] = dotp[c] * invstd[c] * invstd[c] / n;
      grad_mean[c] = sum[c] / n;
    }
    out.dx = torch::empty_like(x, OutputFormat(x));
    float* dx = out.dx.data_ptr<float>();
    at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
      GradInputChunk(gp, yp, xp, dx, channels, begin, end, mean,
                     grad_mean.data(), scale.data(), invstd, w, relu);
    });
  }
  out.dweight = torch::empty({channels}, x.options());
  out.dbias = torch::empty({channels}, x.options());
  float* dw = out.dweight.data_ptr<float>();
  float* db = out.dbias.data_ptr<float>();
  for (int64_t c = 0; c < channels; ++c) {
    dw[c] = dotp[c] * invstd[c];
    db[c] = sum[c];
  }
  return out;
}

// The running statistics, passed to the autograd function outside its
// tensor arguments: they take no gradient, and LibTorch 1.13's
// Function::apply refuses undefined tensor arguments (kBatchStats has
// none).
struct RunningStats {
  torch::Tensor mean, var;
};

class BatchNormNhwcFunction
    : public torch::autograd::Function<BatchNormNhwcFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx,
                               const torch::Tensor& x,
                               const torch::Tensor& weight,
                               const torch::Tensor& bias,
                               const RunningStats& running, double momentum,
                               double eps, bool relu) {
    ForwardResult f = Forward(x, weight, bias, running.mean, running.var,
                              momentum, eps, relu);
    ctx->save_for_backward(
        {x, weight, f.mean, f.invstd, relu ? f.y : torch::Tensor()});
    ctx->saved_data["eps"] = eps;
    ctx->saved_data["relu"] = relu;
    return f.y;
  }

  static torch::autograd::variable_list backward(
      torch::autograd::AutogradContext* ctx,
      torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& weight = saved[1];
    const torch::Tensor& mean = saved[2];
    const torch::Tensor& invstd = saved[3];
    const torch::Tensor& y = saved[4];
    const bool relu = ctx->saved_data["relu"].toBool();
    const double eps = ctx->saved_data["eps"].toDouble();
    // Grad mode is on here only under create_graph: this backward builds
    // no graph, so a second derivative would be silently wrong.
    TORCH_CHECK(!torch::GradMode::is_enabled(),
                "BatchNormNhwc has no double backward (create_graph); train "
                "with ForwardOptions::channels_last = false for that");
    const torch::Tensor& g = grads[0];
    torch::autograd::variable_list out(7);
    if (!g.defined()) return out;
    const bool need_dx = ctx->needs_input_grad(0);
    // The kernel reads g with x's layout; ATen takes any other gradient
    // through its own ops, and so do we.
    if (!FloatCpu(g) || g.strides() != x.strides() || g.sizes() != x.sizes()) {
      const torch::Tensor dy = relu ? torch::threshold_backward(g, y, 0) : g;
      auto [dx, dw, db] = torch::native_batch_norm_backward(
          dy, x, weight, {}, {}, mean, invstd, /*train=*/true, eps,
          {need_dx, ctx->needs_input_grad(1), ctx->needs_input_grad(2)});
      out[0] = dx;
      out[1] = dw;
      out[2] = db;
      return out;
    }
    Gradients grad = Backward(g, x, weight, y, mean, invstd, relu, need_dx);
    out[0] = std::move(grad.dx);
    out[1] = std::move(grad.dweight);
    out[2] = std::move(grad.dbias);
    return out;
  }
};

}  // namespace

bool BatchNormNhwcApplies(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias,
                          const torch::Tensor& running_mean,
                          const torch::Tensor& running_var) {
  if (!CpuRunsFusedAten() || !FloatCpu(x) || x.dim() != 4) return false;
  const int64_t channels = x.size(1);
  if (channels == 0 || channels % kLanes != 0 || x.numel() == 0) return false;
  if (!x.is_contiguous(at::MemoryFormat::ChannelsLast)) return false;
  // ATen sums an NCHW-contiguous x in its channels-last kernel only when
  // each plane is one pixel.
  if (x.is_contiguous() && x.size(2) * x.size(3) != 1) return false;
  if (!ChannelVector(weight, channels) || !ChannelVector(bias, channels)) {
    return false;
  }
  if (running_mean.defined() != running_var.defined()) return false;
  return !running_mean.defined() || (ChannelVector(running_mean, channels) &&
                                     ChannelVector(running_var, channels));
}

torch::Tensor BatchNormNhwc(const torch::Tensor& x, const torch::Tensor& weight,
                            const torch::Tensor& bias,
                            const torch::Tensor& running_mean,
                            const torch::Tensor& running_var, double momentum,
                            double eps, bool relu) {
  TORCH_CHECK(BatchNormNhwcApplies(x, weight, bias, running_mean, running_var),
              "BatchNormNhwc: needs a float channels-last CPU input with a "
              "multiple of 8 channels, float [C] parameters and statistics, "
              "and AVX2 + FMA; got ",
              x.sizes(), " ", x.scalar_type(), " strides ", x.strides());
  return BatchNormNhwcFunction::apply(x, weight, bias,
                                      RunningStats{running_mean, running_var},
                                      momentum, eps, relu);
}

}  // namespace mmc
