// The Table 3 experiment (paper §4, App. C): from the same theta_C per cue
// proportion and seed, the fine-tuning methods FT_M, FT_S, LLR, LPFT, CBFT
// and the CBFT ablations, each on the 2,500 clean hold-out samples, then
// test accuracy on NC / C / RC / RI, aggregated as mean and standard
// deviation over spec.seeds, with the paper's numbers beside ours where the
// paper has them.
#ifndef LIB_EXPERIMENT_TABLE3_H_
#define LIB_EXPERIMENT_TABLE3_H_

#include <vector>

#include "absl/status/statusor.h"
#include "lib/experiment/fig3.h"
#include "lib/spec/results.pb.h"

namespace mmc {

absl::StatusOr<Table3Results> RunTable3(const ExperimentContext& context);

// finetune.table3_cue_proportions, or all of the spec's cue proportions.
std::vector<double> Table3CueProportions(const Spec& spec);

// The asserted Table 3 claims (FT_S keeps the cue; CBFT removes it and has
// the lowest RI of FT_M, FT_S, LLR, LPFT, CBFT) with the tier's thresholds,
// and the reported ablation (does the barrier term do it?).
std::vector<Verdict> Table3Verdicts(const Table3Results& results,
                                    const ClaimsSpec& claims);

// The paper's rule for bold: NC highest; C and RC closest to NC; RI lowest.
// Returns, per column (NC, C, RC, RI), the index into `rows` of the best.
std::vector<int> BestPerColumn(const std::vector<std::vector<double>>& rows);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_TABLE3_H_
