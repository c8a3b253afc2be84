// Implementation of lib/models/conv_bn.h: the conv-BN building blocks,
// mirroring modules.h op for op.
#include "lib/models/conv_bn.h"

#include <ATen/Context.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include "lib/models/batch_norm_kernel.h"
#include "lib/models/batch_norm_nhwc.h"
#include "lib/models/nhwc_copy.h"
#include "lib/models/one_channel_conv.h"
#include "lib/models/thin_conv_nhwc.h"

namespace mmc {
namespace {

constexpr double kBnMomentum = 0.1;  // torch::nn::BatchNorm2d's default.

torch::Tensor ApplyBatchNorm(const ParamMap& p, const ConvBnNames& n,
                             const torch::Tensor& x,
                             const ForwardOptions& options) {
  const bool cudnn = at::globalContext().userEnabledCuDNN();
  const torch::Tensor& weight = At(p, n.bn_weight);
  const torch::Tensor& bias = At(p, n.bn_bias);
  switch (options.bn) {
    case BnMode::kEval:
      return torch::batch_norm(x, weight, bias, At(p, n.bn_mean),
                               At(p, n.bn_var), false, kBnMomentum, kBnEps,
                               cudnn);
    case BnMode::kTrain:
      return torch::batch_norm(x, weight, bias, At(p, n.bn_mean),
                               At(p, n.bn_var), true, kBnMomentum, kBnEps,
                               cudnn);
    case BnMode::kAccumulate: {
      TORCH_CHECK(options.accumulator != nullptr,
                  "BnMode::kAccumulate needs an accumulator");
      torch::NoGradGuard no_grad;
      // The kernel's own batch statistics: mean and 1/sqrt(var + eps), var
      // biased, computed with double accumulation on the CPU; ATen's
      // numbers, from batch_norm_kernel.h's faster kernel where it applies.
      torch::Tensor y, batch_mean, batch_invstd;
      if (BatchStatsKernelApplies(x, weight, bias)) {
        BatchStatsNorm norm = BatchNormWithBatchStats(
            x.detach(), weight.detach(), bias.detach(), kBnEps);
        y = std::move(norm.output);
        batch_mean = std::move(norm.mean);
        batch_invstd = std::move(norm.invstd);
      } else {
        std::tie(y, batch_mean, batch_invstd) =
            torch::native_batch_norm(x.detach(), weight.detach(), bias.detach(),
                                     {}, {}, true, kBnMomentum, kBnEps);
      }
      const double count =
          static_cast<double>(x.size(0) * x.size(2) * x.size(3));
      torch::Tensor mean = batch_mean.to(torch::kDouble);
      torch::Tensor var = batch_invstd.to(torch::kDouble)
                              .square()
                              .reciprocal()
                              .sub_(kBnEps)
                              .clamp_min_(0.0);
      BnAccumulator::Sums& sums = options.accumulator->by_layer[n.bn];
      torch::Tensor s = mean * count;
      torch::Tensor sq = (var + mean.square()) * count;
      if (!sums.sum.defined()) {
        sums.sum = s;
        sums.sum_sq = sq;
      } else {
        sums.sum += s;
        sums.sum_sq += sq;
      }
      sums.count += x.size(0) * x.size(2) * x.size(3);
      if (!x.requires_grad() && !weight.requires_grad() &&
          !bias.requires_grad()) {
        return y;
      }
      [[fallthrough]];
    }
    case BnMode::kBatchStats:
      return torch::batch_norm(x, weight, bias, torch::Tensor(),
                               torch::Tensor(), true, kBnMomentum, kBnEps,
                               cudnn);
    case BnMode::kFolded:
      break;
  }
  TORCH_CHECK(false, "ApplyBatchNorm: BnMode::kFolded has no BatchNorm");
  return x;
}

// Training-mode BatchNorm of a channels-last batch by batch_norm_nhwc.h's
// kernel (ATen's numbers, with the ReLU fused if `relu`), or an undefined
// tensor where it does not apply.
torch::Tensor FusedBatchNorm(const ParamMap& p, const ConvBnNames& n,
                             const torch::Tensor& x,
                             const ForwardOptions& options, bool relu) {
  if (options.bn != BnMode::kTrain && options.bn != BnMode::kBatchStats) {
    return torch::Tensor();
  }
  const torch::Tensor& weight = At(p, n.bn_weight);
  const torch::Tensor& bias = At(p, n.bn_bias);
  const bool running = options.bn == BnMode::kTrain;
  const torch::Tensor mean = running ? At(p, n.bn_mean) : torch::Tensor();
  const torch::Tensor var = running ? At(p, n.bn_var) : torch::Tensor();
  if (!BatchNormNhwcApplies(x, weight, bias, mean, var)) return torch::Tensor();
  return BatchNormNhwc(x, weight, bias, mean, var, kBnMomentum, kBnEps, relu);
}

// oneDNN's blocked layout pays from this many channels (per stacked
// network) on; a thinner activation padded to a 16-channel block costs
// more than its reorders (measured: VGG-13 x1/8's 1->8 conv on 28x28 is
// ~10x slower reading its input blocked).
constexpr int64_t kMkldnnMinChannels = 16;

// Training layout (ForwardOptions::channels_last). Measured with
// //benchmarks:train_step_benchmark at one thread (TRAIN_STEP_THREADS=1, the
// quick tier's setting), VGG-13 x1/8 on 1x28x28, batch 128, 2-core AMD EPYC
// (issue 15): NCHW 22.1-23.2 ms per step (conv backward 9.5 ms, BatchNorm
// forward + backward 7.9 ms of it); NHWC 17.4-18.4 ms (conv backward 6.9,
// BatchNorm 3.8). NHWC convs alone, with layer 0's output left NCHW (its
// 1-channel input decides oneDNN's layout), were no faster: that layer's
// ReLU backward then mixed layouts and took 4.4 ms, hence the explicit
// conversion of every conv output. Not for the BN reset (kAccumulate):
// ATen's NHWC kernel sums the batch statistics in float, its NCHW kernel in
// double, and the reset's statistics are a measurement: with an NHWC reset
// (165-167 ms for 2,500 images, against 189-212 ms NCHW) the path losses
// moved up to 8e-4 nats and accuracies up to 0.12 points away from the
// PyTorch reference's (benchmarks/compare.sh), against ~1e-6 and 0 NCHW.
constexpr auto kNhwc = at::MemoryFormat::ChannelsLast;

// x.contiguous(kNhwc), by lib/models/nhwc_copy.h's faster copy where it
// applies (the same values and gradient): layer 0's NCHW output and every
// conv weight, each training step.
torch::Tensor ToNhwc(const torch::Tensor& x) {
  return NhwcCopyApplies(x) ? NhwcCopy(x) : x.contiguous(kNhwc);
}

// A one-channel NCHW-contiguous batch restrided as channels-last: the same
// memory (one channel has one order), but ATen's layout inference then
// hands oneDNN an NHWC input, whose output comes back NHWC. Training's
// layer 0 then skips oneDNN's padded 16-channel output, its reorder to
// NCHW and our copy to NHWC, and in the backward the gradient's copy to
// NCHW and reorder: VGG-13 x1/8's step 12.1-12.4 -> 11.9 ms at one thread
// (train_step_benchmark, issue 15), the same numbers (the smoke paper's
// 1,313, each equal).
torch::Tensor OneChannelAsNhwc(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 1 || !x.is_contiguous()) return x;
  return x.as_strided(x.sizes(), {x.size(2) * x.size(3), 1, x.size(3), 1});
}

bool ChannelsLastPass(const torch::Tensor& x, const ForwardOptions& options) {
  return options.channels_last && x.is_cpu() && !x.is_mkldnn() &&
         (options.bn == BnMode::kTrain || options.bn == BnMode::kBatchStats);
}

// Conv (grouped over the stacked networks unless `first`, whose input is
// the shared image) then BatchNorm, then ReLU if `relu`: fused into the
// BatchNorm where batch_norm_nhwc.h's kernel applies (training, channels-
// last), in place after it otherwise.
torch::Tensor ConvBn(const ParamMap& p, const ConvBnNames& n,
                     const torch::Tensor& x, const ForwardOptions& options,
                     bool first, bool relu) {
  const int64_t groups = first ? 1 : options.stacked;
  if (x.is_mkldnn()) {
    torch::Tensor y = torch::mkldnn_convolution(
        x, At(p, n.weight), At(p, n.bias), {n.kernel / 2, n.kernel / 2},
        {n.stride, n.stride}, {1, 1}, groups);
    return relu ? Relu(y) : y;
  }
  const torch::Tensor& weight = At(p, n.weight);
  const int64_t padding = n.kernel / 2;
  if (options.bn == BnMode::kFolded) {
    const torch::Tensor& bias = At(p, n.bias);
    if (first && OneChannelConvApplies(x, weight, bias, n.stride, padding)) {
      return OneChannelConv3x3(x, weight, bias, relu);
    }
    torch::Tensor y = torch::conv2d(x, weight, bias, {n.stride, n.stride},
                                    {padding, padding}, {1, 1}, groups);
    return relu ? Relu(y) : y;
  }
  const bool nhwc = ChannelsLastPass(x, options);
  const torch::Tensor conv_x = nhwc ? OneChannelAsNhwc(x) : x;
  torch::Tensor y;
  if (first && !nhwc &&
      OneChannelConvApplies(x, weight, torch::Tensor(), n.stride, padding)) {
    y = OneChannelConv3x3(x, weight, torch::Tensor(), /*relu=*/false);
  } else if (nhwc &&
             ThinConvNhwcApplies(conv_x, weight, n.stride, padding, groups)) {
    y = ThinConv3x3Nhwc(conv_x, ToNhwc(weight), n.stride);
  } else {
    y = torch::conv2d(conv_x, nhwc ? ToNhwc(weight) : weight, torch::Tensor(),
                      {n.stride, n.stride}, {padding, padding}, {1, 1}, groups);
  }
  // A no-op where the conv's output is channels-last already (layer 0's,
  // whose one-channel input OneChannelAsNhwc restrides).
  if (nhwc) y = ToNhwc(y);
  torch::Tensor fused = FusedBatchNorm(p, n, y, options, relu);
  if (fused.defined()) return fused;
  torch::Tensor out = ApplyBatchNorm(p, n, y, options);
  return relu ? Relu(out) : out;
}

}  // namespace

ConvBnNames MakeConvBn(const std::string& prefix, int64_t in, int64_t out,
                       int64_t kernel, int64_t stride) {
  ConvBnNames n;
  n.prefix = prefix;
  n.weight = prefix + ".conv.weight";
  n.bias = prefix + ".conv.bias";
  n.bn = prefix + ".bn";
  n.bn_weight = prefix + ".bn.weight";
  n.bn_bias = prefix + ".bn.bias";
  n.bn_mean = prefix + ".bn.running_mean";
  n.bn_var = prefix + ".bn.running_var";
  n.in = in;
  n.out = out;
  n.kernel = kernel;
  n.stride = stride;
  return n;
}

const torch::Tensor& At(const ParamMap& params, const std::string& name) {
  auto it = params.find(name);
  TORCH_CHECK(it != params.end(), "parameter map has no entry ", name);
  return it->second;
}

// ReLU works in place on its fresh input (a BN, conv or residual-add
// output that nothing else holds): one tensor less per layer. Under
// autograd too: neither BatchNorm's nor the add's backward reads its
// output, and ReLU's reads its own result, as out of place
// (threshold_backward(grad, result, 0)): the same numbers.
torch::Tensor Relu(torch::Tensor x) { return x.relu_(); }

torch::Tensor ConvBnForward(const ParamMap& p, const ConvBnNames& n,
                            const torch::Tensor& x,
                            const ForwardOptions& options, bool first) {
  return ConvBn(p, n, x, options, first, /*relu=*/false);
}

torch::Tensor ConvBnReluForward(const ParamMap& p, const ConvBnNames& n,
                                const torch::Tensor& x,
                                const ForwardOptions& options, bool first) {
  return ConvBn(p, n, x, options, first, /*relu=*/true);
}

// Without autograd the residual add works in place too.
torch::Tensor Add(torch::Tensor fresh, const torch::Tensor& other) {
  return torch::GradMode::is_enabled() ? fresh + other : fresh.add_(other);
}

// x as a oneDNN tensor if options.mkldnn asks for it and the conv reading
// it has kMkldnnMinChannels outputs: that conv's output then stays in
// oneDNN's blocked layout (for every later layer too). An input of fewer
// channels goes as a plain-format (NCHW order) oneDNN tensor, which oneDNN
// reads with the kernel it runs on the dense tensor itself, so the numbers
// are the same bit for bit (model_test's MkldnnLayoutChangesNoNumber), but
// the output is not reordered back to NCHW, copied into a oneDNN tensor
// and reordered to the blocked layout again by the next conv: for VGG-13
// x1/8's 8->16 conv three passes over a 500x16x14x14 batch against one
// copy of its 8-channel input (path_eval_benchmark's eval point, 1 thread,
// issue 15). A one-channel input stays dense for OneChannelConv3x3.
torch::Tensor LayoutFor(const torch::Tensor& x, const ConvBnNames& reader,
                        const ForwardOptions& options) {
  if (!options.mkldnn || x.is_mkldnn() || reader.out < kMkldnnMinChannels ||
      reader.in == 1) {
    return x;
  }
  TORCH_CHECK(options.bn == BnMode::kFolded,
              "ForwardOptions::mkldnn needs BnMode::kFolded");
  return x.contiguous().to_mkldnn();
}

// Global average pooling and the head; S independent heads when stacked.
ForwardOutput PoolAndHead(const ParamMap& p, const torch::Tensor& x,
                          const ForwardOptions& options) {
  ForwardOutput out;
  torch::Tensor features =
      x.is_mkldnn()
          ? torch::adaptive_avg_pool2d(x, {1, 1}).to_dense().flatten(1)
          : x.mean({2, 3});
  const torch::Tensor& weight = At(p, "head.weight");
  const torch::Tensor& bias = At(p, "head.bias");
  const int64_t s = options.stacked;
  if (s == 1) {
    out.features = features;
    out.logits = torch::linear(features, weight, bias);
    return out;
  }
  const int64_t n = x.size(0);
  const int64_t k = weight.size(0) / s;
  out.features = features.view({n, s, -1});
  // [S, N, C] x [S, C, K] -> [S, N, K] -> [N, S, K].
  out.logits =
      torch::baddbmm(bias.view({s, 1, k}), out.features.transpose(0, 1),
                     weight.view({s, k, -1}).transpose(1, 2))
          .transpose(0, 1);
  return out;
}

void Emit(const ForwardOptions& options, const std::string& point,
          const torch::Tensor& value) {
  if (options.sink != nullptr) (*options.sink)(point, value);
}

// 2 * multiply-adds of a conv on an input of h x w (updates h, w).
double ConvFlops(const ConvBnNames& n, int64_t* h, int64_t* w) {
  *h = (*h + 2 * (n.kernel / 2) - n.kernel) / n.stride + 1;
  *w = (*w + 2 * (n.kernel / 2) - n.kernel) / n.stride + 1;
  return 2.0 * n.in * n.out * n.kernel * n.kernel * (*h) * (*w);
}

void AddConvBnAxes(const ConvBnNames& n, PermutationGroup* g) {
  g->axes.push_back({n.weight, 0});
  g->axes.push_back({n.bn_weight, 0});
  g->axes.push_back({n.bn_bias, 0});
  g->axes.push_back({n.bn_mean, 0});
  g->axes.push_back({n.bn_var, 0});
}

int64_t ScaledChannels(int64_t channels, double width) {
  return std::max<int64_t>(1, std::llround(channels * width));
}

}  // namespace mmc
