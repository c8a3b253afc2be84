// Table 2 (paper §3): mechanistic (dis)similarity versus linear and
// non-linear connectivity, derived from the Fig. 3, Fig. 4 and Table 3
// results (no retraining: the models come from the run cache).
//
// Invariance (Def. 3): a model is invariant to an intervention when its
// counterfactual loss equals the factual one, within the tier's tolerance
// (spec claims.invariance_max_loss_gap, nats): to the cue when
// |L(RC) - L(NC)| is within it (randomising the cue changes nothing), to the
// image when |L(RI) - L(C)| is (randomising the image under the same cue
// changes nothing). The same test on accuracies (claims.
// invariance_max_accuracy_gap, points) is reported as a second column.
// Mechanistic similarity (Def. 4): equal invariance sets (by loss).
// Connectivity of a path on a set: the tier's one definition (IsConnected in
// fig3.h: claims.connected_max_barrier and connected_max_dip). The set is
// trC (the cue data both theta_C and its partners fit), trNC for the
// theta_NC-theta_NC' control pair. "Mechanistically connected" along a path:
// the path's own t = 0 and t = 1 points (BatchNorm reset like every other
// point) have the same invariance set and every point keeps it.
#ifndef LIB_EXPERIMENT_TABLE2_H_
#define LIB_EXPERIMENT_TABLE2_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/experiment/fig3.h"
#include "lib/spec/results.pb.h"

namespace mmc {

// Def. 3 (Counterfactuals, AccuraciesOf and LossesOf are in fig3.h):
// "{cue, image}", "{cue}", "{image}" or "{}": "cue" when |rc - nc| <=
// tolerance, "image" when |ri - c| <= tolerance. NaN (a missing set) is never
// within tolerance.
std::string InvarianceSet(const Counterfactuals& values, double tolerance);

// "yes" when the path's t = 0 and t = 1 points have the same invariance set
// (by loss) and every point keeps it, "no" otherwise, "n/a" without a path.
std::string MechanisticallyConnected(const PathResult* path,
                                     const ClaimsSpec& claims);

// One row of Table 2: the pair's invariance sets (by loss and by accuracy),
// similarity, and connectivity on `data` (trC or trNC) of each given path
// (nullptr: "n/a").
PairAssessment AssessPair(const std::string& pair, const std::string& source,
                          const ModelResult& a, const ModelResult& b,
                          const std::string& data, const PathResult* linear,
                          const PathResult* permuted,
                          const PathResult* quadratic,
                          const ClaimsSpec& claims);

// The measured mark of a Table 2 cell: "✓" when more than half of the pairs
// that measured it say yes, "✗" otherwise (a tie is not a majority); "" when
// no pair measured it. Compared with the paper's mark (Table2Mark.paper).
std::string MajorityMark(const Table2Mark& mark);

// Builds Table 2 from the three artifacts' results with the tier's
// `claims`; the Table 3 pairs need their linear paths, which are evaluated
// here (theta_C and each method's model from the cache, first seed; skipped
// when the context has no spec or cache).
absl::StatusOr<Table2Results> RunTable2(const ExperimentContext& context,
                                        const ClaimsSpec& claims,
                                        const Fig3Results& fig3,
                                        const Fig4Results& fig4,
                                        const Table3Results& table3);

}  // namespace mmc

#endif  // LIB_EXPERIMENT_TABLE2_H_
