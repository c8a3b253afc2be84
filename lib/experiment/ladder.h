// The scale ladder: does Conjecture 1 start to hold as the networks grow?
//
// At the quick scale three of the paper's claims do not reproduce (after
// permutation the dissimilar pair theta_C - theta_NC and the same-mechanism
// control theta_NC - theta_NC' have about the same barrier; large-LR
// fine-tuning stays linearly connected after permutation). Permutation
// papers (git re-basin, REPAIR) report that permuted barriers between
// same-mechanism models shrink with width, so the ladder reruns the linear
// part of Fig. 3 and Fig. 4's large-LR fine-tune at every rung (width x
// epochs) of spec.ladder, and reports per rung:
//   * theta_C (c = ladder.cue_proportion), theta_NC, theta_NC' trained as
//     spec.train says with the rung's epochs, at the rung's width, and their
//     counterfactual accuracies;
//   * Linear and Linear Permuted paths for the main and the control pair
//     (RunLinearPairPaths, exactly Fig. 3's) and theta_C -> theta_FT at
//     ladder.finetune_lr, plain and permuted (RunFig4FineTune, Fig. 4's);
//   * three claims, judged with the tier's one definition of "has a barrier"
//     and "connected" (fig3.h) and Fig. 4's invariance bound:
//       kLadderLinearClaim      the linear theta_C - theta_NC path has a
//                               barrier on trC (Fig. 3);
//       kLadderConjectureClaim  after permutation, theta_C - theta_NC keeps a
//                               barrier on trC and theta_NC - theta_NC' is
//                               connected on trC (Conjecture 1: only
//                               mechanistically similar modes become
//                               linearly connected);
//       kLadderLargeLrClaim     the large-LR fine-tune loses the cue
//                               (RC >= NC - large_lr_max_drop) and has a
//                               barrier to theta_C after permutation
//                               (Fig. 4: a mechanism change breaks linear
//                               connectivity);
//     and, as context, whether the endpoints have the intended mechanisms
//     (Fig. 3's theta_C / theta_NC claims; theta_NC' judged as theta_NC).
// Every verdict is reported, not asserted: the ladder asks at which rung a
// claim starts to hold, and "nowhere up to the largest rung" is an answer.
//
// Choices the issue leaves open: the trC view judges every barrier (as
// Fig. 3's and Fig. 4's verdicts do); rungs are ordered by width, then
// epochs, and "first holds" means the first rung in that order; a rung
// reuses the run cache, so the quick spec's own rung (x1/8, 3 epochs) loads
// the models //tasks:fig3 and //tasks:fig4 trained.
#ifndef LIB_EXPERIMENT_LADDER_H_
#define LIB_EXPERIMENT_LADDER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lib/experiment/fig3.h"
#include "lib/spec/results.pb.h"
#include "lib/spec/spec.pb.h"

namespace mmc {

inline constexpr char kLadderEndpointsClaim[] =
    "endpoints have the intended mechanisms";
inline constexpr char kLadderLinearClaim[] =
    "Fig. 3: the linear theta_C-theta_NC path has a barrier";
inline constexpr char kLadderConjectureClaim[] =
    "Conjecture 1: after permutation theta_C-theta_NC keeps a barrier and "
    "theta_NC-theta_NC' is connected";
inline constexpr char kLadderLargeLrClaim[] =
    "Fig. 4: large-LR FT loses the cue and keeps a barrier after permutation";

// An error naming the problem when spec.ladder cannot run: no rungs, a rung
// without a positive width or epochs, two equal rungs, a cue proportion
// outside (0, 1], finetune_lr unset or below claims.large_lr, no seed.
absl::Status ValidateLadder(const Spec& spec);

// The rungs of spec.ladder sorted by (width, epochs).
std::vector<LadderRung> SortedRungs(const Spec& spec);

// The spec one rung runs: `base` with model.width and train.epochs of the
// rung, cue_proportions = {ladder.cue_proportion}, finetune.fig4_lrs =
// {ladder.finetune_lr} and ladder.rungs = {rung}. STEP milestones given in
// epochs scale with the rung's epochs (rounded to whole epochs); fractions
// need nothing. Its cache keys are those //tasks:fig3 and //tasks:fig4
// would use for the same settings.
Spec RungSpec(const Spec& base, const LadderRung& rung);

// "x1/8, 3 epochs" (widths that are 1/2^k are written as fractions).
std::string RungLabel(double width, int epochs);

// Runs one rung: builds the rung's model and trains (or loads) its models
// in context.cache; context.model is not used. Progress on stderr.
absl::StatusOr<LadderRungResult> RunLadderRung(const ExperimentContext& context,
                                               const LadderRung& rung);

// Every rung of context.spec->ladder in SortedRungs order, then the
// conclusions. Fills everything but `info`.
absl::StatusOr<LadderResults> RunLadder(const ExperimentContext& context);

// The rung's verdicts (the four claims above, in that order), from its
// fig3 and fig4 results.
std::vector<Verdict> RungVerdicts(const LadderRungResult& rung,
                                  const Spec& spec);

// The pairs of a rung: theta_C-theta_NC (kMainPair), the control
// theta_NC-theta_NC' (kControlPair) and theta_C-theta_FT.
enum class RungPair { kMain, kControl, kFinetune };

// The rung's path of `kind` (kLinear, kLinearPermuted) between `pair`, or
// nullptr; `spec` gives the cue proportion and the fine-tuning lr.
const PathResult* FindRungPath(const LadderRungResult& rung, const Spec& spec,
                               RungPair pair, const char* kind);

// The rung's verdict on `claim` (kLadder*Claim), or nullptr.
const Verdict* FindVerdict(const LadderRungResult& rung,
                           const std::string& claim);

// One sentence per claim (kLadderLinearClaim, kLadderConjectureClaim,
// kLadderLargeLrClaim): "<claim>: first holds at x1/4, 10 epochs (2 of 5
// rungs)." or "<claim>: not reached up to x1/2, 3 epochs (0 of 5 rungs).";
// then one with the numbers behind Conjecture 1: at how many rungs the
// dissimilar pair's permuted B(trC) is above the control's, and both from
// the first rung to the last.
std::vector<std::string> LadderConclusions(const LadderResults& results,
                                           const Spec& spec);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_LADDER_H_
