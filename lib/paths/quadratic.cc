// Implementation of lib/paths/quadratic.h.
#include "lib/paths/quadratic.h"

#include <torch/torch.h>

#include "lib/util/random.h"

namespace mmc {

ParamMap MidpointInit(const ParamMap& a, const ParamMap& b) {
  torch::NoGradGuard no_grad;
  return CloneParams(Interpolate(a, b, 0.5));
}

double PathSampleT(uint64_t seed, int64_t step) {
  // 53 random bits -> [0, 1).
  return static_cast<double>(
             CounterHash(seed, /*stream=*/91, static_cast<uint64_t>(step)) >>
             11) *
         0x1.0p-53;
}

LossFn QuadraticMidpointLoss(const Model& model, ParamMap a, ParamMap b,
                             std::shared_ptr<const Batch> data, uint64_t seed) {
  for (auto& [name, t] : a) t = t.detach();
  for (auto& [name, t] : b) t = t.detach();
  return [&model, a = std::move(a), b = std::move(b), data, seed](
             const ParamMap& mid, const torch::Tensor& indices, int64_t step) {
    const double t = PathSampleT(seed, step);
    torch::Tensor idx = indices.to(data->x.device());
    torch::Tensor x = data->x.index_select(0, idx);
    torch::Tensor y = data->y.index_select(0, idx);
    ForwardOptions options;
    options.bn = BnMode::kBatchStats;
    torch::Tensor logits =
        model.Forward(Bezier(a, mid, b, t), x, options).logits;
    StepResult result;
    result.loss = torch::cross_entropy_loss(logits, y);
    result.correct = CountCorrect(logits, y);
    result.count = y.size(0);
    return result;
  };
}

}  // namespace mmc
