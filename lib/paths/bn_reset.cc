// Implementation of lib/paths/bn_reset.h.
#include "lib/paths/bn_reset.h"

#include <torch/torch.h>

namespace mmc {

void ResetBatchNorm(const Model& model, const torch::Tensor& data,
                    int64_t batch_size, EvalSpec::BnResetMode mode,
                    ParamMap* params, int64_t stacked) {
  torch::NoGradGuard no_grad;
  const int64_t n = data.size(0);
  if (mode == EvalSpec::EMA) {
    // Detached copies so that in-place updates never touch shared tensors.
    for (auto& [name, t] : *params) {
      if (IsBuffer(name)) t = t.detach().clone();
    }
    ForwardOptions options;
    options.bn = BnMode::kTrain;
    // NCHW: ATen sums the batch statistics in double there, in float in
    // its NHWC kernel (ForwardOptions::channels_last).
    options.channels_last = false;
    options.stacked = stacked;
    for (int64_t start = 0; start + 1 < n; start += batch_size) {
      model.Forward(*params,
                    data.slice(0, start, std::min(n, start + batch_size)),
                    options);
    }
    return;
  }
  BnAccumulator accumulator;
  ForwardOptions options;
  options.bn = BnMode::kAccumulate;
  options.accumulator = &accumulator;
  options.stacked = stacked;
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(n, start + batch_size);
    if (end - start < 2 && start > 0) break;  // BN needs 2 samples.
    model.Forward(*params, data.slice(0, start, end), options);
  }
  for (const auto& [layer, sums] : accumulator.by_layer) {
    const double count = static_cast<double>(sums.count);
    torch::Tensor mean = sums.sum / count;
    torch::Tensor var = (sums.sum_sq / count - mean.square()).clamp_min(0.0) *
                        (count / std::max(count - 1.0, 1.0));
    torch::Tensor& running_mean = (*params)[layer + ".running_mean"];
    torch::Tensor& running_var = (*params)[layer + ".running_var"];
    running_mean = mean.to(running_mean.options().requires_grad(false));
    running_var = var.to(running_var.options().requires_grad(false));
  }
}

}  // namespace mmc
