// Implementation of lib/train/evaluate.h.
#include "lib/train/evaluate.h"

#include <torch/torch.h>

namespace mmc {

Metrics Evaluate(const Model& model, const ParamMap& params, const Batch& data,
                 int64_t batch_size) {
  return EvaluateStacked(model, params, data, batch_size, ForwardOptions{})
      .front();
}

std::vector<Metrics> EvaluateStacked(const Model& model, const ParamMap& params,
                                     const Batch& data, int64_t batch_size,
                                     const ForwardOptions& options) {
  c10::InferenceMode guard;
  const int64_t n = data.x.size(0);
  const int64_t stacked = options.stacked;
  // Accumulated on the data's device (a CPU accumulator plus a CUDA batch
  // sum is an error) and read back once, after the last batch.
  const torch::Device device = data.x.device();
  torch::Tensor loss_sum = torch::zeros(
      {stacked}, torch::TensorOptions().dtype(torch::kDouble).device(device));
  torch::Tensor correct = torch::zeros(
      {stacked}, torch::TensorOptions().dtype(torch::kLong).device(device));
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(n, start + batch_size);
    torch::Tensor x = data.x.slice(0, start, end);
    torch::Tensor y = data.y.slice(0, start, end);
    // [B, S, K] (a view for S = 1).
    torch::Tensor logits = model.Forward(params, x, options).logits;
    if (stacked == 1) logits = logits.unsqueeze(1);
    torch::Tensor targets = y.view({-1, 1}).expand({end - start, stacked});
    torch::Tensor nll = -torch::log_softmax(logits, 2)
                             .gather(2, targets.unsqueeze(2))
                             .squeeze(2);  // [B, S]
    loss_sum += nll.sum(0).to(torch::kDouble);
    correct += logits.argmax(2).eq(targets).sum(0);
  }
  loss_sum = loss_sum.cpu();
  correct = correct.cpu();
  std::vector<Metrics> out(stacked);
  for (int64_t s = 0; s < stacked && n > 0; ++s) {
    out[s].accuracy = 100.0 * correct[s].item<double>() / n;
    out[s].loss = loss_sum[s].item<double>() / n;
  }
  return out;
}

}  // namespace mmc
