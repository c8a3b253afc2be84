// Implementation of lib/train/evaluate.h.
#include "lib/train/evaluate.h"

#include <torch/torch.h>

namespace mmc {

Metrics Evaluate(const Model& model, const ParamMap& params, const Batch& data,
                 int64_t batch_size) {
  c10::InferenceMode guard;
  const int64_t n = data.x.size(0);
  double loss_sum = 0.0;
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += batch_size) {
    const int64_t end = std::min(n, start + batch_size);
    torch::Tensor x = data.x.slice(0, start, end);
    torch::Tensor y = data.y.slice(0, start, end);
    torch::Tensor logits = model.Logits(params, x, BnMode::kEval);
    loss_sum += torch::cross_entropy_loss(logits, y,
                                          /*weight=*/{}, at::Reduction::Sum)
                    .item<double>();
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
  }
  Metrics m;
  if (n > 0) {
    m.accuracy = 100.0 * static_cast<double>(correct) / n;
    m.loss = loss_sum / n;
  }
  return m;
}

}  // namespace mmc
