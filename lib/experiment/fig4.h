// The Fig. 4 experiment (paper §3, App. E): theta_C fine-tuned on the
// training images without cue at several initial learning rates (step
// decay), the fine-tuned theta_FT permuted to match theta_C's activations,
// and the linear paths theta_C (t = 0) -> theta_FT (t = 1), plain and after
// permutation, evaluated on every set. The first of spec.seeds is used;
// BatchNorm is reset at every point on theta_C's own training mix
// (eval.bn_reset_data).
#ifndef LIB_EXPERIMENT_FIG4_H_
#define LIB_EXPERIMENT_FIG4_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/experiment/fig3.h"
#include "lib/finetune/finetune.h"
#include "lib/spec/results.pb.h"

namespace mmc {

absl::StatusOr<Fig4Results> RunFig4(const ExperimentContext& context);

// One fine-tuning of Fig. 4: theta_C (trained at cue proportion c) fine-tuned
// at `lr` on the training images without cue (cached), evaluated, and the
// linear paths theta_C -> theta_FT plain and after permuting theta_FT onto
// theta_C (activation matching on `batches`, PermutationBatches(ctx, c)),
// appended to `results`.
absl::Status RunFig4FineTune(const ExperimentContext& context,
                             const TrainedModel& theta_c, double c,
                             int64_t seed, double lr,
                             const std::vector<torch::Tensor>& batches,
                             Fig4Results* results);

// QUICK_TIER.md's asserted Fig. 4 claims (small LR stays connected and
// cue-reliant; large LR becomes invariant) and the reported one (large LR
// breaks linear connectivity).
// The claims are asserted on the linear path after permutation (the
// paper's Fig. 4 plots that one); the plain linear path is reported beside.
std::vector<Verdict> Fig4Verdicts(const Fig4Results& results,
                                  const ClaimsSpec& claims);

// The path of `kind` (kLinear, kLinearPermuted) of the fine-tuning at (c,
// lr), or nullptr.
const PathResult* FindFig4Path(const Fig4Results& results, double c, double lr,
                               const std::string& kind);

// "lr=0.001".
std::string LrLabel(double lr);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_FIG4_H_
