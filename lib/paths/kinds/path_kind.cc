// Implementation of lib/paths/kinds/path_kind.h.
#include "lib/paths/kinds/path_kind.h"

#include <algorithm>

namespace mmc {

View BnResetView(const EvalSpec& eval) {
  switch (eval.bn_reset_data()) {
    case EvalSpec::TRAIN_NO_CUE:
      return View::kTrainNoCue;
    case EvalSpec::TRAIN_CUE:
      return View::kTrainCue;
    default:
      return View::kTrainMix;
  }
}

std::vector<torch::Tensor> PermutationBatches(const RunContext& ctx, double c) {
  const PathSpec& paths = ctx.spec->paths();
  torch::Tensor x = ctx.dataset
                        ->Materialize(BnResetView(ctx.spec->eval()),
                                      paths.permutation_samples(), c)
                        .x.to(ctx.device);
  std::vector<torch::Tensor> batches;
  const int64_t step = paths.permutation_batch_size();
  for (int64_t s = 0; s < x.size(0); s += step) {
    batches.push_back(x.slice(0, s, std::min(x.size(0), s + step)));
  }
  return batches;
}

}  // namespace mmc
